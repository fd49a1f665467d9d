"""Tables of ``govcloud serve``'s jobs: one row per firing of a job, and named leases.

``job_run`` is both the queue and the record: the leader inserts one row per firing
(``state`` queued; the unique ``(job, due_at)`` keeps a firing from being queued twice,
even across a change of leader), any replica takes it (running, with its name) and
finishes it (ok | failed | temporary | released). ``job_lease`` holds named leases taken
by conditional update (a provider's sync: two never overlap).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from controlplane.db.types import UTCDateTime

__all__ = ["JobLease", "JobRun"]


def _ts(*, nullable: bool = False) -> Any:
    return Field(sa_type=UTCDateTime(), nullable=nullable)


class JobRun(SQLModel, table=True):
    """One firing of a scheduled job: queued, taken by a replica, finished."""

    __tablename__ = "job_run"
    __table_args__ = (
        UniqueConstraint("job", "due_at"),
        Index("ix_job_run_state_due", "state", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=128, index=True)
    due_at: datetime = _ts()
    state: str = Field(max_length=16)  # queued | running | ok | failed | temporary | released
    requested_by: str = Field(max_length=128)  # the leader replica, or who ran `jobs run`
    replica: str | None = Field(default=None, max_length=128)
    started_at: datetime | None = _ts(nullable=True)
    ended_at: datetime | None = _ts(nullable=True)
    error: str | None = None
    # consecutive temporary failures up to and including this run; the back-off grows with it
    failures: int = 0
    retry_in: float | None = None  # seconds the leader waits before the next firing
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class JobLease(SQLModel, table=True):
    """A named lease (``controlplane.scheduler.locks`` names them)."""

    __tablename__ = "job_lease"

    name: str = Field(primary_key=True, max_length=160)
    holder: str = Field(max_length=128)
    until: datetime = _ts()
