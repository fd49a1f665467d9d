"""Metering: getting usage into the database, exactly once, and knowing what is missing.

Owns ingest (append-only raw records keyed by ``(provider, source, source_key)``; a
replayed batch changes nothing), live collection from provider drivers with recorded
collection windows, ``meter import`` parsing with located errors, coverage gaps and
their acknowledgement, and imported availability figures (SLA evidence). Rating and
statements live in ``controlplane.bills``; the pure rules in ``controlplane.billing``.
Must not import the CLI or Textual.
"""

from controlplane.metering.coverage import MonthCoverage, month_coverage
from controlplane.metering.importing import COLUMNS, ImportFile, parse_import
from controlplane.metering.records import RawUsage
from controlplane.metering.service import (
    CollectResult,
    ImportResult,
    MeteringError,
    MeteringService,
    metering_service,
)
from controlplane.metering.store import IngestConflict, IngestOutcome, load_usage

__all__ = [
    "COLUMNS",
    "CollectResult",
    "ImportFile",
    "ImportResult",
    "IngestConflict",
    "IngestOutcome",
    "MeteringError",
    "MeteringService",
    "MonthCoverage",
    "RawUsage",
    "load_usage",
    "metering_service",
    "month_coverage",
    "parse_import",
]
