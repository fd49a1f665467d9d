"""Leases on requests: who is provisioning one now, taken by a conditional update.

A request being provisioned carries ``claimed_by`` / ``claimed_until``. :func:`claim`
takes the lease with one ``UPDATE … WHERE`` that only matches a free, expired or
already-own lease, so two processes (CLI, TUI, several ``serve`` replicas) can never
both hold it; a crashed holder's lease expires and anyone may resume the request.
:func:`due` lists the requests the reconciler should work on now; on PostgreSQL the
candidate rows are read ``FOR UPDATE SKIP LOCKED`` so replicas pass each other by
instead of queueing on the same row. Back-off after temporary failures is
:func:`backoff` (it honours the provider's ``retry_after``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col, select

from controlplane.db.models import Request

__all__ = [
    "DEFAULT_LEASE",
    "RequestClaimed",
    "backoff",
    "claim",
    "due",
    "due_ids",
    "release",
    "release_all",
    "renew",
]

DEFAULT_LEASE = timedelta(minutes=10)
_WORKING = ("Provisioning", "Deleting")


class RequestClaimed(Exception):
    """Someone else holds the request's lease (provisioning it right now)."""

    def __init__(self, request_id: int, holder: str, until: datetime | None) -> None:
        self.request_id, self.holder, self.until = request_id, holder, until
        when = until.isoformat() if until else "?"
        super().__init__(
            f"request #{request_id} is being provisioned by {holder} (lease until {when})"
        )

    def describe(self, lang: str = "en") -> str:
        if lang == "zh":
            when = self.until.isoformat() if self.until else "?"
            return f"申请 #{self.request_id} 正由 {self.holder} 开通中（租约至 {when}）"
        return str(self)


def _free(now: datetime, holder: str) -> object:
    return or_(
        col(Request.claimed_by).is_(None),
        col(Request.claimed_by) == holder,
        col(Request.claimed_until) < now,
    )


def claim(session: Session, request_id: int, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take (or extend) the lease of one request; False when another holder has it."""
    result = session.execute(
        update(Request)
        .where(col(Request.id) == request_id, _free(now, holder))  # type: ignore[arg-type]
        .values(claimed_by=holder, claimed_until=now + ttl)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def release(session: Session, request_id: int, holder: str) -> None:
    """Give the lease back (only the holder's own)."""
    session.execute(
        update(Request)
        .where(col(Request.id) == request_id, col(Request.claimed_by) == holder)
        .values(claimed_by=None, claimed_until=None)
    )


def renew(session: Session, holder: str, now: datetime, ttl: timedelta) -> int:
    """Extend every lease ``holder`` still has (the replica's heartbeat)."""
    result = session.execute(
        update(Request)
        .where(col(Request.claimed_by) == holder, col(Request.claimed_until) >= now)
        .values(claimed_until=now + ttl)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount


def release_all(session: Session, holder: str) -> int:
    """Give back every lease ``holder`` has (shutting down)."""
    result = session.execute(
        update(Request)
        .where(col(Request.claimed_by) == holder)
        .values(claimed_by=None, claimed_until=None)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount


def _due_query(now: datetime) -> Any:
    wanted = or_(
        col(Request.state) == "Approved",
        and_(col(Request.state) == "Failed", col(Request.retry_at) <= now),
        col(Request.state).in_(_WORKING),
    )
    unleased = or_(col(Request.claimed_by).is_(None), col(Request.claimed_until) < now)
    return select(Request.id).where(wanted, unleased).order_by(col(Request.id))


def due_ids(session: Session, now: datetime, *, limit: int = 100_000) -> list[int]:
    """The ids :func:`due` would hand out, without locking (the queue's depth)."""
    return [i for i in session.exec(_due_query(now).limit(limit)).all() if i is not None]


def due(session: Session, now: datetime, *, limit: int = 1) -> list[int]:
    """Requests the reconciler should take now, oldest first, none leased by anyone.

    Approved ones; Failed ones whose back-off has passed (temporary errors only — a
    permanent failure has no ``retry_at``); in-flight ones whose holder's lease expired
    (a crash). On PostgreSQL the rows are locked ``FOR UPDATE SKIP LOCKED`` until the
    caller's transaction ends, so concurrent callers get different rows.
    """
    query = _due_query(now).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [i for i in session.exec(query).all() if i is not None]


def backoff(failures: int, retry_after: float | None, *, base: float = 5.0,
            ceiling: float = 900.0) -> timedelta:  # fmt: skip
    """How long to wait after the ``failures``-th consecutive temporary failure:
    doubling from ``base`` up to ``ceiling``, never less than the provider's ``retry_after``."""
    seconds = min(ceiling, base * 2 ** max(0, failures - 1))
    if retry_after is not None:
        seconds = max(seconds, retry_after)
    return timedelta(seconds=seconds)
