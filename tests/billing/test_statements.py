"""Statements, content hashes, SLA deductions and budgets.

Cases covered:
- one statement per department (an empty one too), lines grouped by system and
  provider, total = sum of rounded lines + adjustments exactly, versions and 文号 cited;
- the content hash is stable across input order and changes when any shown value does
  (an amount, a name, an adjustment) — and only then; the canonical text it hashes is
  byte for byte ``json.dumps`` of the statement document, hostile strings included;
- SLA: availability at/above target deducts nothing; below a tier deducts the largest
  matching tier's percent of the department's charges on that provider, rounded half-up
  once, as an adjustment with evidence; percent strings like "5%" parse;
- adjustments need reason and approver and whole fen; lines for unknown departments fail;
- budgets: linear run-rate projection and the overrun flag.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime
from decimal import Decimal

import pytest

from controlplane.billing import (
    SHANGHAI,
    Adjustment,
    AdjustmentKind,
    AvailabilityMeasurement,
    BillLine,
    Month,
    Observation,
    RateCard,
    RateCardError,
    SlaRule,
    StatementError,
    Tier,
    budget_status,
    build_intervals,
    build_statements,
    ownership_from_observations,
    rate_month,
    sla_adjustments,
    statement_document,
)
from controlplane.billing.statements import canonical_text

MARCH = Month.parse("2026-03")


@pytest.fixture
def lines(
    card: RateCard, march_usage: list[Observation], tiers: dict[str, Tier]
) -> tuple[BillLine, ...]:
    owners = ownership_from_observations(march_usage)
    return rate_month(MARCH, build_intervals(march_usage), owners, card, tiers).lines


def correction(tenant: str, amount: str) -> Adjustment:
    return Adjustment(
        tenant, AdjustmentKind.CORRECTION, "二月多计 IP 费用", "李科长", Decimal(amount), "2026-02"
    )


def test_statements(lines: tuple[BillLine, ...], card: RateCard, tenants: dict[str, str]) -> None:
    extra = {**tenants, "idle": "省档案馆"}
    statements = build_statements(MARCH, lines, [correction("hrss", "-30.00")], extra, card)
    assert [s.tenant for s in statements] == ["city-a-edu", "hrss", "idle", "water-dept"]
    hrss = statements[1]
    assert hrss.tenant_name == "省人力资源和社会保障厅"
    assert [(g.system, g.provider) for g in hrss.groups] == [("portal", "prov-main")]
    assert hrss.lines_total == sum(line.amount for line in hrss.lines)
    assert hrss.total == hrss.lines_total - Decimal("30.00")
    assert [r.approval_ref for r in hrss.rate_versions] == [
        "省数管〔2025〕12号",
        "省数管〔2026〕3号",
    ]
    idle = statements[2]
    assert idle.lines == () and idle.total == 0
    assert [r.version for r in idle.rate_versions] == ["2026.1"]  # the version in force on the 1st
    assert len(hrss.content_hash) == 64


def test_content_hash_changes_iff_content_changes(
    lines: tuple[BillLine, ...], card: RateCard, tenants: dict[str, str]
) -> None:
    base = build_statements(MARCH, lines, [], tenants, card)
    again = build_statements(MARCH, list(reversed(lines)), [], tenants, card)
    assert [s.content_hash for s in again] == [s.content_hash for s in base]
    bumped = [dataclasses.replace(lines[0], amount=lines[0].amount + Decimal("0.01")), *lines[1:]]
    changed = build_statements(MARCH, bumped, [], tenants, card)
    assert changed[0].content_hash != base[0].content_hash
    assert [s.content_hash for s in changed[1:]] == [s.content_hash for s in base[1:]]
    renamed = build_statements(MARCH, lines, [], {**tenants, "hrss": "人社厅"}, card)
    assert renamed[1].content_hash != base[1].content_hash
    adjusted = build_statements(MARCH, lines, [correction("hrss", "0.00")], tenants, card)
    assert adjusted[1].content_hash != base[1].content_hash


HOSTILE = 'a"b\\c\n\t\x00\x1f\x7f 省\u2028\ud7ff😀 </script>'


def test_canonical_text_is_json_dumps_of_the_document(
    lines: tuple[BillLine, ...], card: RateCard, tenants: dict[str, str]
) -> None:
    odd = dataclasses.replace(lines[0], system=HOSTILE, discount_ref=HOSTILE, approval_ref="",
                              discount_percent=Decimal("12.50"), billed_quantity=Decimal("0.5"),
                              unit_price=Decimal("100.0000"), amount=Decimal("-3.10"))  # fmt: skip
    weird = Adjustment("hrss", AdjustmentKind.SLA, HOSTILE, HOSTILE, Decimal("-0.01"), "2026-02",
                       HOSTILE, HOSTILE)  # fmt: skip
    statements = build_statements(MARCH, [odd, *lines[1:]], [weird, correction("hrss", "5")],
                                  {**tenants, "idle": HOSTILE}, card)  # fmt: skip
    for statement in statements:
        expected = json.dumps(statement_document(statement), sort_keys=True,
                              ensure_ascii=False, separators=(",", ":"))  # fmt: skip
        assert canonical_text(statement) == expected
        assert statement.content_hash == hashlib.sha256(expected.encode()).hexdigest()
    assert any(HOSTILE in json.loads(canonical_text(s))["tenantName"] for s in statements)


def test_sla_deduction(
    lines: tuple[BillLine, ...], card: RateCard, tenants: dict[str, str]
) -> None:
    rule = SlaRule.from_data(
        "99.95", [{"below": "99.9", "deduct": "5%"}, {"below": "99.5", "deduct": "10%"}]
    )
    assert rule.deduction_percent(Decimal("99.95")) == 0
    assert rule.deduction_percent(Decimal("99.92")) == 0  # below target, above every tier
    assert rule.deduction_percent(Decimal("99.7")) == 5
    assert rule.deduction_percent(Decimal("99.2")) == 10
    evidence = "health:prov-main:2026-03 (43 outage minutes)"
    measured = [
        AvailabilityMeasurement("prov-main", "2026-03", Decimal("99.80"), evidence),
        AvailabilityMeasurement("water-k8s", "2026-03", Decimal("99.99"), "health:water"),
    ]
    rules = {"prov-main": rule, "water-k8s": rule}
    adjustments = sla_adjustments(MARCH, lines, measured, rules, "考核小组")
    (deduction,) = adjustments
    charges = sum(line.amount for line in lines if line.tenant == "hrss")
    assert deduction.tenant == "hrss" and deduction.provider == "prov-main"
    assert deduction.amount == -(charges * Decimal("0.05")).quantize(
        Decimal("0.01"), "ROUND_HALF_UP"
    )
    assert deduction.evidence == evidence and deduction.kind is AdjustmentKind.SLA
    statements = build_statements(MARCH, lines, adjustments, tenants, card)
    assert statements[1].total == charges + deduction.amount
    with pytest.raises(RateCardError, match="above the target"):
        SlaRule.from_data("99.0", [{"below": "99.5", "deduct": "5"}])
    with pytest.raises(RateCardError, match="not a percentage"):
        SlaRule.from_data("abc", [])


def test_adjustment_and_statement_errors(lines: tuple[BillLine, ...], card: RateCard) -> None:
    with pytest.raises(StatementError, match="reason and approver"):
        Adjustment("hrss", AdjustmentKind.CORRECTION, " ", "x", Decimal(1), "2026-02")
    with pytest.raises(StatementError, match="whole number of fen"):
        correction("hrss", "0.001")
    with pytest.raises(StatementError, match="unknown department 'hrss'"):
        build_statements(MARCH, lines, [], {"water-dept": "省水利厅", "city-a-edu": "x"}, card)


def test_budget_projection() -> None:
    halfway = datetime(2026, 3, 16, 12, tzinfo=SHANGHAI)  # 372 of 744 hours
    status = budget_status(
        "hrss", Decimal("1200000.00"), MARCH, halfway, Decimal("60000.00"), Decimal("200000.00")
    )
    assert status.projected_month == Decimal("120000.00")
    assert status.projected_year == Decimal("200000.00") + 10 * Decimal("120000.00")
    assert status.projected_overrun
    frugal = budget_status(
        "hrss", Decimal("1200000.00"), MARCH, halfway, Decimal("10000.00"), Decimal("0")
    )
    assert not frugal.projected_overrun
    assert frugal.projected_utilisation_percent == Decimal("16.67")
    before = budget_status(
        "hrss", Decimal("1"), MARCH, datetime(2026, 2, 1, tzinfo=SHANGHAI), Decimal(0), Decimal(0)
    )
    assert before.projected_year == 0 and not before.projected_overrun
