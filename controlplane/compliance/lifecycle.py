"""The violation lifecycle, derived from successive audit runs.

A finding is one (rule, subject kind, subject id, field). When a run sees it fail and no
episode is active, a violation opens; while it keeps failing, ``last_seen`` moves on;
while an active waiver covers it, it reads ``waived`` (and ``open`` again once the
waiver expires). An active violation the run no longer sees failing is resolved:
``passed`` when the rule evaluated its subject and found nothing, ``absent`` when the
subject is gone from the inventory. A subject the rule could not evaluate this time
keeps its violation open: a missing input proves nothing.

A first audit (no violation stored yet) writes every finding it opens with the table's
indexes and foreign keys built once after the rows (``defer_indexes``), as the results.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session, col

from controlplane.compliance.store import BATCH
from controlplane.db import table_of
from controlplane.db.bulk import BulkInsert
from controlplane.db.deferred_indexes import DeferredIndexes, defer_indexes
from controlplane.db.tables_compliance import PolicyViolation
from policies import AuditResult, Outcome, ResourceView, Verdict

__all__ = ["OPEN", "RESOLVED", "WAIVED", "ViolationTracker", "finding_key"]

OPEN = "open"
WAIVED = "waived"
RESOLVED = "resolved"
_ACTIVE = (OPEN, WAIVED)
_FAIL, _WAIVED = Outcome.FAIL, Outcome.WAIVED
_KEY_MAX = 512

Subject = tuple[str, str]


def finding_key(v: Verdict) -> str:
    return f"{v.rule_id}|{v.subject_kind}|{v.subject_id}|{v.field or ''}"[:_KEY_MAX]


@dataclass
class _Active:
    id: int
    subject: Subject
    rule_id: str
    state: str
    waiver_id: str | None
    message: tuple[str | None, str | None]
    seen: bool = False


@dataclass
class ViolationTracker:
    """Feeds on one run's verdicts, then writes the lifecycle changes in batches."""

    session: Session
    run_id: int
    now: datetime
    opened: int = 0
    resolved: int = 0
    _active: dict[str, _Active] = field(default_factory=dict)
    # per subject with an active violation: the outcomes of each rule seen this run
    _subjects: dict[Subject, dict[str, set[Outcome]]] = field(default_factory=dict)
    _new: dict[str, dict[str, Any]] = field(default_factory=dict)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _still: list[int] = field(default_factory=list)  # still failing alike: only "seen" moves

    def __post_init__(self) -> None:
        v = PolicyViolation
        query = sa_select(
            col(v.id),
            col(v.key),
            col(v.rule_id),
            col(v.subject_kind),
            col(v.subject_id),
            col(v.state),
            col(v.waiver_id),
            col(v.message_zh),
            col(v.message_en),
        ).where(col(v.state).in_(_ACTIVE))
        for vid, key, rule, kind, subject, state, waiver, zh, en in self.session.execute(query):
            self._active[key] = _Active(vid, (kind, subject), rule, state, waiver, (zh, en))
            self._subjects.setdefault((kind, subject), {})[rule] = set()

    def observe(self, view: ResourceView, results: Sequence[AuditResult]) -> None:
        """The results of one subject in this run."""
        rules = self._subjects.get((view.kind, view.id))
        if rules is not None:
            for r in results:
                outcomes = rules.get(r.rule_id)
                if outcomes is not None:
                    outcomes.add(r.outcome)
        for r in results:
            # most results pass: identity tests, no hashing of the enum member
            outcome = r.outcome
            if (outcome is _FAIL or outcome is _WAIVED) and not r.deferred:
                system = view.system.name if view.system is not None else None
                self._failing(r.verdict(view.kind, view.id, system, view.tenant, self.now))

    def _failing(self, v: Verdict) -> None:
        key = finding_key(v)
        state = WAIVED if v.outcome is Outcome.WAIVED else OPEN
        active = self._active.get(key)
        if active is not None:
            active.seen = True
            if (active.state, active.waiver_id, active.message) == (
                state,
                v.waiver_id,
                (v.message_zh, v.message_en),
            ):
                # most of a province's violations persist unchanged from run to run
                self._still.append(active.id)
                return
            self._updates.append(
                {
                    "id": active.id,
                    "state": state,
                    "waiver_id": v.waiver_id,
                    "last_seen_at": self.now,
                    "last_run_id": self.run_id,
                    "message_zh": v.message_zh,
                    "message_en": v.message_en,
                }
            )
            if len(self._updates) >= BATCH:
                self._flush_updates()
            return
        if key in self._new:
            return  # the same finding twice in one run (never expected; keep the first)
        self._new[key] = {
            "key": key,
            "rule_id": v.rule_id,
            "subject_kind": v.subject_kind,
            "subject_id": v.subject_id,
            "field": v.field[:255] if v.field else None,
            "system": v.system,
            "tenant": v.tenant,
            "severity": str(v.severity),
            "high_risk": v.high_risk,
            "state": state,
            "waiver_id": v.waiver_id,
            "message_zh": v.message_zh,
            "message_en": v.message_en,
            "opened_at": self.now,
            "last_seen_at": self.now,
            "opened_run_id": self.run_id,
            "last_run_id": self.run_id,
        }

    def finish(self) -> None:
        """Write what is pending: new episodes, updates, and resolutions."""
        self._flush_updates()
        for unseen in self._unseen():
            outcomes = self._subjects[unseen.subject][unseen.rule_id]
            if Outcome.NOT_EVALUABLE in outcomes:
                continue
            self._updates.append(
                {
                    "id": unseen.id,
                    "state": RESOLVED,
                    "resolution": "passed" if outcomes else "absent",
                    "resolved_at": self.now,
                    "last_run_id": self.run_id,
                }
            )
            self.resolved += 1
            if len(self._updates) >= BATCH:
                self._flush_updates()
        self._flush_updates()
        self._flush_still()
        rows = [tuple(new.values()) for new in self._new.values()]
        if rows:
            # the dicts of one run share their keys, in order
            columns = tuple(next(iter(self._new.values())))
            table = table_of(PolicyViolation)
            writer = BulkInsert(self.session, table, columns)
            # a first audit (no violation stored yet) opens every finding at once: the
            # table's indexes, and on PostgreSQL its foreign keys (two checks a row),
            # are built once after the rows
            deferred = (
                defer_indexes(self.session, table.name, foreign_keys=True)
                if not self._active
                else DeferredIndexes(self.session, table.name)
            )
            with deferred:
                for start in range(0, len(rows), BATCH):
                    writer.write(rows[start : start + BATCH])
        self.opened = len(rows)

    def _unseen(self) -> Iterable[_Active]:
        return (a for a in self._active.values() if not a.seen)

    def _flush_still(self) -> None:
        """One set-based UPDATE per batch for violations that only were seen again."""
        v = table_of(PolicyViolation)
        for start in range(0, len(self._still), BATCH):
            ids = self._still[start : start + BATCH]
            self.session.execute(
                update(v)
                .where(v.c.id.in_(ids))
                .values(last_seen_at=self.now, last_run_id=self.run_id)
            )
        self._still = []

    def _flush_updates(self) -> None:
        if not self._updates:
            return
        # bulk UPDATE by primary key; rows of one batch must share their set of columns
        by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for params in self._updates:
            by_shape.setdefault(tuple(sorted(params)), []).append(params)
        for batch in by_shape.values():
            self.session.execute(update(PolicyViolation), batch)
        self._updates = []
