"""`govcloud demo` on a tiny generated province.

Cases: the demo builds its own home (and refuses one that already holds a database),
applies the generated estate, proves re-apply is a no-op, and every simulator cloud
answers healthy; the CLI's JSON summary reports the same figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controlplane.cli.main import main
from controlplane.demo import run_demo


def test_demo_runs_the_flow_in_a_fresh_home(tmp_path: Path) -> None:
    report = run_demo(tmp_path / "demo", scale="tiny", seed=7)
    assert (tmp_path / "demo" / "govcloud.db").exists()
    assert report.apply.changed
    assert not report.reapply.changed
    assert report.providers_by_tier["provincial"] == 1
    assert report.tenants > 0
    assert report.systems > 0
    assert len(report.health) == sum(report.providers_by_tier.values())
    assert all(h.reachable and h.auth_ok for h in report.health)
    assert not report.health_errors
    with pytest.raises(FileExistsError):
        run_demo(tmp_path / "demo", scale="tiny", seed=7)


def test_demo_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo", "--demo-home", str(tmp_path / "d"), "--scale", "tiny", "-o", "json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["estate_reapply_changed"] is False
    assert summary["healthy_providers"] == sum(summary["providers"].values())
