"""The console's further views and actions, driven with Pilot over a real (SQLite) home.

Cases: the systems, audit-log, jobs and job-runs views (filters, drill-down from a job to
its runs, from a system to its resources; a department is refused the audit log and is
not offered it in the help); the approve confirmation shows each request's plan, price
and verdicts; provision asks and provisions, retry refuses requests that did not fail
and provisions one that did;
a waiver request from a violation; acknowledging a provider's metering gaps; confirming,
exporting and finalizing statements, and their lines on enter; read-only refusal of
these actions; `y` shows the raw record as YAML; `+` pins a tenant and `1`/`0` switch
scope; the high-contrast theme; the clouds' connection state in the header.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import update
from sqlmodel import col

from controlplane.db.models import Request
from controlplane.facade import Govcloud, Month
from controlplane.facade.models import ProviderStateInfo
from tests.conftest import FakeClock
from tests.tui.test_console import Province, command, filter_, settle
from tests.tui.test_console import console_for as _console_for
from tui.app import HIGH_CONTRAST, ConsoleApp, Pins
from tui.detail import plan_lines
from tui.screens import ConfirmScreen, DescribeScreen, HelpScreen

pytestmark = pytest.mark.anyio
MONTH = Month.parse("2026-03")  # the console's clock (FakeClock): 2026-03-01


def console_for(province: Province, principal: str = "ops-li", **kw: Any) -> ConsoleApp:
    """The console on the home's clock (2026-03-01: the month of its statements)."""
    return _console_for(province, principal, clock=FakeClock(), **kw)


def _text(screen: Any) -> str:
    return "\n".join(str(s.render()) for s in screen.query("Static"))


async def test_systems_audit_jobs_and_runs(province: Province) -> None:
    app, _ = province
    ops = Govcloud.acting_as(app, "ops-li")
    ops.run_job("health")
    console = console_for(province)
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        await command(console, pilot, "sys")
        assert console.place.view == "systems" and console.failed is None
        assert [(s.tenant, s.name, s.level) for s in console.items] == [
            ("city-a-edu", "exams", 2), ("hrss", "payroll", 3)
        ]  # fmt: skip
        await pilot.press("down", "enter")
        await settle(console, pilot)
        assert console.place == console.history[-1]
        assert (console.place.view, console.place.query) == (
            "resources", "tenant:hrss system:payroll"
        )  # fmt: skip
        await command(console, pilot, "audit")
        assert console.place.view == "audit" and console.total == len(console.items) > 3
        seqs = [e.seq for e in console.items]
        assert seqs == sorted(seqs, reverse=True)
        await filter_(console, pilot, "action:request.submitted")
        assert console.total == 2 and {e.actor for e in console.items} == {"ops-li"}
        await command(console, pilot, "jobs")
        names = [j.name for j in console.items]
        assert "health" in names and names == sorted(names)
        console.table.move_cursor(row=names.index("health"))
        await pilot.press("enter")
        await settle(console, pilot)
        assert (console.place.view, console.place.query) == ("jobruns", "job:health")
        assert [(r.job, r.state, r.requested_by) for r in console.items] == [
            ("health", "queued", "ops-li")
        ]


async def test_a_department_is_not_offered_the_audit_log(province: Province) -> None:
    console = console_for(province, "hrss-wang")
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        await command(console, pilot, "audit")
        assert console.place.view == "overview"  # refused: stays
        await command(console, pilot, "systems")
        assert [s.tenant for s in console.items] == ["hrss"]  # its own only
        await pilot.press("question_mark")
        await settle(console, pilot)
        assert isinstance(console.screen, HelpScreen)
        body = str(console.screen.query_one("#help-body").render())
        assert ":systems" in body and ":audit" not in body and ":jobs" not in body


def test_plan_lines_show_changes_price_and_failing_verdicts() -> None:
    plan = {
        "changes": [
            {"action": "create", "kind": "server", "name": "web-0"},
            {"action": "update", "kind": "volume", "name": "data"},
            {"action": "unchanged", "kind": "network", "name": "net"},
        ],
        "price": {"monthly": "1234.50", "currency": "CNY"},
        "policy": {
            "admitted": True,
            "verdicts": [
                {"rule_id": "MLPS-A", "outcome": "pass", "severity": "high"},
                {
                    "rule_id": "MLPS-B",
                    "outcome": "fail",
                    "severity": "medium",
                    "message_en": "no backup",
                    "message_zh": "没有备份",
                },
            ],
        },
    }
    lines = plan_lines("#7 hrss/portal", plan, "en")
    text = "\n".join(lines)
    assert lines[0] == "#7 hrss/portal"
    assert "+ server/web-0" in text and "~ volume/data" in text and "net" not in text
    assert "monthly price: 1234.50 CNY" in text
    assert "policy verdicts: 2, not passed 1; admitted yes" in text
    assert "✗ MLPS-B [medium] fail no backup" in text and "MLPS-A" not in text
    zh = "\n".join(plan_lines("#7", plan, "zh"))
    assert "月度价格" in zh and "没有备份" in zh


