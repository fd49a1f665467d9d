"""Rating runs, statement states, finalize, corrections, SLA and budgets (both databases).

Cases: a month collected from a simulator cloud and imported from a sector cloud rates to
hand-computed amounts (full month 4 vCPU + 8 GiB = 340.00; the sector lines 27.10, 24.52,
64.11 with the storage hours rounded up); re-running changes no statement row; finalize
is refused before the month ends and while a coverage gap is open — the gap is named,
through the CLI too — and succeeds once the gap is acknowledged with a reason; a
finalized statement is unchanged, row for row, after a later import, a price change
(estate re-applied) and a re-run, and the difference appears once as a correction on the
next open month (not again after that month is finalized too); a hand-entered
adjustment for a finalized month lands on the next open month; a measured availability
below target credits the department, and a later lower figure adds the difference next
month; editing a stored line behind the service's back is detected on read and export;
``bill show`` flags the department projected to overrun its budget.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, select, text

from controlplane.app import App
from controlplane.billing import Month
from controlplane.bills import BillsService, FinalizeRefused, StatementTampered
from controlplane.metering import MeteringService

from .conftest import APRIL, ESTATE, MARCH, apply_estate, cli, start_server, usage_csv, water_row

GAP = "water-cloud: no usage data for [2026-03-10T16:00:00+00:00, 2026-03-31T16:00:00+00:00)"
WATER = [
    water_row("ns-1", "compute.vcpu", "2", "2026-03-01T00:00:00+08:00", "2026-03-11T00:00:00+08:00"),
    water_row("ns-1", "compute.memory", "4", "2026-03-01T00:00:00+08:00", "2026-03-11T00:00:00+08:00"),
    water_row("pv-1", "storage.ssd", "100", "2026-03-05T12:30:00+08:00", "2026-03-11T00:00:00+08:00"),
]  # fmt: skip
REST_OF_MARCH = water_row(
    "pv-1", "storage.ssd", "100", "2026-03-11T00:00:00+08:00", "2026-04-01T00:00:00+08:00"
)
BILL_TABLES = ("bill_statement", "bill_line", "bill_adjustment")


def bill_rows(engine: Engine, month: str) -> dict[str, list[tuple[Any, ...]]]:
    meta = MetaData()
    meta.reflect(engine, only=BILL_TABLES)
    statements, lines, adjustments = (meta.tables[name] for name in BILL_TABLES)
    ids = select(statements.c.id).where(statements.c.month == month)
    with engine.connect() as conn:
        return {
            "statements": list(
                conn.execute(select(statements).where(statements.c.month == month).order_by("id"))
            ),
            "lines": list(conn.execute(select(lines).where(lines.c.statement_id.in_(ids)).order_by("id"))),
            "adjustments": list(
                conn.execute(
                    select(adjustments).where(adjustments.c.statement_id.in_(ids)).order_by("id")
                )
            ),
        }  # fmt: skip


def march(app: App, metering: MeteringService, tmp_path: Path, *, whole: bool = True) -> None:
    """A server on the simulator from 25 Feb; sector usage imported; clock on 2 April."""
    app.clock.now = datetime(2026, 2, 25, tzinfo=UTC)  # type: ignore[attr-defined]
    start_server(app)
    app.clock.now = datetime(2026, 4, 2, tzinfo=UTC)  # type: ignore[attr-defined]
    assert [r.status for r in metering.collect(actor="ops", providers=["sim-prov"])] == [
        "collected"
    ]
    rows = WATER + ([REST_OF_MARCH] if whole else [])
    metering.import_file(usage_csv(tmp_path / "water.csv", rows), actor="ops")


def totals(bills: BillsService, month: Month) -> dict[str, Decimal]:
    return {s.tenant: s.total for s in bills.statements(month)}


def test_month_rates_to_hand_computed_amounts_and_rerun_is_a_noop(
    billing_app: App, metering: MeteringService, bills: BillsService, tmp_path: Path
) -> None:
    march(billing_app, metering, tmp_path)
    result = bills.run(MARCH, actor="finance")
    assert result.changed == ("hrss", "water-dept") and result.unrated == 0
    (hrss, water) = bills.statements(MARCH)
    assert [line.amount for line in hrss.lines] == [Decimal("160.00"), Decimal("180.00")]
    assert hrss.total == Decimal("340.00")
    assert {line.meter: line.amount for line in water.lines} == {
        "compute.vcpu": Decimal("27.10"),
        "compute.memory": Decimal("24.52"),
        "storage.ssd": Decimal("64.11"),
    }
    assert all(line.interval_ids and line.rate_version == "2026.1" for line in water.lines)
    before = bill_rows(billing_app.engine, "2026-03")
    again = bills.run(MARCH, actor="finance")
    assert again.changed == () and again.total == Decimal("455.73")
    assert bill_rows(billing_app.engine, "2026-03") == before


def test_finalize_refuses_open_gap_by_name_until_acknowledged(
    billing_app: App, metering: MeteringService, bills: BillsService, tmp_path: Path, capsys: Any
) -> None:
    billing_app.clock.now = datetime(2026, 3, 20, tzinfo=UTC)  # type: ignore[attr-defined]
    with pytest.raises(FinalizeRefused, match="has not ended"):
        bills.finalize(MARCH, actor="finance")
    march(billing_app, metering, tmp_path, whole=False)
    bills.run(MARCH, actor="finance")
    with pytest.raises(FinalizeRefused) as refused:
        bills.finalize(MARCH, actor="finance")
    assert refused.value.reasons == (f"unacknowledged coverage gap {GAP}",)
    assert cli(billing_app, "bill", "finalize", "--month", "2026-03") == 1
    assert GAP in capsys.readouterr().err
    ack = ["meter", "gap", "ack", "--month", "2026-03", "--provider", "water-cloud"]
    assert cli(billing_app, *ack, "--reason", "流域云 3 月停用 decommissioned") == 0
    assert "acknowledged 1 coverage gaps" in capsys.readouterr().out
    assert cli(billing_app, "meter", "gaps", "--month", "2026-03", "-o", "json") == 0
    (shown,) = json.loads(capsys.readouterr().out)
    assert shown["status"] == "acknowledged" and "decommissioned" in shown["reason"]
    assert bills.finalize(MARCH, actor="finance") == ["hrss", "water-dept"]
    with pytest.raises(FinalizeRefused, match="already finalized"):
        bills.finalize(MARCH, actor="finance")


def finalized_march(
    app: App, metering: MeteringService, bills: BillsService, tmp_path: Path
) -> dict[str, list[tuple[Any, ...]]]:
    march(app, metering, tmp_path)
    bills.run(MARCH, actor="finance")
    bills.confirm(MARCH, actor="hrss-head", tenant="hrss")
    assert bills.finalize(MARCH, actor="finance") == ["hrss", "water-dept"]
    return bill_rows(app.engine, "2026-03")


def test_finalized_statement_never_changes_and_is_corrected_next_month(
    billing_app: App, metering: MeteringService, bills: BillsService, tmp_path: Path
) -> None:
    frozen = finalized_march(billing_app, metering, bills, tmp_path)
    late = water_row(
        "ns-2", "compute.vcpu", "1", "2026-03-20T00:00:00+08:00", "2026-03-20T10:00:00+08:00"
    )
    metering.import_file(usage_csv(tmp_path / "late.csv", [late]), actor="ops")
    apply_estate(
        billing_app, ESTATE.read_text().replace('provincial: "45.00"', 'provincial: "46.00"')
    )
    rerun = bills.run(MARCH, actor="finance")
    assert rerun.finalized and rerun.changed == ()
    assert rerun.drift == {
        "hrss": (Decimal("340.00"), Decimal("344.00")),
        "water-dept": (Decimal("115.73"), Decimal("116.29")),
    }
    assert bill_rows(billing_app.engine, "2026-03") == frozen

    bills.run(APRIL, actor="finance")
    bills.run(APRIL, actor="finance")  # recomputed, never doubled
    corrections = {
        s.tenant: [(a.kind.value, a.relates_to, a.amount) for a in s.adjustments]
        for s in bills.statements(APRIL)
    }
    assert corrections == {
        "hrss": [("correction", "2026-03", Decimal("4.00"))],
        "water-dept": [("correction", "2026-03", Decimal("0.56"))],
    }
    # once April is finalized the correction counts as billed: May corrects nothing
    billing_app.clock.now = datetime(2026, 5, 2, tzinfo=UTC)  # type: ignore[attr-defined]
    metering.collect(actor="ops", providers=["sim-prov"])
    metering.acknowledge_month(APRIL, "water-cloud", reason="no usage", actor="ops")
    bills.run(APRIL, actor="finance")
    bills.finalize(APRIL, actor="finance")
    bills.run(Month(2026, 5), actor="finance")
    assert all(not s.adjustments for s in bills.statements(Month(2026, 5)))
    assert bill_rows(billing_app.engine, "2026-03") == frozen


def test_manual_adjustment_lands_on_next_open_month(
    billing_app: App, metering: MeteringService, bills: BillsService, tmp_path: Path
) -> None:
    finalized_march(billing_app, metering, bills, tmp_path)
    row = bills.adjust("water-dept", Decimal("-10.00"), reason="宕机补偿 outage credit",
                       approver="李四", relates_to=MARCH, actor="finance")  # fmt: skip
    assert row.month == "2026-04"
    bills.run(APRIL, actor="finance")
    (adj,) = next(s for s in bills.statements(APRIL) if s.tenant == "water-dept").adjustments
    assert (adj.amount, adj.approver, adj.relates_to) == (Decimal("-10.00"), "李四", "2026-03")
    bills.run(APRIL, actor="finance")  # the hand-entered credit is never reversed
    assert totals(bills, APRIL)["water-dept"] == Decimal("-10.00")


def test_sla_deduction_and_its_later_correction(
    billing_app: App, metering: MeteringService, bills: BillsService, tmp_path: Path
) -> None:
    march(billing_app, metering, tmp_path)
    metering.record_availability("sim-prov", MARCH, Decimal("99.5"), evidence="监控月报 #3",
                                 actor="ops")  # fmt: skip
    bills.run(MARCH, actor="finance")
    hrss = next(s for s in bills.statements(MARCH) if s.tenant == "hrss")
    (sla,) = hrss.adjustments
    assert (sla.kind.value, sla.amount, sla.evidence) == ("sla", Decimal("-17.00"), "监控月报 #3")
    assert hrss.total == Decimal("323.00")
    bills.finalize(MARCH, actor="finance")
    metering.record_availability("sim-prov", MARCH, Decimal("99.0"), evidence="复核 #4",
                                 actor="ops")  # fmt: skip
    bills.run(APRIL, actor="finance")
    april = next(s for s in bills.statements(APRIL) if s.tenant == "hrss")
    assert [(a.kind.value, a.relates_to, a.amount) for a in april.adjustments] == [
        ("sla", "2026-03", Decimal("-17.00"))
    ]


def test_tampered_statement_is_detected(
    billing_app: App, metering: MeteringService, bills: BillsService, tmp_path: Path
) -> None:
    finalized_march(billing_app, metering, bills, tmp_path)
    with billing_app.engine.begin() as conn:
        conn.execute(text("UPDATE bill_line SET amount = '1.00' WHERE meter = 'compute.vcpu'"))
    with pytest.raises(StatementTampered, match="2026-03/hrss"):
        bills.statements(MARCH)
    with pytest.raises(StatementTampered):
        bills.export(MARCH, "json", tmp_path / "x.json")


def test_show_flags_projected_overrun(
    billing_app: App, metering: MeteringService, bills: BillsService, tmp_path: Path, capsys: Any
) -> None:
    march(billing_app, metering, tmp_path)
    bills.run(MARCH, actor="finance")
    assert cli(billing_app, "bill", "show", "--month", "2026-03", "-o", "json") == 0
    shown = {r["tenant"]: r for r in json.loads(capsys.readouterr().out)}
    assert shown["hrss"]["projected_overrun"] is True  # 340/month against 1,200 a year
    assert shown["hrss"]["projected_year"] == "3400.00"
    assert shown["water-dept"]["projected_overrun"] is False
    assert shown["hrss"]["state"] == "draft" and len(shown["hrss"]["content_hash"]) == 64


def test_estate_discount_applies_to_the_departments_lines(
    billing_app: App, metering: MeteringService, bills: BillsService, tmp_path: Path
) -> None:
    estate_text = ESTATE.read_text(encoding="utf-8") + (
        "  discounts:\n"
        '    - {tenant: hrss, percent: "10", effectiveFrom: 2026-03-01,'
        " reference: 省数管〔2026〕7号}\n"
    )
    apply_estate(billing_app, estate_text)
    march(billing_app, metering, tmp_path)
    bills.run(MARCH, actor="finance")
    hrss = next(s for s in bills.statements(MARCH) if s.tenant == "hrss")
    # 160.00 and 180.00 undiscounted (see the hand-computed test above), 10 % off each line
    assert [line.amount for line in hrss.lines] == [Decimal("144.00"), Decimal("162.00")]
    assert hrss.total == Decimal("306.00")
    assert {line.discount_ref for line in hrss.lines} == {"省数管〔2026〕7号"}
