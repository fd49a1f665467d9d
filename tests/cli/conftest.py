"""A province to read: the tiny demo (estate, requests, resources, bills), built once.

The demo runs govcloud's whole flow on SQLite and simulator clouds for the month before
``NOW`` (its estate binds no policy packs: the policy lists are empty). Output tests
only read it. ``Run`` calls the CLI in-process and returns what it printed — ``run`` is
parametrized: once on the local home, once through a context pointing at a real
uvicorn server (127.0.0.1, random port) over the same home, with a token of the local
operator (the remote pass is marked slow).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from controlplane.app import App
from controlplane.cli.config_file import ClientConfig, Context, save_config
from controlplane.cli.main import main
from controlplane.config import Settings
from controlplane.demo import run_demo
from tests.api.conftest import Server, run_server

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
    #: the context the commands go through (``None``: the local home)
    context: str | None = None

    @property
    def where(self) -> list[str]:
        if self.context is None:
            return ["--context", "", "--home", str(self.home)]
        return ["--context", self.context]

    def __call__(self, *argv: str, lang: str = "en") -> Printed:
        self.capsys.readouterr()
        code = main([*self.where, "--lang", lang, *argv])
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


@pytest.fixture(scope="session")
def province_server(province: Path) -> Iterator[Server]:
    """The API over the province's home, as ``govcloud serve`` would run it."""
    app = App(Settings.for_home(province))
    app.ready()
    try:
        yield from run_server(app, max_body=4 * 1024 * 1024)
    finally:
        app.close()


@pytest.fixture(scope="session")
def client_config(province_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A client configuration whose context ``province`` points at the server."""
    path = tmp_path_factory.mktemp("client") / "config.yaml"
    token = province_server.token("local-operator")
    save_config(ClientConfig(path, (Context("province", province_server.url, token),)))
    return path


REMOTE = pytest.param("remote", marks=pytest.mark.slow)


@pytest.fixture(params=["local", REMOTE])
def run(
    request: pytest.FixtureRequest,
    province: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Run:
    # piped output: 80 columns, whatever the developer's terminal
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("GOVCLOUD_DATABASE_URL", raising=False)
    monkeypatch.delenv("GOVCLOUD_LANG", raising=False)
    monkeypatch.delenv("GOVCLOUD_CONTEXT", raising=False)
    if request.param == "local":
        return Run(province, capsys)
    monkeypatch.setenv("GOVCLOUD_CONFIG", str(request.getfixturevalue("client_config")))
    return Run(province, capsys, context="province")


@pytest.fixture
def both(province: Path, client_config: Path, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> tuple[Run, Run]:  # fmt: skip
    """The same commands on the local home and through the context (for comparisons)."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("GOVCLOUD_DATABASE_URL", raising=False)
    monkeypatch.delenv("GOVCLOUD_LANG", raising=False)
    monkeypatch.setenv("GOVCLOUD_CONFIG", str(client_config))
    return Run(province, capsys), Run(province, capsys, context="province")
