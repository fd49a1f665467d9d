"""Monthly statements per department, and their content hash.

Owns ``Adjustment`` (an SLA deduction or a correction, with reason, approver and
evidence), ``Statement`` (one department's month: lines grouped by system and provider,
adjustments, totals, the rate-card versions and 文号 that priced it) and the canonical
document whose SHA-256 is the statement's ``content_hash``: it changes if and only if
something shown to finance changes. The total is exactly the sum of the (already
fen-rounded) lines and adjustments — nothing is rounded here. Imports only the billing
value modules; no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cached_property, lru_cache
from itertools import groupby
from json.encoder import encode_basestring
from typing import Any

from controlplane.billing.errors import StatementError
from controlplane.billing.money import FEN
from controlplane.billing.period import Month
from controlplane.billing.ratecard import RateCard
from controlplane.billing.rating import BillLine, line_sort_key


class AdjustmentKind(StrEnum):
    SLA = "sla"
    CORRECTION = "correction"


@dataclass(frozen=True)
class Adjustment:
    """A signed amount on a statement that is not usage: negative is a credit.

    ``relates_to`` is the month the adjustment is about (a finalized month being
    corrected, or the month whose availability fell short); it may differ from the
    statement's month.
    """

    tenant: str
    kind: AdjustmentKind
    reason: str
    approver: str
    amount: Decimal
    relates_to: str
    provider: str = ""
    evidence: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", AdjustmentKind(self.kind))
        if not self.reason.strip() or not self.approver.strip():
            raise StatementError(f"adjustment for {self.tenant}: reason and approver are required")
        if Decimal(self.amount).quantize(FEN) != self.amount:
            raise StatementError(
                f"adjustment for {self.tenant}: amount {self.amount} is not a whole number of fen"
            )
        object.__setattr__(self, "amount", Decimal(self.amount).quantize(FEN))
        Month.parse(self.relates_to)


@dataclass(frozen=True)
class RateVersionRef:
    """A rate-card version as cited on a statement."""

    version: str
    approval_ref: str
    approver: str


@dataclass(frozen=True)
class LineGroup:
    system: str
    provider: str
    lines: tuple[BillLine, ...]

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


@dataclass(frozen=True)
class Statement:
    """One department's statement for one month."""

    month: str
    tenant: str
    tenant_name: str
    lines: tuple[BillLine, ...]
    adjustments: tuple[Adjustment, ...]
    rate_versions: tuple[RateVersionRef, ...]

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of ``statement_document`` (``canonical_text``)."""
        return hashlib.sha256(canonical_text(self).encode("utf-8")).hexdigest()

    @property
    def groups(self) -> tuple[LineGroup, ...]:
        return tuple(
            LineGroup(system, provider, tuple(lines))
            for (system, provider), lines in groupby(self.lines, lambda x: (x.system, x.provider))
        )

    @property
    def lines_total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def adjustments_total(self) -> Decimal:
        return sum((adj.amount for adj in self.adjustments), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.lines_total + self.adjustments_total


def canonical_number(value: Decimal) -> str:
    """A Decimal as text that does not depend on how it was written (``10`` = ``10.0``)."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _money(value: Decimal) -> str:
    return f"{value.quantize(FEN):f}"


def statement_document(statement: Statement) -> dict[str, Any]:
    """Everything a statement shows, as JSON-ready data (the hashed content)."""
    return {
        "month": statement.month,
        "tenant": statement.tenant,
        "tenantName": statement.tenant_name,
        "rateVersions": [
            {"version": ref.version, "approvalRef": ref.approval_ref, "approver": ref.approver}
            for ref in statement.rate_versions
        ],
        "groups": [
            {
                "system": group.system,
                "provider": group.provider,
                "subtotal": _money(group.subtotal),
                "lines": [_line_document(line) for line in group.lines],
            }
            for group in statement.groups
        ],
        "adjustments": [
            {
                "kind": adj.kind.value,
                "reason": adj.reason,
                "approver": adj.approver,
                "amount": _money(adj.amount),
                "relatesTo": adj.relates_to,
                "provider": adj.provider,
                "evidence": adj.evidence,
            }
            for adj in statement.adjustments
        ],
        "linesTotal": _money(statement.lines_total),
        "adjustmentsTotal": _money(statement.adjustments_total),
        "total": _money(statement.total),
        "currency": "CNY",
    }


def _line_document(line: BillLine) -> dict[str, Any]:
    return {
        "lineId": line.line_id,
        "meter": line.meter,
        "unit": line.unit,
        "tier": line.tier.value,
        "proration": line.proration.value,
        "rateVersion": line.rate_version,
        "approvalRef": line.approval_ref,
        "unitPrice": canonical_number(line.unit_price),
        "periodUnits": line.period_units,
        "billedQuantity": canonical_number(line.billed_quantity),
        "discountPercent": canonical_number(line.discount_percent),
        "discountRef": line.discount_ref,
        "amount": _money(line.amount),
        "intervalIds": list(line.interval_ids),
    }


