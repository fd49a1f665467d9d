"""Metering and billing tables: raw usage, coverage, rating runs and statements.

Ingest side (append-only): ``IngestBatch`` (one collection run or imported file, keyed
by its content digest so a replayed file is recognised), ``UsageObservationRow`` (one raw
record, unique on its natural key ``(provider, source, source_key)``),
``CollectionWindowRow`` (a source vouching it looked at a provider over a span),
``CoverageGapAck`` (an operator accepting a gap, with the reason) and
``AvailabilityRow`` (an imported monthly availability, the SLA evidence).

Bill side: ``UsageIntervalRow`` (content-addressed intervals, the lineage of lines),
``RatingRun`` (one ``bill run``), ``BillStatement`` (one department's month, its state
draft → confirmed → finalized and stored content hash), ``BillLineRow`` and
``BillAdjustmentRow`` (what the statement shows) and ``ManualAdjustment`` (an approved
correction waiting for its month's run). Table models only; the services in
``controlplane.metering`` and ``controlplane.bills`` are the only writers.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from controlplane.db.types import Money, UTCDateTime

__all__ = [
    "AvailabilityRow",
    "BillAdjustmentRow",
    "BillLineRow",
    "BillStatement",
    "CollectionWindowRow",
    "CoverageGapAck",
    "IngestBatch",
    "ManualAdjustment",
    "RatingRun",
    "UsageIntervalRow",
    "UsageObservationRow",
]


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_type=UTCDateTime(), nullable=nullable, index=index)


def _money(*, nullable: bool = False) -> Any:
    return Field(sa_type=Money(), nullable=nullable)


def _json(factory: type = dict) -> Any:
    return Field(default_factory=factory, sa_column=Column(JSON, nullable=False))


class IngestBatch(SQLModel, table=True):
    """One collection run or imported file; ``digest`` recognises a replay of it."""

    __tablename__ = "ingest_batch"
    __table_args__ = (UniqueConstraint("kind", "digest"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # collect | import
    origin: str = Field(max_length=255)  # file name or provider collected
    digest: str = Field(max_length=64)
    records: int
    new_records: int
    actor: str = Field(max_length=128)
    at: datetime = _ts()


class UsageObservationRow(SQLModel, table=True):
    """One raw usage record; never updated, never deleted."""

    __tablename__ = "usage_observation"
    __table_args__ = (
        UniqueConstraint("provider", "source", "source_key"),
        Index("ix_usage_observation_span", "end", "start"),
    )

    # SQLite only auto-numbers an INTEGER primary key; PostgreSQL gets a BIGINT
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    )
    provider: str = Field(max_length=63)
    source: str = Field(max_length=32)
    source_key: str = Field(max_length=255)
    resource_id: str = Field(max_length=128)
    tenant: str | None = Field(default=None, max_length=63)
    system: str | None = Field(default=None, max_length=63)
    meter: str = Field(max_length=63)
    quantity: Decimal = _money()
    start: datetime = _ts()
    end: datetime = _ts()
    batch_id: int = Field(foreign_key="ingest_batch.id", index=True)


class CollectionWindowRow(SQLModel, table=True):
    """``source`` looked at ``provider`` over ``[start, end)``, whatever it found."""

    __tablename__ = "collection_window"
    __table_args__ = (UniqueConstraint("provider", "source", "start", "end"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=63, index=True)
    source: str = Field(max_length=32)
    start: datetime = _ts()
    end: datetime = _ts()
    batch_id: int | None = Field(default=None, foreign_key="ingest_batch.id")


class CoverageGapAck(SQLModel, table=True):
    """An operator accepts that ``provider`` has no data over ``[start, end)``, and why."""

    __tablename__ = "coverage_gap_ack"
    __table_args__ = (UniqueConstraint("provider", "start", "end"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=63, index=True)
    start: datetime = _ts()
    end: datetime = _ts()
    reason: str = Field(max_length=1000)
    actor: str = Field(max_length=128)
    at: datetime = _ts()


class AvailabilityRow(SQLModel, table=True):
    """A provider's measured availability (percent) for a month, with its evidence."""

    __tablename__ = "availability_measurement"
    __table_args__ = (UniqueConstraint("provider", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=63)
    month: str = Field(max_length=7)
    availability: Decimal = _money()
    evidence: str = Field(max_length=1000)
    actor: str = Field(max_length=128)
    at: datetime = _ts()


class UsageIntervalRow(SQLModel, table=True):
    """A usage interval, addressed by its content id (the lineage of bill lines)."""

    __tablename__ = "usage_interval"

    interval_id: str = Field(primary_key=True, max_length=20)
    provider: str = Field(max_length=63)
    resource_id: str = Field(max_length=128)
    meter: str = Field(max_length=63)
    quantity: int = Field(sa_type=BigInteger)
    start: datetime = _ts()
    end: datetime = _ts()
    observations: list[str] = _json(list)


class RatingRun(SQLModel, table=True):
    """One ``bill run`` of a month: what it read and what it changed."""

    __tablename__ = "rating_run"

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, index=True)
    at: datetime = _ts()
    actor: str = Field(max_length=128)
    observations: int
    intervals: int
    lines: int
    unrated: int
    statements_changed: int
    summary: dict[str, Any] = _json()


