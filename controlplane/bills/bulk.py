"""Bulk writes of a month close: usage intervals and bill lines, in the caller's transaction.

Owns the two wide inserts of ``bill run``. A province's close writes ~80,000 intervals and
~40,000 lines; bound row by row through SQLAlchemy's type processing that alone took
seconds. Here rows go to the driver as plain values: on PostgreSQL by ``COPY`` (the
intervals through a temporary table, so that ``ON CONFLICT DO NOTHING`` keeps the ones
already stored), on SQLite by one prepared ``executemany`` (``INSERT OR IGNORE`` for
intervals), with times converted by the database from epoch seconds into the exact form
``UTCDateTime`` stores. Money goes as the text ``Money`` stores on SQLite and as
``Decimal`` on PostgreSQL; JSON columns as ``json.dumps`` text, as SQLAlchemy writes them.

Why every usage interval a line cites is stored, rather than lines with a hash of their
inputs and intervals derived again on demand (decided for issue 17, month close):

* Intervals are the max envelope of *all* observations of a series, and observations
  keep arriving after a month is finalized (late imports re-rate it only to carry the
  difference into the next open month). Deriving a finalized statement's intervals
  again would need the exact set of observations its run saw. Ingest does not take the
  bill lock and PostgreSQL allocates batch ids before commit, so "batches up to id N"
  is not that set; storing it per run is as large as the intervals themselves.
* The statement's content hash covers its lines' interval ids, and every read
  re-checks it: the drill-down (statement → lines → intervals) of a finalized month is
  then fixed by what is stored, whatever arrives later, and tampering with a line's
  lineage is detected like tampering with its amount.
* Intervals are content-addressed (``usage.interval_id``) and never deleted, so the
  service hands in only the intervals cited by the statements it rewrites: a statement
  whose content hash is unchanged had its intervals stored with it, and a re-run of an
  unchanged month stores none. The cost is paid by the first run of a month: ~0.6 s of
  its ~4 s CPU at province scale (80,761 intervals, stage timer, SQLite, load 10–15;
  0.15 s of it builds the rows), plus their ids (one SHA-256 each) in the rating pass.
  It is also a floor: on SQLite the month's read (0.4 s) and this write alone exceed the
  1.2 s that would be 5× the DuckDB reference (issue 17, bill-close, 2026-12-06).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring_ascii
from typing import Any

from sqlalchemy import Column, MetaData, Table
from sqlmodel import Session

from controlplane.billing import BillLine, EpochInterval
from controlplane.db import table_of
from controlplane.db.bulk import BulkInsert
from controlplane.db.tables_billing import BillLineRow

__all__ = ["LINE_COLUMNS", "insert_lines", "store_intervals"]

LINE_COLUMNS = ("statement_id", "position", "line_id", "system", "provider", "tier", "meter",
                "unit", "proration", "rate_version", "approval_ref", "unit_price",
                "period_units", "billed_quantity", "discount_percent", "discount_ref",
                "amount", "interval_ids")  # fmt: skip
_INTERVAL_COLUMNS = (
    '(interval_id, provider, resource_id, meter, quantity, "start", "end", observations)'
)
_LINES = table_of(BillLineRow)
# PostgreSQL's staging table of new intervals (``store_intervals``), as ``BulkInsert``
# writes it: every value already the driver's, so its columns need no type
_STAGED = ("interval_id", "provider", "resource_id", "meter", "quantity", "s", "e",
           "observations")  # fmt: skip
_STAGING = Table("bulk_interval", MetaData(), *(Column(name) for name in _STAGED))
_SQLITE_TIME = "strftime('%Y-%m-%d %H:%M:%S', ?, 'unixepoch') || '.000000'"


def _json_strings(items: Iterable[str]) -> str:
    """``json.dumps(list(items))`` for strings, without the encoder's per-call set-up."""
    return "[" + ", ".join(map(encode_basestring_ascii, items)) + "]"


def _driver(session: Session) -> tuple[str, Any]:
    connection = session.connection()
    return connection.dialect.name, connection


def store_intervals(session: Session, intervals: Sequence[EpochInterval]) -> None:
    """Insert ``intervals`` into ``usage_interval``, skipping ids already stored."""
    if not intervals:
        return
    join = "/".join
    rows = [
        (iv.interval_id, iv.provider, iv.resource_id, iv.meter, iv.quantity, iv.start, iv.end,
         _json_strings(map(join, iv.observations)))
        for iv in intervals
    ]  # fmt: skip
    dialect, connection = _driver(session)
    if dialect == "postgresql":
        connection.exec_driver_sql(
            "CREATE TEMPORARY TABLE IF NOT EXISTS bulk_interval (interval_id text, provider text,"
            " resource_id text, meter text, quantity bigint, s bigint, e bigint,"
            " observations json) ON COMMIT DELETE ROWS"
        )
        BulkInsert(session, _STAGING, _STAGED, raw=_STAGED).write(rows)
        connection.exec_driver_sql(
            f"INSERT INTO usage_interval {_INTERVAL_COLUMNS} SELECT interval_id, provider,"
            " resource_id, meter, quantity, to_timestamp(s), to_timestamp(e), observations"
            " FROM bulk_interval ON CONFLICT (interval_id) DO NOTHING"
        )
        connection.exec_driver_sql("TRUNCATE bulk_interval")
        return
    connection.exec_driver_sql(
        f"INSERT OR IGNORE INTO usage_interval {_INTERVAL_COLUMNS} "
        f"VALUES (?, ?, ?, ?, ?, {_SQLITE_TIME}, {_SQLITE_TIME}, ?)",
        rows,
    )


def _line_values(statement_id: int, position: int, line: BillLine, text: bool) -> tuple[Any, ...]:
    """One ``bill_line`` row; ``text``: Money as exact decimal text (SQLite), else Decimal."""
    money = (line.unit_price, line.billed_quantity, line.discount_percent, line.amount)
    price, quantity, percent, amount = map(str, money) if text else money
    return (statement_id, position, line.line_id, line.system, line.provider, line.tier.value,
            line.meter, line.unit, line.proration.value, line.rate_version, line.approval_ref,
            price, line.period_units, quantity, percent, line.discount_ref, amount,
            _json_strings(line.interval_ids))  # fmt: skip


def insert_lines(session: Session, lines: Iterable[tuple[int, int, BillLine]]) -> None:
    """Insert (statement id, position, line) rows into ``bill_line``."""
    writer = BulkInsert(session, _LINES, LINE_COLUMNS, raw=LINE_COLUMNS)
    text = not writer.postgresql
    writer.write(
        [_line_values(statement_id, position, line, text) for statement_id, position, line in lines]
    )
