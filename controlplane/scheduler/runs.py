"""The ``job_run`` table as queue and record: enqueue a firing, take one, finish it.

:func:`enqueue` inserts a firing unless that ``(job, due_at)`` exists (``ON CONFLICT DO
NOTHING`` on both engines), so a firing is queued once however many leaders try.
:func:`take` hands the oldest due firing to one replica: candidates are read ``FOR
UPDATE SKIP LOCKED`` on PostgreSQL and the move to ``running`` is a conditional update,
so two replicas never take the same firing. :func:`schedule` is the leader's tick.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from controlplane.db.engine import transaction
from controlplane.db.tables_scheduler import JobRun
from controlplane.scheduler.catalog import JobSpec, next_due

__all__ = [
    "FINISHED",
    "Outcome",
    "abandon_stale",
    "enqueue",
    "finish",
    "latest",
    "release_running",
    "schedule",
    "take",
]

FINISHED = ("ok", "failed", "temporary", "released", "abandoned")


@dataclass(frozen=True)
class Outcome:
    state: str  # ok | failed | temporary
    error: str | None = None
    retry_after: float | None = None
    detail: dict[str, Any] | None = None


def enqueue(session: Session, job: str, due_at: datetime, by: str) -> bool:
    """Queue one firing; False when that firing is already known."""
    values = {"job": job, "due_at": due_at, "state": "queued", "requested_by": by,
              "failures": 0, "detail": {}}  # fmt: skip
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(JobRun).values(**values).on_conflict_do_nothing(index_elements=["job", "due_at"])
    )
    result = session.execute(statement)
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def latest(session: Session, job: str) -> JobRun | None:
    return session.exec(
        select(JobRun).where(JobRun.job == job).order_by(col(JobRun.due_at).desc()).limit(1)
    ).first()


def _failures_before(session: Session, job: str, due_at: datetime) -> int:
    previous = session.exec(
        select(JobRun)
        .where(JobRun.job == job, col(JobRun.due_at) < due_at, col(JobRun.state).in_(FINISHED))
        .order_by(col(JobRun.due_at).desc())
        .limit(1)
    ).first()
    return previous.failures if previous is not None and previous.state == "temporary" else 0


def schedule(
    sessions: sessionmaker[Session], specs: Sequence[JobSpec], now: datetime, by: str
) -> list[str]:
    """The leader's tick: make sure each job has its next firing queued."""
    queued: list[str] = []
    for spec in specs:
        with transaction(sessions) as session:
            last = latest(session, spec.name)
            if last is not None and last.state in ("queued", "running"):
                continue  # one firing at a time per job: the next is queued when it ends
            retry_at = None
            if last is not None and last.state == "temporary" and last.ended_at is not None:
                retry_at = last.ended_at + timedelta(seconds=last.retry_in or 0)
            due = next_due(
                spec.trigger, now, last_due=last.due_at if last else None, retry_at=retry_at
            )
            if enqueue(session, spec.name, due, by):
                queued.append(spec.name)
    return queued


def take(session: Session, replica: str, now: datetime) -> JobRun | None:
    """Move the oldest due firing to ``running`` for ``replica`` (None: nothing due)."""
    query = (
        select(JobRun)
        .where(JobRun.state == "queued", col(JobRun.due_at) <= now)
        .order_by(col(JobRun.due_at), col(JobRun.id))
        .limit(5)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for row in session.exec(query).all():
        result = session.execute(
            update(JobRun)
            .where(col(JobRun.id) == row.id, col(JobRun.state) == "queued")
            .values(state="running", replica=replica, started_at=now)
        )
        assert isinstance(result, CursorResult)
        if result.rowcount == 1:
            session.refresh(row)
            return row
    return None


def finish(
    session: Session,
    run_id: int,
    outcome: Outcome,
    now: datetime,
    *,
    backoff: Any,
    ceiling: float | None = None,
) -> JobRun:
    """Record how a firing ended; a temporary failure gets its back-off in ``retry_in``."""
    row = session.get(JobRun, run_id)
    assert row is not None
    row.state, row.ended_at, row.error = outcome.state, now, outcome.error
    row.detail = outcome.detail or {}
    if outcome.state == "temporary":
        row.failures = _failures_before(session, row.job, row.due_at) + 1
        wait: timedelta = backoff(row.failures, outcome.retry_after)
        seconds = wait.total_seconds()
        row.retry_in = min(seconds, ceiling) if ceiling else seconds
    session.add(row)
    return row


def release_running(session: Session, replica: str, now: datetime) -> int:
    """A replica stopping gives its unfinished firings back (recorded as released)."""
    result = session.execute(
        update(JobRun)
        .where(col(JobRun.replica) == replica, col(JobRun.state) == "running")
        .values(state="released", ended_at=now, error="replica stopped")
    )
    assert isinstance(result, CursorResult)
    return result.rowcount


def abandon_stale(session: Session, now: datetime, live: Sequence[str], grace: timedelta) -> int:
    """Firings left running by a replica that is gone (kill -9: its liveness lease
    lapsed) stop blocking their job; the next firing is queued as usual."""
    result = session.execute(
        update(JobRun)
        .where(
            col(JobRun.state) == "running",
            col(JobRun.replica).not_in(list(live)),
            col(JobRun.started_at) < now - grace,
        )
        .values(state="abandoned", ended_at=now, error="the replica running it went away")
    )
    assert isinstance(result, CursorResult)
    return result.rowcount