class BillStatement(SQLModel, table=True):
    """One department's statement for one month; finalized rows never change."""

    __tablename__ = "bill_statement"
    __table_args__ = (UniqueConstraint("month", "tenant"),)

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, index=True)
    tenant: str = Field(max_length=63)
    tenant_name: str = Field(max_length=200)
    state: str = Field(max_length=16)  # draft | confirmed | finalized
    content_hash: str = Field(max_length=64)
    rate_versions: list[dict[str, str]] = _json(list)
    lines_total: Decimal = _money()
    adjustments_total: Decimal = _money()
    total: Decimal = _money()
    run_id: int = Field(foreign_key="rating_run.id")
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    confirmed_at: datetime | None = _ts(nullable=True)
    confirmed_by: str | None = Field(default=None, max_length=128)
    finalized_at: datetime | None = _ts(nullable=True)
    finalized_by: str | None = Field(default=None, max_length=128)


class BillLineRow(SQLModel, table=True):
    """One rated line of a statement, with its lineage (interval ids, rate version)."""

    __tablename__ = "bill_line"
    __table_args__ = (UniqueConstraint("statement_id", "line_id"),)

    id: int | None = Field(default=None, primary_key=True)
    # no index of its own: the unique key above leads with it (migration 0022)
    statement_id: int = Field(foreign_key="bill_statement.id")
    position: int
    line_id: str = Field(max_length=20)
    system: str = Field(max_length=63)
    provider: str = Field(max_length=63)
    tier: str = Field(max_length=16)
    meter: str = Field(max_length=63)
    unit: str = Field(max_length=16)
    proration: str = Field(max_length=8)
    rate_version: str = Field(max_length=32)
    approval_ref: str = Field(max_length=128)
    unit_price: Decimal = _money()
    period_units: int
    billed_quantity: Decimal = _money()
    discount_percent: Decimal = _money()
    discount_ref: str = Field(max_length=128)
    amount: Decimal = _money()
    interval_ids: list[str] = _json(list)


class BillAdjustmentRow(SQLModel, table=True):
    """One adjustment shown on a statement (SLA deduction or correction)."""

    __tablename__ = "bill_adjustment"

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="bill_statement.id", index=True)
    position: int
    kind: str = Field(max_length=16)
    reason: str = Field(max_length=2000)
    approver: str = Field(max_length=128)
    amount: Decimal = _money()
    relates_to: str = Field(max_length=7)
    provider: str = Field(max_length=63)
    evidence: str = Field(max_length=1000)


class ManualAdjustment(SQLModel, table=True):
    """An approved adjustment entered by hand, placed on ``month``'s statement."""

    __tablename__ = "manual_adjustment"

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, index=True)
    tenant: str = Field(max_length=63)
    kind: str = Field(max_length=16)
    reason: str = Field(max_length=2000)
    approver: str = Field(max_length=128)
    amount: Decimal = _money()
    relates_to: str = Field(max_length=7)
    provider: str = Field(default="", max_length=63)
    evidence: str = Field(default="", max_length=1000)
    actor: str = Field(max_length=128)
    at: datetime = _ts()
