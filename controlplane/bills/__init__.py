"""Bills: rating runs, monthly statements and their states, adjustments, exports.

Owns the database side of billing on top of the pure core in ``controlplane.billing``:
``bill run`` (deterministic, one transaction, lines with lineage), statements per
department per month (draft → confirmed → finalized, stored content hash re-checked on
every read), corrections and SLA deductions carried into the next open month, budgets
and the finance exports. Usage comes from ``controlplane.metering``. Must not import
the CLI or Textual.
"""

from controlplane.bills.availability import measured_availability
from controlplane.bills.compute import MonthResult, compute_month
from controlplane.bills.errors import (
    BillError,
    BillRunError,
    FinalizeRefused,
    StatementFinalized,
    StatementTampered,
)
from controlplane.bills.inputs import DEFAULT_SLA_TIERS, EstateInputs, load_inputs, sla_rule
from controlplane.bills.service import BillsService, RunResult, StatementView, bills_service
from controlplane.bills.totals import GroupBy, GroupTotals, group_totals

__all__ = [
    "DEFAULT_SLA_TIERS",
    "BillError",
    "BillRunError",
    "BillsService",
    "EstateInputs",
    "FinalizeRefused",
    "GroupBy",
    "GroupTotals",
    "MonthResult",
    "RunResult",
    "StatementFinalized",
    "StatementTampered",
    "StatementView",
    "bills_service",
    "compute_month",
    "group_totals",
    "load_inputs",
    "measured_availability",
    "sla_rule",
]
