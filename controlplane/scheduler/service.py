"""What operators see of the jobs: the catalogue with each job's last and next run, one
job's recent runs, and ``run`` (queue a firing now). Built by :class:`controlplane.app.App`
and reached only through the facade (``job.list``, ``job.show``, ``job.run``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from controlplane.db.engine import transaction
from controlplane.db.models import Provider
from controlplane.db.substring import contains
from controlplane.db.tables_scheduler import JobRun
from controlplane.requests import claims
from controlplane.scheduler import catalog as jobs_catalog
from controlplane.scheduler.catalog import JobSpec
from controlplane.scheduler.runs import enqueue
from controlplane.timeutil import Clock

__all__ = [
    "RUN_FIELDS",
    "RUN_TEXT_FIELDS",
    "JobNotFound",
    "JobRunInfo",
    "JobService",
    "JobSummary",
    "RunMatch",
    "RunOrder",
]

#: the run columns a list may sort and filter on; a bare filter word searches the text ones
_RUN_COLUMNS: dict[str, Any] = {
    "id": col(JobRun.id),
    "job": col(JobRun.job),
    "due_at": col(JobRun.due_at),
    "state": col(JobRun.state),
    "requested_by": col(JobRun.requested_by),
    "failures": col(JobRun.failures),
    # a run without an error sorts first, as an empty text (the lists' rule for None)
    "error": func.coalesce(col(JobRun.error), ""),
}
RUN_FIELDS = tuple(_RUN_COLUMNS)
RUN_TEXT_FIELDS = ("job", "state", "requested_by", "error")


@dataclass(frozen=True)
class RunMatch:
    """``field`` (``None``: any of :data:`RUN_TEXT_FIELDS`) contains ``value``, case-blind."""

    field: str | None
    value: str
    invert: bool = False


@dataclass(frozen=True)
class RunOrder:
    """Runs ordered by ``field`` (one of :data:`RUN_FIELDS`), ties by id the same way."""

    field: str
    descending: bool = False


def _run_condition(term: RunMatch) -> ColumnElement[bool]:
    names = RUN_TEXT_FIELDS if term.field is None else (term.field,)
    text = [col(getattr(JobRun, n)) for n in names]
    return contains(text, term.value, invert=term.invert)


class JobNotFound(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name, self.known = name, known
        super().__init__(f"job {name!r} not found (known: {', '.join(known)})")

    def describe(self, lang: str = "en") -> str:
        if lang == "zh":
            return f"作业 {self.name!r} 不存在（已有：{', '.join(self.known)}）"
        return str(self)


@dataclass(frozen=True)
class JobRunInfo:
    id: int
    job: str
    due_at: datetime
    state: str
    requested_by: str
    replica: str | None
    started_at: datetime | None
    ended_at: datetime | None
    error: str | None
    failures: int
    retry_in: float | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, row: JobRun) -> JobRunInfo:
        return cls(
            id=row.id or 0, job=row.job, due_at=row.due_at, state=row.state,
            requested_by=row.requested_by, replica=row.replica, started_at=row.started_at,
            ended_at=row.ended_at, error=row.error, failures=row.failures,
            retry_in=row.retry_in, detail=dict(row.detail),
        )  # fmt: skip

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class JobSummary:
    name: str
    schedule: str
    description: str
    last: JobRunInfo | None  # the latest finished run
    next_due: datetime | None  # the queued firing
    runs: int
    failures: int


class JobService:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, config: Path | None = None
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.config_path = config

    def specs(self) -> list[JobSpec]:
        """The jobs for the stored estate and the config file."""
        with self._sessions() as session:
            providers = sorted(p.name for p in session.exec(select(Provider)))
        return jobs_catalog.catalog(providers, jobs_catalog.load_config(self.config_path))

    def _spec(self, name: str) -> JobSpec:
        specs = self.specs()
        for spec in specs:
            if spec.name == name:
                return spec
        raise JobNotFound(name, [s.name for s in specs])

    def summaries(self) -> list[JobSummary]:
        specs = self.specs()
        with self._sessions() as session:
            counts = {
                (job, state): n
                for job, state, n in session.exec(
                    select(JobRun.job, JobRun.state, func.count()).group_by(
                        col(JobRun.job), col(JobRun.state)
                    )
                ).all()
            }
            out = []
            for spec in specs:
                last = session.exec(
                    select(JobRun)
                    .where(JobRun.job == spec.name, col(JobRun.ended_at).is_not(None))
                    .order_by(col(JobRun.due_at).desc())
                    .limit(1)
                ).first()
                queued = session.exec(
                    select(func.min(JobRun.due_at)).where(
                        JobRun.job == spec.name, JobRun.state == "queued"
                    )
                ).one()
                runs = sum(n for (job, _), n in counts.items() if job == spec.name)
                failed = sum(
                    n
                    for (job, state), n in counts.items()
                    if job == spec.name and state in ("failed", "temporary")
                )
                out.append(
                    JobSummary(
                        spec.name,
                        spec.trigger.describe(),
                        spec.description,
                        JobRunInfo.of(last) if last else None,
                        queued,
                        runs,
                        failed,
                    )
                )
        return out

    def show(self, name: str, *, limit: int = 20) -> tuple[JobSummary, list[JobRunInfo]]:
        self._spec(name)
        summary = next(s for s in self.summaries() if s.name == name)
        with self._sessions() as session:
            rows = session.exec(
                select(JobRun)
                .where(JobRun.job == name)
                .order_by(col(JobRun.due_at).desc())
                .limit(limit)
            ).all()
        return summary, [JobRunInfo.of(r) for r in rows]

    def runs(
        self,
        *,
        job: str | None = None,
        match: Sequence[RunMatch] = (),
        order: RunOrder = RunOrder("due_at", descending=True),
        after: tuple[object, int] | None = None,
        limit: int = 100,
    ) -> tuple[list[JobRunInfo], int]:
        """One page of recorded runs (of ``job``, which must be one of the jobs) in
        ``order``, strictly after the key ``after`` (the last row's ``(value, id)``); and
        how many match in all. Filtered, ordered and paged in SQL: a job firing every few
        minutes records some hundred thousand runs a year."""
        if job is not None:
            self._spec(job)
        conditions = [_run_condition(m) for m in match]
        if job is not None:
            conditions.append(col(JobRun.job) == job)
        column = _RUN_COLUMNS[order.field]
        ident = col(JobRun.id)
        query = select(JobRun).where(*conditions)
        if after is not None:
            value, last = after
            if order.field == "id":
                query = query.where(ident < last if order.descending else ident > last)
            elif order.descending:
                query = query.where(or_(column < value, and_(column == value, ident < last)))
            else:
                query = query.where(or_(column > value, and_(column == value, ident > last)))
        if order.field == "id":
            query = query.order_by(ident.desc() if order.descending else ident)
        elif order.descending:
            query = query.order_by(column.desc(), ident.desc())
        else:
            query = query.order_by(column, ident)
        with self._sessions() as session:
            rows = [JobRunInfo.of(r) for r in session.exec(query.limit(limit)).all()]
            total = session.exec(select(func.count()).select_from(JobRun).where(*conditions))
            return rows, int(total.one())

    def queue_depth(self) -> dict[str, int]:
        """Work due now and not taken: requests to provision, firings to run."""
        now = self._clock()
        with self._sessions() as session:
            jobs = session.exec(
                select(func.count()).where(JobRun.state == "queued", col(JobRun.due_at) <= now)
            ).one()
            requests = len(claims.due_ids(session, now))
        return {"requests": requests, "jobs": jobs}

    def run(self, name: str, *, actor: str) -> JobRunInfo:
        """Queue a firing of ``name`` due now; a running ``serve`` takes it."""
        self._spec(name)
        now = self._clock()
        with transaction(self._sessions) as session:
            enqueue(session, name, now, actor)
            row = session.exec(select(JobRun).where(JobRun.job == name, JobRun.due_at == now)).one()
            return JobRunInfo.of(row)
