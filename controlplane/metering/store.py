"""Append-only ingest of usage records, and reading them back.

Owns the one write path into ``usage_observation`` and ``collection_window``: rows go
in with ``INSERT … ON CONFLICT DO NOTHING`` on their natural keys (SQLite and
PostgreSQL alike), so a replayed batch — the same file again, a collector re-run, two
processes at once — adds nothing. A record whose key is already stored with *different*
content is a conflict: the whole batch is refused (nothing written) and the offending
records are named, never resolved by arrival order. A batch is recognised by the digest
of its content: replaying it writes no batch row and no audit event either.

Works inside the caller's session/transaction; imports the billing tables and the
audit log, never the CLI or drivers.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Table, and_, cast, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from controlplane import audit
from controlplane.billing import BillingError, CollectionWindow, EpochRecord, meter
from controlplane.db import table_of
from controlplane.db.bulk import driver_rows
from controlplane.db.tables_billing import (
    CollectionWindowRow,
    IngestBatch,
    UsageObservationRow,
)
from controlplane.metering.records import RawUsage

__all__ = [
    "IngestConflict",
    "IngestOutcome",
    "StoredConflict",
    "batch_digest",
    "ingest",
    "insert_ignore",
    "load_records",
    "load_usage",
    "load_windows",
]

_CHUNK = 500
_BATCH = 10_000
OBSERVATIONS: Table = table_of(UsageObservationRow)
WINDOWS: Table = table_of(CollectionWindowRow)
BATCHES: Table = table_of(IngestBatch)


@dataclass(frozen=True)
class StoredConflict:
    """Record ``index`` of the batch contradicts what is stored (or an earlier record)."""

    index: int
    record: RawUsage
    stored: str

    def __str__(self) -> str:
        key = "/".join(self.record.natural_key)
        return f"record {key} contradicts {self.stored}"


class IngestConflict(ValueError):
    """A batch was refused because some records contradict stored ones."""

    def __init__(self, conflicts: Sequence[StoredConflict]) -> None:
        self.conflicts = tuple(conflicts)
        super().__init__("; ".join(str(c) for c in self.conflicts[:5]))


@dataclass(frozen=True)
class IngestOutcome:
    batch_id: int | None
    records: int
    new_records: int
    replayed: bool


def _insert(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect {dialect!r}")


def insert_ignore(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert ``rows``, skipping any whose ``keys`` are already present."""
    if not rows:
        return
    # one compiled statement, executed for many rows: SQLAlchemy batches it into
    # multi-row VALUES itself ("insertmanyvalues") on both engines
    statement = _insert(session, table).on_conflict_do_nothing(index_elements=list(keys))
    for start in range(0, len(rows), _BATCH):
        session.execute(statement, list(rows[start : start + _BATCH]))


def batch_digest(
    kind: str, records: Iterable[RawUsage], windows: Iterable[CollectionWindow]
) -> str:
    """A digest of a batch's content, independent of record order and repetition."""
    lines = sorted(
        {"\x1f".join((*r.natural_key, *map(str, r.payload()))) for r in records}
        | {f"window\x1f{w.provider}\x1f{w.source}\x1f{w.start}\x1f{w.end}" for w in windows}
    )
    digest = hashlib.sha256(kind.encode())
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _row(record: RawUsage, batch_id: int) -> dict[str, Any]:
    return {
        "provider": record.provider,
        "source": record.source,
        "source_key": record.source_key,
        "resource_id": record.resource_id,
        "tenant": record.tenant or None,
        "system": record.system or None,
        "meter": record.meter,
        "quantity": record.quantity,
        "start": record.start,
        "end": record.end,
        "batch_id": batch_id,
    }


def _stored_payload(row: Any) -> tuple[Any, ...]:
    return (row.resource_id, row.tenant, row.system, row.meter, row.quantity, row.start, row.end)


def _describe(payload: tuple[Any, ...]) -> str:
    resource_id, tenant, system, meter, quantity, start, end = payload
    return (
        f"{resource_id} {meter}={quantity} {tenant or '-'}/{system or '-'} "
        f"[{start.isoformat()}, {end.isoformat()})"
    )


def _conflicts(session: Session, records: Sequence[RawUsage]) -> Iterator[StoredConflict]:
    first: dict[tuple[str, str, str], int] = {}
    by_source: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        earlier = first.get(record.natural_key)
        if earlier is None:
            first[record.natural_key] = index
            by_source[(record.provider, record.source)].append(index)
        elif records[earlier].payload() != record.payload():
            yield StoredConflict(
                index,
                record,
                f"record {earlier + 1} of the same batch: " + _describe(records[earlier].payload()),
            )
    c = OBSERVATIONS.c
    for (provider, source), indexes in by_source.items():
        if not session.execute(
            select(func.count()).where(c.provider == provider, c.source == source)
        ).scalar_one():
            continue
        for start in range(0, len(indexes), _CHUNK):
            chunk = {records[i].source_key: i for i in indexes[start : start + _CHUNK]}
            stored = session.execute(
                select(c.source_key, c.resource_id, c.tenant, c.system, c.meter, c.quantity,
                       c.start, c.end, c.batch_id)
                .where(c.provider == provider, c.source == source, c.source_key.in_(chunk))
            )  # fmt: skip
            for row in stored:
                index = chunk[row.source_key]
                if _stored_payload(row) != records[index].payload():
                    yield StoredConflict(
                        index,
                        records[index],
                        f"stored record (batch #{row.batch_id}): "
                        + _describe(_stored_payload(row)),
                    )