async def test_approve_confirmation_shows_each_plan(province: Province) -> None:
    _, ids = province
    console = console_for(province, "bdb-zhang", start="requests")
    async with console.run_test(size=(160, 48)) as pilot:
        await settle(console, pilot)
        await pilot.press("w", "space", "space", "a")
        await settle(console, pilot)
        assert isinstance(console.screen, ConfirmScreen)
        details = str(console.screen.query_one("#confirm-details").render())
        for tenant in ("hrss", "city-a-edu"):
            assert f"#{ids[tenant]} {tenant}/portal" in details
        assert details.count("+ server/web-0") == 2 and "monthly price: 0.00 CNY" in details
        assert "policy verdicts" in details
        await pilot.press("n")


async def test_provision_asks_then_provisions_and_retry_needs_a_failure(
    province: Province,
) -> None:
    app, ids = province
    approver = Govcloud.acting_as(app, "bdb-zhang")
    approver.approve(ids["hrss"])
    console = console_for(province, start="requests")
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        await filter_(console, pilot, "tenant:hrss")
        await pilot.press("P")
        await settle(console, pilot)
        assert not isinstance(console.screen, ConfirmScreen)  # read-only: refused
        await pilot.press("w", "R")
        await settle(console, pilot)
        assert not isinstance(console.screen, ConfirmScreen)  # nothing failed: no retry
        await pilot.press("P")
        await settle(console, pilot)
        assert isinstance(console.screen, ConfirmScreen)
        assert f"#{ids['hrss']} hrss/portal (apply, Approved)" in _text(console.screen)
        await pilot.press("y")
        await settle(console, pilot)
        assert approver.request(ids["hrss"]).request.state == "Ready"
    # a provisioning that failed (as a cloud refusal leaves it) is offered for retry
    approver.approve(ids["city-a-edu"])
    with app.sessions() as session, session.begin():
        session.execute(update(Request).where(col(Request.id) == ids["city-a-edu"])
                        .values(state="Failed"))  # fmt: skip
    console = console_for(province, start="requests")
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        await filter_(console, pilot, "tenant:city-a")
        await pilot.press("w", "R")
        await settle(console, pilot)
        assert "(apply, Failed)" in _text(console.screen)
        await pilot.press("y")
        await settle(console, pilot)
        assert approver.request(ids["city-a-edu"]).request.state == "Ready"


async def test_waiver_request_from_a_violation(province: Province) -> None:
    app, _ = province
    Govcloud.acting_as(app, "ops-li").audit_policies()
    console = console_for(province, "hrss-wang", start="violations")
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        await filter_(console, pilot, "rule_id:MLPS-L2-BAK-03")
        assert [v.system for v in console.items] == ["payroll"]
        await pilot.press("w", "W")
        await settle(console, pilot)
        assert isinstance(console.screen, ConfirmScreen)
        assert "system:hrss/payroll → 2026-05-30" in _text(console.screen)
        await pilot.press(*"offline copy", "enter")
        await settle(console, pilot)
    waivers = Govcloud.acting_as(app, "ops-li").waivers().items
    assert [(w.rule_id, w.scope, w.target, w.state, w.requester, w.reason) for w in waivers] == [
        ("MLPS-L2-BAK-03", "system", "payroll", "requested", "hrss-wang", "offline copy")
    ]


async def test_finance_acknowledges_a_providers_gaps(province: Province) -> None:
    app, _ = province
    console = console_for(province, "fin-chen", start="providers")
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        shown = {b.binding.action for b in console.active_bindings.values() if b.enabled}
        assert "gaps" in shown and "sync" not in shown  # finance syncs nothing
        await pilot.press("w", "g")
        await settle(console, pilot)
        assert isinstance(console.screen, ConfirmScreen)
        assert "city-a-sim 2026-03" in _text(console.screen)
        await pilot.press(*"outage ticket 42", "enter")
        await settle(console, pilot)
    coverage = Govcloud.acting_as(app, "fin-chen").coverage(MONTH)
    assert [g.provider for g in coverage.open_gaps] == ["prov-sim"]
    assert [a.provider for a in coverage.acknowledged] == ["city-a-sim"]


