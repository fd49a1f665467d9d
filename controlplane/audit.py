"""The append-only, keyed hash chain of audit events, anchored outside the database.

Every mutation appends one :class:`~controlplane.db.models.AuditEvent` whose hash is an
HMAC (key ring outside the database, see :mod:`controlplane.audit_keys`) over its sequence
number, content, the previous event's hash and the id of the key used. Editing, removing,
reordering, re-chaining or appending events without the key breaks the chain; signed
checkpoints of the head (:mod:`controlplane.audit_checkpoints`), written after the commit
every N events and on demand, show when the newest events were deleted.
:func:`verify` (in :mod:`controlplane.audit_verify`) names each break.

Events written before the key ring existed (``key_id`` NULL) were chained with a plain
SHA-256/SM3 digest; they still verify as before, and the first keyed event — whose HMAC
covers their head's hash — seals them: from then on they cannot be edited or re-chained
without breaking that event. An unkeyed event after a keyed one is a forgery.

The configuration (key ring, checkpoint files, N, algorithm) rides on the session:
:class:`~controlplane.app.App` puts it in ``Session.info`` under :data:`SESSION_KEY`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import text
from sqlmodel import Session, col, select

from controlplane.audit_checkpoints import Checkpoint, CheckpointWriter, sign
from controlplane.audit_config import SESSION_KEY, Algorithm, AuditConfig, config_of
from controlplane.audit_events import GENESIS, event_body, event_hash
from controlplane.audit_keys import Keyring
from controlplane.audit_verify import AuditBreak, AuditReport, inspect, verify
from controlplane.db import locks
from controlplane.db.models import AuditEvent
from controlplane.timeutil import as_utc

__all__ = [
    "GENESIS",
    "SESSION_KEY",
    "Algorithm",
    "AuditBreak",
    "AuditReport",
    "append",
    "checkpoint",
    "config_of",
    "event_body",
    "event_hash",
    "inspect",
    "rotate_key",
    "verify",
]

_PENDING = "govcloud.audit.pending"
_KEYRING = "govcloud.audit.keyring"
# one fixed advisory-lock key serialises appends on PostgreSQL across processes
_PG_LOCK_KEY = locks.AUDIT_APPEND


def _keyring(session: Session, config: AuditConfig, now: datetime) -> Keyring:
    ring = session.info.get(_KEYRING)
    if not isinstance(ring, Keyring):
        ring = Keyring.load_or_create(config.keyring, now)
        session.info[_KEYRING] = ring
    return ring


def _head(session: Session) -> AuditEvent | None:
    return session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})


def lock_chain(session: Session) -> None:
    """Take the audit chain's append lock now (held to the end of the transaction), for
    a caller that takes its other locks first; :func:`append` takes it anyway."""
    _lock(session)


def append(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    payload: dict[str, Any] | None = None,
    algorithm: Algorithm | None = None,
) -> AuditEvent:
    """Append one keyed event inside the caller's transaction (it commits or rolls back
    with it); a checkpoint follows the commit when it crosses a multiple of N events."""
    config = config_of(session)
    chosen = algorithm or config.algorithm
    at = as_utc(at)
    ring = _keyring(session, config, at)
    _lock(session)
    last = _head(session)
    key = ring.active
    fields: dict[str, Any] = {
        "seq": (last.seq or 0) + 1 if last else 1,
        "at": at,
        "actor": actor,
        "action": action,
        "subject": subject,
        "payload": json.loads(json.dumps(payload or {}, default=str, ensure_ascii=False)),
        "prev_hash": last.hash if last else GENESIS,
        "algorithm": chosen,
        "key_id": key.id,
    }
    event = AuditEvent(**fields, hash=event_hash(event_body(**fields), chosen, key.secret))
    session.add(event)
    session.flush()
    _note_pending(session, config, fields["seq"], event.hash, at)
    return event


@dataclass
class _Pending:
    """What this transaction appended, for the checkpoint written after its commit."""

    first: int
    last: int
    head_hash: str
    at: datetime
    writer: CheckpointWriter | None = None


def _note_pending(
    session: Session, config: AuditConfig, seq: int, head_hash: str, at: datetime
) -> None:
    pending = session.info.get(_PENDING)
    if isinstance(pending, _Pending):
        pending.last, pending.head_hash, pending.at = seq, head_hash, at
        return
    session.info[_PENDING] = _Pending(seq, seq, head_hash, at)
    if not session.info.get(f"{_PENDING}.hooked"):
        session.info[f"{_PENDING}.hooked"] = True
        orm_event.listen(session, "before_commit", _open_checkpoint)
        orm_event.listen(session, "after_commit", _write_checkpoint)
        orm_event.listen(session, "after_rollback", _forget_pending)


def _due(pending: _Pending, every: int) -> bool:
    return pending.last // every > (pending.first - 1) // every


def _open_checkpoint(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: nothing is committed until the outer transaction
    pending = session.info.get(_PENDING)
    config = session.info.get(SESSION_KEY)
    if not isinstance(pending, _Pending) or not isinstance(config, AuditConfig):
        return
    # the head as it will be committed: an append inside a savepoint that rolled back
    # must not be anchored (a checkpoint of a phantom event would read as truncation)
    head = _head(session)
    if head is None or head.seq is None or head.seq < pending.first:
        session.info.pop(_PENDING, None)
        return
    pending.last, pending.head_hash = head.seq, head.hash
    if _due(pending, config.checkpoint_every) and pending.writer is None:
        pending.writer = CheckpointWriter(config.checkpoint_files)


def _write_checkpoint(session: Session) -> None:
    if session.in_nested_transaction():
        return  # SQLAlchemy reports a savepoint's release as a commit too
    pending = session.info.pop(_PENDING, None)
    config = session.info.get(SESSION_KEY)
    ring = session.info.get(_KEYRING)
    if not isinstance(pending, _Pending) or pending.writer is None:
        return
    if isinstance(config, AuditConfig) and isinstance(ring, Keyring):
        pending.writer.write(
            sign(
                ring,
                seq=pending.last,
                head_hash=pending.head_hash,
                at=pending.at,
                algorithm=config.algorithm,
            )
        )
    pending.writer.close()


def _forget_pending(session: Session) -> None:
    if session.in_transaction():
        return  # a savepoint rolled back: the outer transaction may still commit appends
    pending = session.info.pop(_PENDING, None)
    if isinstance(pending, _Pending) and pending.writer is not None:
        pending.writer.close()


def checkpoint(session: Session, now: datetime) -> Checkpoint | None:
    """Sign and write a checkpoint of the current head now (on demand or on a schedule).

    None when the log is empty. Run against the log as it stands: the events it anchors
    are the ones in the database at this moment (verify first if in doubt).
    """
    config = config_of(session)
    ring = _keyring(session, config, as_utc(now))
    last = _head(session)
    if last is None or last.seq is None:
        return None
    signed = sign(
        ring, seq=last.seq, head_hash=last.hash, at=as_utc(now), algorithm=config.algorithm
    )
    CheckpointWriter(config.checkpoint_files).write(signed)
    return signed


def rotate_key(session: Session, now: datetime, *, actor: str) -> tuple[str, str]:
    """A new active key (old ones kept for verification), recorded as an audit event
    sealed with the new key; returns (old key id, new key id). Commits with the session."""
    config = config_of(session)
    old = _keyring(session, config, as_utc(now))
    new = old.rotate(as_utc(now))
    session.info[_KEYRING] = new
    append(
        session,
        at=now,
        actor=actor,
        action="audit.key.rotated",
        subject=f"audit-key/{new.active.id}",
        payload={"previous": old.active.id, "key": new.active.id},
    )
    return old.active.id, new.active.id
