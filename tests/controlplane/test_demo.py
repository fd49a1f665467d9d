"""`govcloud demo` on a tiny generated province, through the whole flow.

Cases: the demo builds its own home (and refuses one that already holds a database);
the estate applies and re-applying it changes nothing; sampled requests are planned,
approved and provisioned on the simulator clouds; every cloud syncs healthy with the
provisioned resources in inventory; the month's usage is collected and billed, and the
bill total is the sum of the statements; the 等保 audit runs on the demo estate (which
has no ``policies:`` section) and stores a result per rule and subject; the audit
chain verifies; the demo month is
the calendar month before "now" in Asia/Shanghai; the CLI's JSON summary agrees.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from controlplane import audit
from controlplane.app import App
from controlplane.bills import bills_service
from controlplane.cli.main import main
from controlplane.config import Settings
from controlplane.demo import demo_month, run_demo


def test_demo_runs_the_flow_in_a_fresh_home(tmp_path: Path) -> None:
    now = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
    report = run_demo(tmp_path / "demo", scale="tiny", seed=7, tenants_sampled=12, now=now)
    assert report.month == "2026-02"
    assert report.apply.changed
    assert not report.reapply.changed
    assert report.providers_by_tier["provincial"] == 1
    assert report.requests["Ready"] > 0
    assert report.provisioned_resources > 0
    assert report.synced_resources >= report.provisioned_resources
    assert report.healthy_providers == sum(report.providers_by_tier.values())
    assert not report.sync_errors
    assert report.audit["resources"] >= report.synced_resources
    assert report.audit["passed"] > 0
    assert report.usage_records > 0
    assert report.bill_total > Decimal("0")

    app = App(Settings.for_home(tmp_path / "demo"))
    try:
        views = bills_service(app).show(demo_month(now))
        assert sum(v.statement.total for v in views) == report.bill_total
        with app.sessions() as session:
            assert audit.verify(session) == []
    finally:
        app.close()
    with pytest.raises(FileExistsError):
        run_demo(tmp_path / "demo", scale="tiny", seed=7)


def test_demo_month_is_the_previous_month_in_shanghai() -> None:
    # 2026-03-31 17:00 UTC is already April 1st in Asia/Shanghai
    assert str(demo_month(datetime(2026, 3, 31, 17, 0, tzinfo=UTC))) == "2026-03"
    assert str(demo_month(datetime(2026, 1, 10, tzinfo=UTC))) == "2025-12"


def test_demo_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo", "--demo-home", str(tmp_path / "d"), "--scale", "tiny", "-o", "json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["estate_reapply_changed"] is False
    assert summary["healthy_providers"] == sum(summary["providers"].values())
    top = [Decimal(b["total"]) for b in summary["top_bills"]]
    assert top == sorted(top, reverse=True)
    assert Decimal(summary["bill_total"]) >= sum(top) > 0
    assert summary["statements"] == summary["tenants"]