async def test_statements_confirm_export_finalize_and_lines(
    province: Province, tmp_path: Path
) -> None:
    app, _ = province
    finance = Govcloud.acting_as(app, "fin-chen")
    february = Month.parse("2026-02")  # ended, its gaps acknowledged: it may be finalized
    for provider in ("prov-sim", "city-a-sim"):
        finance.acknowledge_month(february, provider, reason="no usage yet")
    finance.run_bills(february)
    console = console_for(province, "fin-chen")
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        await command(console, pilot, "st 2026-13")
        assert console.place.view == "overview"  # not a month: refused
        await command(console, pilot, "st 2026-02")
        assert (console.place.view, console.place.month) == ("statements", "2026-02")
        assert [v.statement.tenant for v in console.items] == ["city-a-edu", "hrss"]
        await pilot.press("enter")  # the statement's lines
        await settle(console, pilot)
        assert isinstance(console.screen, DescribeScreen)
        body = str(console.screen.query_one("#describe-body").render())
        assert body.startswith("city-a-edu ")
        assert "2026-02 (draft)" in body and "rate card" in body and "total: 0.00" in body
        await pilot.press("escape")
        await pilot.press("c")
        await settle(console, pilot)
        assert not isinstance(console.screen, ConfirmScreen)  # read-only: refused
        await pilot.press("w", "c")
        await settle(console, pilot)
        assert "city-a-edu 2026-02 (draft)" in _text(console.screen)
        await pilot.press("y")
        await settle(console, pilot)
        assert [v.state for v in console.items] == ["confirmed", "draft"]
        out = tmp_path / "march.csv"
        await pilot.press("e")
        await settle(console, pilot)
        assert isinstance(console.screen, ConfirmScreen)
        console.screen.query_one("#confirm-reason").value = str(out)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(console, pilot)
        assert out.is_file() and "hrss" in out.read_text(encoding="utf-8-sig")
        await pilot.press("F")
        await settle(console, pilot)
        assert "2026-02 (2 " in _text(console.screen)
        await pilot.press("y")
        await settle(console, pilot)
        assert {v.state for v in console.items} == {"finalized"}


async def test_raw_yaml_of_a_resource(province: Province) -> None:
    console = console_for(province, start="resources")
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        await pilot.press("y")
        await settle(console, pilot)
        assert isinstance(console.screen, DescribeScreen)
        body = str(console.screen.query_one("#describe-body").render())
        record = yaml.safe_load(body)
        assert record["spec"] == {"flavor": "c2m4"} and record["provider"] == "city-a-sim"
        assert record["created_at"].startswith("2026-")


async def test_pinned_scopes(province: Province, tmp_path: Path) -> None:
    pins = Pins(tmp_path / "pins.json")
    console = console_for(province, start="tenants", pins=pins)
    async with console.run_test(size=(120, 40)) as pilot:
        await settle(console, pilot)
        assert [t.code for t in console.items] == ["city-a-edu", "hrss"]
        await pilot.press("down", "plus")
        assert pins.slots == ["tenant:hrss"]
        await command(console, pilot, "res")
        await pilot.press("1")
        await settle(console, pilot)
        assert console.scope == "tenant:hrss" and console.place.query == ""
        assert {r.tenant for r in console.items} == {"hrss"} and console.total == 130
        assert "@tenant:hrss" in str(console.query_one("#title").render())
        await pilot.press("0")
        await settle(console, pilot)
        assert console.scope is None and console.total == 260
    assert Pins(tmp_path / "pins.json").get(1) == "tenant:hrss"  # kept for the next run


async def test_high_contrast_theme(province: Province) -> None:
    app, _ = province
    console = ConsoleApp(Govcloud.acting_as(app, "ops-li"), refresh_seconds=3600,
                         high_contrast=True)  # fmt: skip
    async with console.run_test(size=(80, 24)) as pilot:
        await settle(console, pilot)
        assert console.theme == HIGH_CONTRAST.name
        assert console.current_theme.background == "#000000"


async def test_header_shows_the_clouds_connection_state(province: Province) -> None:
    app, _ = province
    console = console_for(province)
    async with console.run_test(size=(160, 48)) as pilot:
        await settle(console, pilot)
        header = str(console.query_one("#header").render())
        assert "clouds" not in header  # no provider probed yet: nothing to say
        Govcloud.acting_as(app, "ops-li").probe_provider("prov-sim")
        console._read_clouds()
        await settle(console, pilot)
        header = str(console.query_one("#header").render())
        assert "clouds ✓1 ?1" in header, header
        down = ProviderStateInfo(name="city-a-sim", reachable=True, auth_ok=False,
                                 latency_ms=3.0, checked_at=None, error_code="auth")  # fmt: skip
        console.clouds = [down, *[s for s in console.clouds or () if s.name == "prov-sim"]]
        assert str(console._clouds_text()) == "  clouds ✓1 ✗1 (city-a-sim)"
