"""Named leases in the ``job_lease`` table, taken by a conditional update.

``hold(sessions, name, holder, now, ttl)`` is a context manager: it takes the lease (or
raises :class:`LeaseHeld` naming who has it) and gives it back on the way out. The names
come from :mod:`controlplane.db.locks`. Works the same on SQLite and PostgreSQL: the
take is one ``UPDATE … WHERE`` on an existing row, or an ``INSERT`` that the primary key
lets only one caller win.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col

from controlplane.db.engine import transaction
from controlplane.db.tables_scheduler import JobLease

__all__ = ["LeaseHeld", "hold", "release", "take"]


class LeaseHeld(Exception):
    """Another holder has the lease (e.g. a sync of the same provider is running)."""

    def __init__(self, name: str, holder: str, until: datetime | None) -> None:
        self.name, self.holder, self.until = name, holder, until
        super().__init__(f"{name} is held by {holder} until {until.isoformat() if until else '?'}")

    def describe(self, lang: str = "en") -> str:
        if lang == "zh":
            until = self.until.isoformat() if self.until else "?"
            return f"{self.name} 正由 {self.holder} 执行中（租约至 {until}）"
        return str(self)


def take(
    sessions: sessionmaker[Session], name: str, holder: str, now: datetime, ttl: timedelta
) -> None:
    """Take ``name`` for ``holder`` until ``now + ttl`` (LeaseHeld if someone else has it)."""
    with transaction(sessions) as session:
        result = session.execute(
            update(JobLease)
            .where(
                col(JobLease.name) == name,
                or_(col(JobLease.holder) == holder, col(JobLease.until) < now),
            )
            .values(holder=holder, until=now + ttl)
        )
        assert isinstance(result, CursorResult)
        if result.rowcount == 1:
            return
    try:
        with transaction(sessions) as session:
            session.add(JobLease(name=name, holder=holder, until=now + ttl))
    except IntegrityError:
        with sessions() as session:
            found = session.get(JobLease, name)
        held_by, until = (found.holder, found.until) if found else ("?", None)
        raise LeaseHeld(name, held_by, until) from None


def release(sessions: sessionmaker[Session], name: str, holder: str) -> None:
    with transaction(sessions) as session:
        session.execute(
            delete(JobLease).where(col(JobLease.name) == name, col(JobLease.holder) == holder)
        )


@contextmanager
def hold(
    sessions: sessionmaker[Session], name: str, holder: str, now: datetime, ttl: timedelta
) -> Iterator[None]:
    take(sessions, name, holder, now, ttl)
    try:
        yield
    finally:
        release(sessions, name, holder)
