"""Bills totalled by tier and by platform (issue 11: provincial pools).

The test estate gains a second provincial pool, ``xc-pool`` (信创, aarch64), and both
provincial pools are declared ``platform: gov-prov``. March: the simulator server (hrss,
340.00 on ``sim-prov``), usage imported for hrss on ``xc-pool`` and for water-dept on the
sector cloud. ``bill show --by platform`` gives ``gov-prov`` the sum of both pools and
the sector cloud its own name; ``--by tier`` equals the statements' lines summed per
tier; a department principal sees only its own department's totals.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from controlplane.app import App
from controlplane.bills import BillsService, group_totals
from controlplane.metering import MeteringService

from .conftest import ESTATE, MARCH, apply_estate, cli, usage_csv
from .test_bills import march

POOLS = (
    ESTATE.read_text(encoding="utf-8")
    .replace(
        "    - {name: sim-prov, tier: provincial,",
        "    - {name: xc-pool, tier: provincial, platform: gov-prov, kind: kubernetes, context: xc,\n"
        "       certifiedLevel: 3, xinchuang: true, arch: aarch64, cpuVendor: kunpeng,\n"
        "       capacity: {vcpu: 500}}\n"
        "    - {name: sim-prov, tier: provincial, platform: gov-prov,",
    )
    .replace(
        "    - {name: finance, roles: [finance]}\n",
        "    - {name: finance, roles: [finance]}\n"
        "    - {name: hrss-clerk, roles: [department], tenant: hrss}\n",
    )
)
XC_ROW = (
    "xc-pool,hrss,portal,xc-vm-1,compute.vcpu,2,2026-03-01T00:00:00+08:00,2026-04-01T00:00:00+08:00"
)


def _march_on_two_pools(
    app: App, metering: MeteringService, bills: BillsService, tmp_path: Path
) -> None:
    apply_estate(app, POOLS)
    march(app, metering, tmp_path)
    metering.import_file(usage_csv(tmp_path / "xc.csv", [XC_ROW]), actor="ops")
    bills.run(MARCH, actor="finance")


def _totals(app: App, capsys: Any, by: str, *who: str) -> dict[str, Any]:
    assert cli(app, *who, "bill", "show", "--month", "2026-03", "--by", by, "-o", "json") == 0
    found: dict[str, Any] = json.loads(capsys.readouterr().out)
    return found


def test_provider_list_shows_the_platform(billing_app: App, capsys: Any) -> None:
    apply_estate(billing_app, POOLS)
    assert cli(billing_app, "provider", "list", "-o", "json") == 0
    shown = {r["name"]: r["platform"] for r in json.loads(capsys.readouterr().out)}
    # water-cloud names no platform: it is a platform of its own
    assert shown == {"sim-prov": "gov-prov", "xc-pool": "gov-prov", "water-cloud": "water-cloud"}
    # the platform is a column of the wide table (the default one keeps to 80 columns)
    assert cli(billing_app, "provider", "list", "-o", "wide") == 0
    table = capsys.readouterr().out
    assert "PLATFORM" in table.splitlines()[0] and table.count("gov-prov") == 2


def test_by_platform_sums_both_provincial_pools(
    billing_app: App, metering: MeteringService, bills: BillsService, tmp_path: Path, capsys: Any
) -> None:
    _march_on_two_pools(billing_app, metering, bills, tmp_path)
    per_provider: dict[str, Decimal] = defaultdict(Decimal)
    for statement in bills.statements(MARCH):
        for line in statement.lines:
            per_provider[line.provider] += line.amount
    assert per_provider["xc-pool"] > 0 and per_provider["sim-prov"] == Decimal("340.00")
    shown = _totals(billing_app, capsys, "platform")
    groups = {g["platform"]: Decimal(g["total"]) for g in shown["groups"]}
    assert groups == {
        "gov-prov": per_provider["sim-prov"] + per_provider["xc-pool"],
        "water-cloud": per_provider["water-cloud"],
    }
    assert Decimal(shown["total"]) == sum(s.total for s in bills.statements(MARCH))
    assert Decimal(shown["total"]) == sum(groups.values()) + Decimal(shown["adjustments_total"])


def test_by_tier_equals_statement_lines_per_tier(
    billing_app: App, metering: MeteringService, bills: BillsService, tmp_path: Path, capsys: Any
) -> None:
    _march_on_two_pools(billing_app, metering, bills, tmp_path)
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for statement in bills.statements(MARCH):
        for line in statement.lines:
            expected[str(line.tier)] += line.amount
    shown = _totals(billing_app, capsys, "tier")
    assert {g["tier"]: Decimal(g["total"]) for g in shown["groups"]} == dict(expected)
    assert set(expected) == {"provincial", "sector"}
    # the table for people: one total per tier, then the grand total
    assert cli(billing_app, "bill", "show", "--month", "2026-03", "--by", "tier") == 0
    table = capsys.readouterr().out
    assert str(expected["provincial"]) in table and str(expected["sector"]) in table


def test_department_sees_only_its_own_totals(
    billing_app: App, metering: MeteringService, bills: BillsService, tmp_path: Path, capsys: Any
) -> None:
    _march_on_two_pools(billing_app, metering, bills, tmp_path)
    hrss = next(s for s in bills.statements(MARCH) if s.tenant == "hrss")
    shown = _totals(billing_app, capsys, "platform", "--as", "hrss-clerk")
    # hrss used only the provincial pools: water-dept's sector usage is not in its view
    assert {g["platform"]: Decimal(g["total"]) for g in shown["groups"]} == {
        "gov-prov": hrss.lines_total
    }
    assert Decimal(shown["total"]) == hrss.total
    # asking for another department is refused, not silently emptied
    assert cli(billing_app, "--as", "hrss-clerk", "bill", "show", "--month", "2026-03",
               "--by", "tier", "--tenant", "water-dept") != 0  # fmt: skip


def test_group_totals_keep_adjustments_apart(
    billing_app: App, metering: MeteringService, bills: BillsService, tmp_path: Path
) -> None:
    _march_on_two_pools(billing_app, metering, bills, tmp_path)
    assert cli(billing_app, "--as", "finance", "bill", "adjust", "--tenant", "hrss",
               "--amount", "-12.50", "--reason", "误计", "--approver", "李四",
               "--relates-to", "2026-03") == 0  # fmt: skip
    bills.run(MARCH, actor="finance")
    statements = bills.statements(MARCH)
    assert sum(s.adjustments_total for s in statements) == Decimal("-12.50")
    totals = group_totals(statements, "platform", {"sim-prov": "gov-prov"})
    # a provider missing from the map (here xc-pool) counts as a platform of its own
    assert set(totals.groups) == {"gov-prov", "xc-pool", "water-cloud"}
    assert totals.total == sum(totals.groups.values()) + totals.adjustments
