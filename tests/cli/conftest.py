"""A province to read: the tiny demo (estate, requests, resources, bills), built once.

The demo runs govcloud's whole flow on SQLite and simulator clouds for the month before
``NOW`` (its estate binds no policy packs: the policy lists are empty). Output tests
only read it. ``Run`` calls the CLI in-process and returns what it printed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from controlplane.cli.main import main
from controlplane.demo import run_demo

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
MONTH = "2026-02"


@dataclass(frozen=True)
class Printed:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class Run:
    home: Path
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *argv: str, lang: str = "en") -> Printed:
        self.capsys.readouterr()
        code = main(["--home", str(self.home), "--lang", lang, *argv])
        captured = self.capsys.readouterr()
        return Printed(code, captured.out, captured.err)

    def json(self, *argv: str) -> Any:
        printed = self(*argv, "-o", "json")
        assert printed.code == 0, printed.err
        return json.loads(printed.out)


@pytest.fixture(scope="session")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cli") / "home"
    run_demo(home, scale="tiny", seed=42, tenants_sampled=12, now=NOW)
    return home


@pytest.fixture
def run(province: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    # piped output: 80 columns, whatever the developer's terminal
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("GOVCLOUD_DATABASE_URL", raising=False)
    monkeypatch.delenv("GOVCLOUD_LANG", raising=False)
    return Run(province, capsys)
