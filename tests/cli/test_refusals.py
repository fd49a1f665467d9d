"""Refusals lead with the real reason, each said once.

A system pinned to a municipal cloud of another city: every other cloud is excluded by
the pin — one line naming the pin and the clouds it excluded, not one pin sentence per
cloud — and the pinned cloud by the city rule. ``plan`` and ``apply`` say the same, in
English and Chinese; the stored denial reason groups the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controlplane.app import App
from controlplane.cli.main import main

ROOT = Path(__file__).parents[1] / "requests"
ESTATE = ROOT / "estates" / "province.yaml"
PINNED = (
    (ROOT / "manifests" / "ok-pin-provider.yaml")
    .read_text()
    .replace("provider: prov-main", "provider: city-b")
)
OTHERS = "city-a, health-out, prov-main, water-cloud, water-k8s"


@pytest.fixture
def home(
    app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    monkeypatch.delenv("COLUMNS", raising=False)
    args = ["--home", str(app.settings.home)]
    assert main([*args, "estate", "apply", "-f", str(ESTATE)]) == 0
    capsys.readouterr()
    return args


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "pinned.yaml"
    path.write_text(PINNED)
    return path


def test_plan_names_each_filter_once(
    home: list[str], manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*home, "--lang", "en", "plan", "-f", str(manifest)]) == 1
    out = " ".join(capsys.readouterr().out.split())  # the console may wrap long lines
    assert out.count("the request pins provider city-b") == 1
    assert f"pinned provider or tier: the request pins provider city-b — {OTHERS}" in out
    assert "serves only city-b's departments — city-b" in out

    assert main([*home, "--lang", "zh", "plan", "-f", str(manifest)]) == 1
    out = "".join(capsys.readouterr().out.split())
    assert out.count("申请指定了云平台city-b") == 1 and "指定的云平台或层级" in out


def test_apply_leads_with_the_reason(
    home: list[str], manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*home, "--lang", "en", "apply", "-f", str(manifest)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "request #1 (pinned): Denied"
    assert lines[1].strip() == "no eligible provider:"
    assert (
        lines[2].strip() == f"pinned provider or tier: the request pins provider city-b — {OTHERS}"
    )
    assert "city and sector clouds serve their own" in lines[3]  # the city rule, once
    # after the placement block come only the admission warnings (paperwork facts)
    assert all(line.startswith("  MLPS-") for line in lines[4:]), lines[4:]
    assert sum("pins provider city-b" in line for line in lines) == 1

    assert main([*home, "--lang", "en", "request", "show", "1", "-o", "json"]) == 0
    reason = json.loads(capsys.readouterr().out)["events"][-1]["reason"]
    assert reason.count("the request pins provider city-b") == 1, reason
    assert main([*home, "--lang", "zh", "request", "show", "1"]) == 0
    shown = capsys.readouterr().out
    assert "状态:" in shown and "未准入" in shown and "未准入原因:" in shown
