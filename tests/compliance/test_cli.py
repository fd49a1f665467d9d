"""``govcloud policy`` commands end to end, on SQLite and PostgreSQL.

Cases: ``policy list`` shows all catalogue rules, which are implemented and which are
not evaluable with the missing input named, and filters by level, pack and severity;
an unknown pack is a usage error (exit 2); ``policy audit`` summarises a run; ``policy
report`` writes Markdown to stdout and XLSX to a file (xlsx without a file is exit 2);
``policy waiver request`` stores a request, ``approve`` by a principal the estate does
not declare is refused (exit 1) and the request stays pending; a malformed scope is
exit 2.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from controlplane.app import App
from controlplane.cli.main import main
from controlplane.timeutil import SHANGHAI

from .conftest import Inventory


@pytest.fixture
def cli(app: App, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    return ["--home", str(app.settings.home)]


def test_policy_list(cli: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*cli, "policy", "list", "-o", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 57
    pending = [r for r in rows if not r["implemented"]]
    assert len(rows) - len(pending) >= 45
    assert all(r["status"].startswith("not evaluable, missing input: ") for r in pending)
    assert all(r["pending_inputs"] for r in pending)

    assert (
        main([*cli, "policy", "list", "--level", "4", "--severity", "critical", "-o", "json"]) == 0
    )
    critical = json.loads(capsys.readouterr().out)
    assert critical and all(r["severity"] == "critical" and 4 in r["levels"] for r in critical)
    assert main([*cli, "policy", "list", "--pack", "xinchuang", "-o", "json"]) == 0
    assert all("xinchuang" in r["packs"] for r in json.loads(capsys.readouterr().out))

    assert main([*cli, "--lang", "zh", "policy", "list"]) == 0
    table = capsys.readouterr().out
    assert "已实现" in table and "无法评估，缺少输入" in table
    assert main([*cli, "policy", "list", "--pack", "nope"]) == 2


def test_audit_report_and_waivers(
    cli: list[str], sample: Inventory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*cli, "policy", "report", "--system", "sso-portal"]) == 1
    assert "no audit has run yet" in capsys.readouterr().err

    assert main([*cli, "policy", "audit", "-o", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["resources"] == 8 and summary["violations"]["opened"] > 0
    assert sum(summary["outcomes"].values()) == summary["results"]

    assert main([*cli, "--lang", "en", "policy", "report", "--system", "sso-portal"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# Classified-protection compliance report")
    assert "partly conforms" in markdown

    target = tmp_path / "sso.xlsx"
    args = ["policy", "report", "--system", "sso-portal", "--format", "xlsx"]
    assert main([*cli, *args]) == 2
    assert main([*cli, "--lang", "zh", *args, "--output-file", str(target)]) == 0
    assert load_workbook(target).sheetnames[0] == "结果汇总"

    request = [
        "--as",
        "ops",
        "policy",
        "waiver",
        "request",
        "--rule",
        "DATA-IMP-02",
        "--scope",
        "resource:vol-plain",
        "--reason",
        "migration scheduled",
        "--expires",
        "2099-01-01",
    ]
    # the CLI runs on the wall clock: a day a month from now, valid through that day
    day = datetime.now(SHANGHAI).date() + timedelta(days=30)
    assert main([*cli, *request[:-1], day.isoformat(), "-o", "json"]) == 0
    asked = json.loads(capsys.readouterr().out)
    assert (asked["id"], asked["state"], asked["requester"]) == ("W-1", "requested", "ops")
    assert asked["expires_at"] == f"{day.isoformat()}T16:00:00+00:00"

    assert main([*cli, "--as", "lead", "policy", "waiver", "approve", "W-1"]) == 1
    assert "cannot verify that lead holds the approver role" in capsys.readouterr().err
    assert main([*cli, "policy", "waiver", "list", "-o", "json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["state"] == "requested"

    bad_scope = [*request[:8], "volume:vol-plain", *request[9:]]
    assert main([*cli, *bad_scope]) == 2
