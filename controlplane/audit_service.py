"""The audit log's operations for people and the scheduler, authorised.

Verify (operators and auditors), write a checkpoint on demand or on a schedule, rotate
the key (operators). The CLI and the facade call these; the chain itself lives in
:mod:`controlplane.audit`.
"""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from controlplane import audit, rbac
from controlplane.audit_checkpoints import Checkpoint
from controlplane.audit_verify import AuditReport
from controlplane.db.engine import transaction
from controlplane.timeutil import Clock

__all__ = ["AuditService"]


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
