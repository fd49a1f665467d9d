"""A serve replica as a process: one per SQLite home, probes, metrics, SIGTERM.

Cases: a second ``serve`` on the same SQLite database is refused with a clear message
(exit 1) while the first runs; ``/healthz``, ``/readyz`` and ``/metrics`` answer from a
running replica, ``/readyz`` turns 503 once its loops stop; every advisory-lock key is
declared once in ``controlplane.db.locks``; a real ``govcloud serve --no-api`` process
answers SIGTERM by giving back its liveness lease and exiting 0.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select
from typer.testing import CliRunner

from controlplane.app import App
from controlplane.cli.main import app as cli_app
from controlplane.config import Settings
from controlplane.db import locks
from controlplane.db.tables_scheduler import JobLease
from controlplane.requests import RequestService
from controlplane.scheduler.daemon import Replica, ReplicaOptions
from tests.governance.support import apply_estate


def _sqlite_app(tmp_path: Path) -> App:
    app = App(Settings.for_home(tmp_path / "home"))
    app.init()
    return app


def test_a_second_serve_on_sqlite_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _sqlite_app(tmp_path)
    first = Replica(app, ReplicaOptions(name="first", workers=1, job_workers=1, tick=0.2))
    first.start()
    try:
        monkeypatch.delenv("GOVCLOUD_DATABASE_URL", raising=False)
        result = CliRunner().invoke(
            cli_app, ["--home", str(app.settings.home), "--lang", "en", "serve", "--no-api"]
        )
        assert result.exit_code == 1
        assert "another govcloud serve" in result.output and "PostgreSQL" in result.output
    finally:
        first.stop(timeout=5)
        app.close()


def test_probes_and_metrics_of_a_running_replica(tmp_path: Path) -> None:
    from controlplane.api.probes import mount_probes

    app = _sqlite_app(tmp_path)
    apply_estate(app)
    replica = Replica(app, ReplicaOptions(name="probed", workers=1, job_workers=1, tick=0.2))
    replica.metrics.watch_queue(app.jobs.queue_depth)
    api = FastAPI()
    mount_probes(api, app, replica)
    client = _Client(api)
    assert client.get("/readyz").status_code == 503  # not started
    replica.start()
    try:
        assert client.get("/healthz").json() == {"status": "ok"}
        deadline = time.monotonic() + 30
        while not replica.leading and time.monotonic() < deadline:
            time.sleep(0.1)
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["leader"] is True
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = client.get("/metrics").text
            if 'govcloud_job_runs_total{job="health",outcome="ok"}' in text:
                break
            time.sleep(0.2)
        assert 'govcloud_queue_depth{queue="requests"} 0.0' in text
        assert "govcloud_leader 1.0" in text
        assert 'govcloud_provider_up{provider="prov-sim"} 1.0' in text
        assert 'govcloud_job_duration_seconds_count{job="health"}' in text
    finally:
        replica.stop(timeout=5)
    assert client.get("/readyz").status_code == 503
    app.close()


class _Client:
    """GETs through the ASGI app in-process (no server, no port)."""

    def __init__(self, api: FastAPI) -> None:
        self._api = api

    def get(self, path: str) -> httpx.Response:
        async def fetch() -> httpx.Response:
            transport = httpx.ASGITransport(app=self._api)
            async with httpx.AsyncClient(transport=transport, base_url="http://probe") as c:
                return await c.get(path)

        return asyncio.run(fetch())


def test_every_advisory_key_is_declared_once() -> None:
    keys = list(locks.ADVISORY_KEYS.values())
    assert len(set(keys)) == len(keys)
    root = Path(__file__).parents[2] / "controlplane"
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "locks.py":
            assert "pg_advisory_xact_lock(" not in text or "locks." in text, path
            for key in keys:
                assert hex(key) not in text.lower(), (path, hex(key))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sigterm_gives_back_and_exits(
    tmp_path: Path, app: App, service: RequestService, database_url: str
) -> None:
    port = _port()
    env = {**os.environ, "GOVCLOUD_DATABASE_URL": database_url,
           "GOVCLOUD_HOME": str(app.settings.home)}  # fmt: skip
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "controlplane.cli.main", "serve", "--no-api", "--listen",
             f"127.0.0.1:{port}", "--replica", "termed", "--lease", "30"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve never became ready"
            time.sleep(0.3)
        with app.sessions() as session:
            assert session.get(JobLease, locks.replica_lease("termed")) is not None
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    with app.sessions() as session:
        assert session.get(JobLease, locks.replica_lease("termed")) is None
        assert not session.exec(select(JobLease).where(JobLease.holder == "termed")).all()
    assert "replica termed stopped" in (tmp_path / "serve.log").read_text()
