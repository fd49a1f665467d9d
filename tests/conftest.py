"""Shared fixtures: a database on each engine, and an App over it.

``database_url`` runs a test once on SQLite (a file in tmp_path) and once on
PostgreSQL (a fresh database on the local server, dropped afterwards). The server is
``GOVCLOUD_TEST_PG`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432``); the
README's test command starts it. An unreachable server fails the test — it never skips.

The suite runs on several pytest-xdist workers (``scripts/test``: ``-n 3 --dist
loadgroup``). What a test makes is its own: a uniquely named database, ``tmp_path``
homes (per worker), uniquely named OpenStack projects, kube namespaces and tmux
sessions, servers on port 0. Tests that must not overlap another share an
``xdist_group`` (one worker runs the group). A peer a test started is stopped when the
whole run ends (``pytest_unconfigure`` below), not when the test's module ends: another
worker may still be using it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from controlplane.app import App
from controlplane.config import Settings

#: names a file listing the peer scripts a test started (tests/peers/*_peer.py write it)
PEERS_TO_STOP = "GOVCLOUD_TEST_PEERS_TO_STOP"
_peers_file = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # a worker: the controller made the file, the environment names it
    handle, name = tempfile.mkstemp(prefix="govcloud-peers-to-stop-")
    os.close(handle)
    os.environ[PEERS_TO_STOP] = name
    config.stash[_peers_file] = Path(name)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stops the peers the run started, once every worker is done with them."""
    path = config.stash.get(_peers_file, None)
    if path is None:
        return
    scripts = sorted(set(path.read_text(encoding="utf-8").split()))
    path.unlink(missing_ok=True)
    os.environ.pop(PEERS_TO_STOP, None)
    for script in scripts:
        subprocess.run([script, "down"], capture_output=True, timeout=120, check=False)


PG_SERVER = os.environ.get("GOVCLOUD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


def _pg_admin_dsn() -> str:
    return PG_SERVER.replace("postgresql+psycopg://", "postgresql://") + "/postgres"


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database; yields its SQLAlchemy URL."""
    name = f"govcloud_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(_pg_admin_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'govcloud.db'}"
    url: str = request.getfixturevalue("pg_database")
    return url


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[App]:
    """An initialised App on each database engine."""
    instance = App(Settings(home=tmp_path / "home", database_url=database_url), clock=clock)
    instance.init()
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture(autouse=True, scope="session")
def _no_client_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A developer's ``~/.config/govcloud/config.yaml`` never sends a test's commands to a
    server: the tests start with an empty client configuration and no context."""
    saved = {k: os.environ.get(k) for k in ("GOVCLOUD_CONFIG", "GOVCLOUD_CONTEXT")}
    os.environ["GOVCLOUD_CONFIG"] = str(tmp_path_factory.mktemp("client") / "none.yaml")
    os.environ.pop("GOVCLOUD_CONTEXT", None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
