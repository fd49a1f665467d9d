"""The audit log's operations for people and the scheduler, authorised.

Verify (operators and auditors), list the events page by page (operators and auditors:
:meth:`AuditService.events` filters and pages in SQL, the log grows with every
mutation), write a checkpoint on demand or on a schedule, rotate the key (operators). The CLI and the facade call these; the chain itself lives in
:mod:`controlplane.audit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from controlplane import audit, rbac
from controlplane.audit_checkpoints import Checkpoint
from controlplane.audit_verify import AuditReport
from controlplane.db.engine import transaction
from controlplane.db.models import AuditEvent
from controlplane.db.substring import contains
from controlplane.timeutil import Clock

__all__ = ["AUDIT_FIELDS", "AuditMatch", "AuditService"]

#: the event columns a filter may name (bare text searches all three)
AUDIT_FIELDS = ("actor", "action", "subject")


@dataclass(frozen=True)
class AuditMatch:
    """``field`` (``None``: any of :data:`AUDIT_FIELDS`) contains ``value``, case-blind."""

    field: str | None
    value: str
    invert: bool = False


def _condition(term: AuditMatch) -> ColumnElement[bool]:
    names = AUDIT_FIELDS if term.field is None else (term.field,)
    return contains([col(getattr(AuditEvent, n)) for n in names], term.value, invert=term.invert)


class AuditService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def verify(self, *, actor: str) -> AuditReport:
        with self._sessions() as session:
            rbac.authorize(rbac.resolve(session, actor), "audit.verify")
            return audit.inspect(session)

    def checkpoint(self, *, actor: str) -> Checkpoint | None:
        """Anchor the current head outside the database; None when the log is empty."""
        with self._sessions() as session:
            rbac.authorize(rbac.resolve(session, actor), "audit.checkpoint")
            return audit.checkpoint(session, self._clock())

    def rotate_key(self, *, actor: str) -> tuple[str, str]:
        """(previous key id, new key id); the rotation is itself an audit event."""
        with transaction(self._sessions) as session:
            rbac.authorize(rbac.resolve(session, actor), "audit.rotate")
            return audit.rotate_key(session, self._clock(), actor=actor)

    def events(
        self,
        *,
        actor: str,
        match: Sequence[AuditMatch] = (),
        descending: bool = True,
        after: int | None = None,
        limit: int = 100,
    ) -> tuple[list[AuditEvent], int]:
        """One page of events in sequence order (newest first unless not ``descending``),
        strictly after sequence number ``after``; and how many match in all."""
        with self._sessions() as session:
            rbac.authorize(rbac.resolve(session, actor), "audit.list")
            conditions = [_condition(t) for t in match]
            query = select(AuditEvent).where(*conditions)
            seq = col(AuditEvent.seq)
            if after is not None:
                query = query.where(seq < after if descending else seq > after)
            query = query.order_by(seq.desc() if descending else seq).limit(limit)
            rows = list(session.exec(query).all())
            total = session.exec(
                select(func.count()).select_from(AuditEvent).where(*conditions)
            ).one()
            return rows, int(total)