def canonical_text(statement: Statement) -> str:
    """``json.dumps(statement_document(statement), sort_keys=True, ensure_ascii=False,
    separators=(",", ":"))``, written out directly.

    A month close hashes 3,000 statements of ~40,000 lines, and every read re-checks
    them: building the dicts and sorting their keys was a sixth of a bill run. The keys
    below are in sorted order by hand; ``tests/billing/test_statements.py`` holds this
    text to ``json.dumps`` of the document, byte for byte.
    """
    groups = ",".join(
        f'{{"lines":[{",".join(map(_line_text, group.lines))}],'
        f'"provider":{_text(group.provider)},"subtotal":"{_money(group.subtotal)}",'
        f'"system":{_text(group.system)}}}'
        for group in statement.groups
    )
    adjustments = ",".join(
        f'{{"amount":"{_money(adj.amount)}","approver":{_text(adj.approver)},'
        f'"evidence":{_text(adj.evidence)},"kind":{_text(adj.kind.value)},'
        f'"provider":{_text(adj.provider)},"reason":{_text(adj.reason)},'
        f'"relatesTo":{_text(adj.relates_to)}}}'
        for adj in statement.adjustments
    )
    versions = ",".join(
        f'{{"approvalRef":{_text(ref.approval_ref)},"approver":{_text(ref.approver)},'
        f'"version":{_text(ref.version)}}}'
        for ref in statement.rate_versions
    )
    return (
        f'{{"adjustments":[{adjustments}],'
        f'"adjustmentsTotal":"{_money(statement.adjustments_total)}","currency":"CNY",'
        f'"groups":[{groups}],"linesTotal":"{_money(statement.lines_total)}",'
        f'"month":{_text(statement.month)},"rateVersions":[{versions}],'
        f'"tenant":{_text(statement.tenant)},"tenantName":{_text(statement.tenant_name)},'
        f'"total":"{_money(statement.total)}"}}'
    )


_text = encode_basestring  # a JSON string as json.dumps(..., ensure_ascii=False) writes it
# (also of a Tier or Proration: a StrEnum member is the str of its value)

# unit prices and discount percents: a few values shared by every line of a month close;
# equal Decimals have one canonical text, so caching by value is exact
_repeated_number = lru_cache(maxsize=4096)(canonical_number)


def _line_text(line: BillLine) -> str:
    """``_line_document(line)`` as canonical JSON (sorted keys, no spaces)."""
    return (
        f'{{"amount":"{_money(line.amount)}","approvalRef":{_text(line.approval_ref)},'
        f'"billedQuantity":"{canonical_number(line.billed_quantity)}",'
        f'"discountPercent":"{_repeated_number(line.discount_percent)}",'
        f'"discountRef":{_text(line.discount_ref)},'
        f'"intervalIds":[{",".join(map(_text, line.interval_ids))}],'
        f'"lineId":{_text(line.line_id)},"meter":{_text(line.meter)},'
        f'"periodUnits":{int(line.period_units)},"proration":{_text(line.proration)},'
        f'"rateVersion":{_text(line.rate_version)},"tier":{_text(line.tier)},'
        f'"unit":{_text(line.unit)},"unitPrice":"{_repeated_number(line.unit_price)}"}}'
    )


def _adjustment_key(adj: Adjustment) -> tuple[str, str, str, str, Decimal, str, str]:
    return (
        adj.kind.value,
        adj.relates_to,
        adj.provider,
        adj.reason,
        adj.amount,
        adj.approver,
        adj.evidence,
    )


def build_statement(
    month: Month,
    tenant: str,
    tenant_name: str,
    lines: Iterable[BillLine],
    adjustments: Iterable[Adjustment],
    card: RateCard,
) -> Statement:
    """Assemble and hash one department's statement for ``month``."""
    own_lines = sorted(lines, key=line_sort_key)
    own_adjustments = sorted(adjustments, key=_adjustment_key)
    month_text = str(month)
    for line in own_lines:
        if line.tenant != tenant or line.month != month_text:
            raise StatementError(f"line {line.line_id} is not {tenant}'s for {month}")
    for adj in own_adjustments:
        if adj.tenant != tenant:
            raise StatementError(f"adjustment {adj.reason!r} is not {tenant}'s")
    labels = {line.rate_version for line in own_lines}
    in_force = card.version_at(month.start)
    if in_force is not None:
        labels.add(in_force.version)
    refs = tuple(
        RateVersionRef(v.version, v.approval_ref, v.approver)
        for v in sorted(card.versions, key=lambda v: v.effective_from)
        if v.version in labels
    )
    return Statement(
        month_text, tenant, tenant_name, tuple(own_lines), tuple(own_adjustments), refs
    )


def build_statements(
    month: Month,
    lines: Iterable[BillLine],
    adjustments: Iterable[Adjustment],
    tenants: Mapping[str, str],
    card: RateCard,
) -> tuple[Statement, ...]:
    """One statement per department in ``tenants`` (code → name), sorted by code.

    Every department gets a statement, even an empty one; a line or adjustment for a
    code not in ``tenants`` is an error rather than a bill nobody receives.
    """
    by_tenant_lines: dict[str, list[BillLine]] = {code: [] for code in tenants}
    by_tenant_adjustments: dict[str, list[Adjustment]] = {code: [] for code in tenants}
    for line in lines:
        if line.tenant not in by_tenant_lines:
            raise StatementError(f"line {line.line_id} is for unknown department {line.tenant!r}")
        by_tenant_lines[line.tenant].append(line)
    for adj in adjustments:
        if adj.tenant not in by_tenant_adjustments:
            raise StatementError(f"adjustment for unknown department {adj.tenant!r}")
        by_tenant_adjustments[adj.tenant].append(adj)
    return tuple(
        build_statement(
            month, code, tenants[code], by_tenant_lines[code], by_tenant_adjustments[code], card
        )
        for code in sorted(tenants)
    )
