"""The pure core of metering, rating and bills.

Owns the way from raw usage observations to a department's monthly statement, as pure
functions over frozen dataclasses (no SQL, no clock, no I/O except the exporters, which
write to a stream or a path):

    observations ─► build_intervals (+ coverage_gaps, ownership_from_observations)
                 ─► rate_month (RateCard, ownership, provider tiers) ─► BillLine
                 ─► sla_adjustments / corrections ─► build_statements ─► export

The persistence side (ingest tables, rating runs in one transaction, statement states)
lives elsewhere in ``controlplane`` and calls these. This package must not import the
database layer, the CLI, provider drivers or Textual.
"""

from controlplane.billing.budgets import BudgetStatus, budget_status
from controlplane.billing.columnar import EpochInterval, EpochRecord, RatedRecords, rate_records
from controlplane.billing.errors import (
    BillingError,
    ConflictingObservation,
    ObservationError,
    OwnershipConflict,
    RateCardError,
    StatementError,
)
from controlplane.billing.intervals import build_intervals, coverage_gaps, deduplicate
from controlplane.billing.meters import KNOWN_METERS, Meter, meter
from controlplane.billing.money import round_half_up_fen
from controlplane.billing.ownership import Ownership, OwnershipTimeline, ownership_from_observations
from controlplane.billing.period import SHANGHAI, Month
from controlplane.billing.ratecard import Discount, Proration, Rate, RateCard, RateCardVersion, Tier
from controlplane.billing.rating import BillLine, Rating, UnratedReason, UnratedUsage, rate_month
from controlplane.billing.sla import AvailabilityMeasurement, SlaRule, SlaTier, sla_adjustments
from controlplane.billing.statements import (
    Adjustment,
    AdjustmentKind,
    LineGroup,
    RateVersionRef,
    Statement,
    build_statement,
    build_statements,
    statement_document,
)
from controlplane.billing.usage import CollectionWindow, CoverageGap, Observation, UsageInterval

__all__ = [
    "KNOWN_METERS",
    "SHANGHAI",
    "Adjustment",
    "AdjustmentKind",
    "AvailabilityMeasurement",
    "BillLine",
    "BillingError",
    "BudgetStatus",
    "CollectionWindow",
    "ConflictingObservation",
    "CoverageGap",
    "Discount",
    "EpochInterval",
    "EpochRecord",
    "LineGroup",
    "Meter",
    "Month",
    "Observation",
    "ObservationError",
    "Ownership",
    "OwnershipConflict",
    "OwnershipTimeline",
    "Proration",
    "Rate",
    "RateCard",
    "RateCardError",
    "RateCardVersion",
    "RateVersionRef",
    "RatedRecords",
    "Rating",
    "SlaRule",
    "SlaTier",
    "Statement",
    "StatementError",
    "Tier",
    "UnratedReason",
    "UnratedUsage",
    "UsageInterval",
    "budget_status",
    "build_intervals",
    "build_statement",
    "build_statements",
    "coverage_gaps",
    "deduplicate",
    "meter",
    "ownership_from_observations",
    "rate_month",
    "rate_records",
    "round_half_up_fen",
    "sla_adjustments",
    "statement_document",
]
