"""The append-only, hash-chained audit log.

Every mutation appends one :class:`~controlplane.db.models.AuditEvent` whose hash covers
its sequence number, content and the previous event's hash, so editing, removing or
reordering any stored event breaks the chain at a point :func:`verify` names. SHA-256 by
default; SM3 (GB/T 32905, 商用密码) where the estate asks for it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from gmssl import func, sm3
from sqlalchemy import text
from sqlmodel import Session, col, select

from controlplane.db.models import AuditEvent

__all__ = ["GENESIS", "Algorithm", "AuditBreak", "append", "event_hash", "verify"]

Algorithm = Literal["sha256", "sm3"]
GENESIS = "0" * 64
# one fixed advisory-lock key serialises appends on PostgreSQL across processes
_PG_LOCK_KEY = 0x60C10AD17


def _digest(algorithm: str, data: bytes) -> str:
    if algorithm == "sha256":
        return hashlib.sha256(data).hexdigest()
    if algorithm == "sm3":
        return str(sm3.sm3_hash(func.bytes_to_list(data)))
    raise ValueError(f"unknown audit hash algorithm {algorithm!r} (expected sha256 or sm3)")


def event_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    payload: dict[str, Any],
    prev_hash: str,
    algorithm: str,
) -> str:
    """The chain hash of one event (canonical JSON, so storage order of keys is moot)."""
    body = json.dumps(
        {
            "seq": seq,
            "at": at.isoformat(),
            "actor": actor,
            "action": action,
            "subject": subject,
            "payload": payload,
            "prev": prev_hash,
            "alg": algorithm,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    ).encode()
    return _digest(algorithm, body)


def append(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    payload: dict[str, Any] | None = None,
    algorithm: Algorithm = "sha256",
) -> AuditEvent:
    """Append one event inside the caller's transaction (it commits or rolls back with it)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    seq = (last.seq or 0) + 1 if last else 1
    prev = last.hash if last else GENESIS
    body = json.loads(json.dumps(payload or {}, default=str, ensure_ascii=False))
    event = AuditEvent(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        payload=body,
        algorithm=algorithm,
        prev_hash=prev,
        hash=event_hash(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            payload=body,
            prev_hash=prev,
            algorithm=algorithm,
        ),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class AuditBreak:
    """Where the chain stops holding, and why."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"audit event #{self.seq}: {self.reason}"


def _check(events: Iterable[AuditEvent]) -> Iterator[AuditBreak]:
    expected_seq, prev = 1, GENESIS
    for event in events:
        seq = event.seq or 0
        if seq != expected_seq:
            missing = "removed" if seq > expected_seq else "duplicated or reordered"
            yield AuditBreak(seq, f"expected #{expected_seq} here: an event was {missing}")
        if event.prev_hash != prev:
            yield AuditBreak(seq, "previous-hash link does not match the event before it")
        recomputed = event_hash(
            seq=seq,
            at=event.at,
            actor=event.actor,
            action=event.action,
            subject=event.subject,
            payload=event.payload,
            prev_hash=event.prev_hash,
            algorithm=event.algorithm,
        )
        if recomputed != event.hash:
            yield AuditBreak(seq, "content was altered (hash does not match)")
        expected_seq, prev = seq + 1, event.hash


def verify(session: Session) -> list[AuditBreak]:
    """Every break in the stored chain, in order; empty when the log is intact."""
    rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all()
    return list(_check(rows))