def ingest(
    session: Session,
    records: Sequence[RawUsage],
    windows: Sequence[CollectionWindow],
    *,
    kind: str,
    origin: str,
    actor: str,
    at: datetime,
) -> IngestOutcome:
    """Append ``records`` and ``windows`` as one batch; a replay changes nothing."""
    digest = batch_digest(kind, records, windows)
    inserted = session.execute(
        _insert(session, BATCHES)
        .values(kind=kind, origin=origin[:255], digest=digest, records=len(records),
                new_records=0, actor=actor, at=at)
        .on_conflict_do_nothing(index_elements=["kind", "digest"])
        .returning(BATCHES.c.id)
    ).scalar_one_or_none()  # fmt: skip
    if inserted is None:
        return IngestOutcome(None, len(records), 0, replayed=True)
    conflicts = list(_conflicts(session, records))
    if conflicts:
        raise IngestConflict(conflicts)
    before = _count(session, records)
    insert_ignore(
        session,
        OBSERVATIONS,
        [_row(record, inserted) for record in records],
        ("provider", "source", "source_key"),
    )
    insert_ignore(
        session,
        WINDOWS,
        [
            {"provider": w.provider, "source": w.source, "start": w.start, "end": w.end,
             "batch_id": inserted}
            for w in windows
        ],
        ("provider", "source", "start", "end"),
    )  # fmt: skip
    new_records = _count(session, records) - before
    session.execute(
        BATCHES.update().where(BATCHES.c.id == inserted).values(new_records=new_records)
    )
    audit.append(
        session,
        at=at,
        actor=actor,
        action=f"meter.{kind}",
        subject=f"ingest_batch/{inserted}",
        payload={
            "origin": origin,
            "digest": digest,
            "records": len(records),
            "new_records": new_records,
            "windows": [[w.provider, w.source, w.start, w.end] for w in windows],
        },
    )
    return IngestOutcome(inserted, len(records), new_records, replayed=False)


def _count(session: Session, records: Sequence[RawUsage]) -> int:
    pairs = sorted({(r.provider, r.source) for r in records})
    if not pairs:
        return 0
    c = OBSERVATIONS.c
    return int(
        session.execute(
            select(func.count()).where(tuple_(c.provider, c.source).in_(pairs))
        ).scalar_one()
    )


def load_usage(session: Session, start: datetime, end: datetime) -> list[RawUsage]:
    """Every stored record overlapping ``[start, end)``."""
    c = OBSERVATIONS.c
    rows = session.execute(
        select(c.provider, c.source, c.source_key, c.resource_id, c.tenant, c.system, c.meter,
               c.quantity, c.start, c.end)
        .where(and_(c.start < end, c.end > start))
    )  # fmt: skip
    return [RawUsage(*row) for row in rows]


@dataclass(frozen=True)
class StoredRecords:
    """The month's stored records with a department, and how many were read in all."""

    records: list[EpochRecord]
    total: int


def _epoch(column: Any, dialect: str) -> ColumnElement[int]:
    if dialect == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)
        return cast(func.strftime("%s", column), BigInteger)
    # date_part is double precision, exact for whole seconds (< 2^53), and half the server
    # time of extract's NUMERIC at 100,000 rows; the others fall back anyway
    return cast(func.date_part("epoch", column), BigInteger)


def _whole_second(column: ColumnElement[Any], dialect: str) -> ColumnElement[bool]:
    if dialect == "sqlite":
        return func.substr(column, 20) == ".000000"
    return func.date_trunc("second", column) == column


def load_records(session: Session, start: datetime, end: datetime) -> StoredRecords | None:
    """Every stored record overlapping ``[start, end)`` as epoch values, for bulk rating.

    The times are converted by the database, the quantities once per distinct value.
    ``None`` when some attributed record is not one the core would accept as it stands
    (sub-second time, empty field, empty span, quantity not whole in base units): the
    caller then goes through ``load_usage`` and the core's own checks, which name it.
    """
    # straight off the driver: a province's month is ~100,000 rows of 11 columns, and
    # wrapping each in a ``Row`` with its type processors cost more than the database's work
    dialect = session.get_bind().dialect.name
    c = OBSERVATIONS.c
    rows = list(driver_rows(session,
        select(c.provider, c.source, c.source_key, c.resource_id, c.tenant, c.system, c.meter,
               c.quantity, _epoch(c.start, dialect), _epoch(c.end, dialect),
               and_(_whole_second(c.start, dialect), _whole_second(c.end, dialect)))
        .where(and_(c.start < end, c.end > start))
    ))  # fmt: skip
    quantities: dict[tuple[str, Any], tuple[Decimal, int]] = {}
    records: list[EpochRecord] = []
    for provider, source, key, resource_id, tenant, system, name, raw, lo, hi, whole in rows:
        if not tenant:
            continue
        if not (whole and lo < hi and provider and source and key and resource_id and name):
            return None
        known = quantities.get((name, raw))
        if known is None:
            try:
                quantity = Decimal(raw)  # text on SQLite (Money), NUMERIC on PostgreSQL
                known = quantities[(name, raw)] = (quantity, meter(name).to_base(quantity))
            except (BillingError, ArithmeticError):
                return None
        records.append(EpochRecord(provider, source, key, resource_id, tenant, system or "",
                                   name, *known, lo, hi))  # fmt: skip
    return StoredRecords(records, len(rows))


def load_windows(session: Session, start: datetime, end: datetime) -> list[CollectionWindow]:
    """Every collection window overlapping ``[start, end)``."""
    c = WINDOWS.c
    rows = session.execute(
        select(c.provider, c.source, c.start, c.end).where(c.start < end, c.end > start)
    )
    return [CollectionWindow(*row) for row in rows]
