"""Scheduled jobs on SQLite and PostgreSQL, driven step by step with a controllable clock.

Cases: each firing of an interval job is queued once and run once, over 20 firings,
whichever of two replicas takes it (the unique ``(job, due_at)`` and the conditional
take); missed firings are coalesced into one; a temporary failure (a provider at a
closed 127.0.0.1 port) backs off with growing intervals in the job-run records, and
runs on time again once it succeeds; two syncs of one provider never overlap (the
second is refused while the first holds the provider's lease); a broken audit chain
makes the daily verification fail loudly; ``jobs run`` queues a firing now, ``jobs
list``/``show`` report runs; the role table governs the three job actions.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import col, select
from typer.testing import CliRunner

from controlplane.app import App
from controlplane.cli.main import app as cli_app
from controlplane.cli.main import main
from controlplane.db import locks
from controlplane.db.tables_scheduler import JobRun
from controlplane.errors import Conflict
from controlplane.facade import Govcloud
from controlplane.requests import RequestService
from controlplane.scheduler import leases
from controlplane.scheduler.catalog import Trigger, catalog, next_due
from controlplane.scheduler.daemon import Replica, ReplicaOptions
from tests.conftest import FakeClock


def _only(app: App, *names: str, every: float | None = None) -> list:  # type: ignore[type-arg]
    config = {n: {"every": every} for n in names} if every else {}
    with app.sessions() as session:
        from controlplane.db.models import Provider

        providers = sorted(p.name for p in session.exec(select(Provider)))
    return [s for s in catalog(providers, config) if s.name in names]


def _runs(app: App, job: str) -> list[JobRun]:
    with app.sessions() as session:
        return list(
            session.exec(select(JobRun).where(JobRun.job == job).order_by(col(JobRun.due_at)))
        )


def _pair(app: App, specs: list) -> tuple[Replica, Replica]:  # type: ignore[type-arg]
    a = Replica(app, ReplicaOptions(name="replica-a"), specs=lambda: specs)
    b = Replica(app, ReplicaOptions(name="replica-b"), specs=lambda: specs)
    return a, b


def test_each_firing_runs_once_over_twenty_firings(
    app: App, service: RequestService, clock: FakeClock
) -> None:
    specs = _only(app, "health", every=10)
    a, b = _pair(app, specs)
    try:
        for step in range(20):
            for replica in (a, b):  # both try to lead; both try to take
                replica.heartbeat()
                replica.lead_once()
            taken = [r.run_job_once() for r in ((a, b) if step % 2 else (b, a))]
            assert sorted(map(str, taken)) == ["None", "health"]
            clock.advance(seconds=10)
        runs = [r for r in _runs(app, "health") if r.state != "queued"]
        assert len(runs) == 20 and {r.state for r in runs} == {"ok"}
        dues = [r.due_at for r in runs]
        assert len(set(dues)) == 20
        assert {(y - x).total_seconds() for x, y in itertools.pairwise(dues)} == {10}
        assert {r.replica for r in runs} == {"replica-a", "replica-b"}
        assert all(r.detail["providers"]["prov-sim"]["reachable"] for r in runs)
    finally:
        a.election.release()
        b.election.release()


def test_missed_firings_are_coalesced() -> None:
    hourly = Trigger(cron="5 * * * *")
    last = datetime.fromisoformat("2026-03-01T00:05:00+08:00")
    now = datetime.fromisoformat("2026-03-01T05:30:00+08:00")
    assert next_due(hourly, now, last_due=last) == datetime.fromisoformat(
        "2026-03-01T05:05:00+08:00"
    )
    every = Trigger(every=60)
    assert next_due(every, now, last_due=now - timedelta(seconds=30)) == now + timedelta(seconds=30)
    assert next_due(every, now, last_due=None) == now
    # back-off shortens the wait after a temporary failure, never before the last firing
    assert next_due(every, now, last_due=now, retry_at=now + timedelta(seconds=5)) == (
        now + timedelta(seconds=5)
    )


def _unreachable(app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An OpenStack provider at a closed local port (the peer itself is never stopped)."""
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(
        "clouds:\n  down-cloud:\n    auth:\n"
        f"      auth_url: http://127.0.0.1:{port}/v3\n"
        "      username: u\n      password: p\n      project_name: p\n"
        "      user_domain_name: Default\n      project_domain_name: Default\n"
        "    region_name: RegionOne\n    identity_api_version: 3\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    from tests.governance.support import GOVERNED

    doc = GOVERNED.read_text(encoding="utf-8").replace(
        "  tenants:",
        "    - {name: down-os, tier: provincial, kind: openstack, cloud: down-cloud,\n"
        "       certifiedLevel: 4, capacity: {vcpu: 10, memoryGiB: 10, storageGiB: 10}}\n"
        "  tenants:",
        1,
    )
    path = tmp_path / "estate.yaml"
    path.write_text(doc, encoding="utf-8")
    from tests.governance.support import apply_estate

    apply_estate(app, path)
    return "sync:down-os"


def test_a_temporary_failure_backs_off_with_growing_intervals(
    app: App, service: RequestService, clock: FakeClock, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    job = _unreachable(app, tmp_path, monkeypatch)
    specs = [s for s in _only(app, job) if s.name == job]
    replica = Replica(app, ReplicaOptions(name="replica-a"), specs=lambda: specs)
    try:
        for _ in range(6):
            replica.lead_once()
            [queued] = [r for r in _runs(app, job) if r.state == "queued"]
            clock.now = max(clock.now, queued.due_at)
            assert replica.run_job_once() == job
        runs = [r for r in _runs(app, job) if r.state != "queued"]
        assert {r.state for r in runs} == {"temporary"}
        assert [r.failures for r in runs] == [1, 2, 3, 4, 5, 6]
        assert [r.retry_in for r in runs] == [5, 10, 20, 40, 80, 160]
        gaps = [(y.due_at - x.due_at).total_seconds() for x, y in itertools.pairwise(runs)]
        assert gaps == [5, 10, 20, 40, 80]
        assert "down-os" in (runs[0].error or "")
    finally:
        replica.election.release()


def test_two_syncs_of_one_provider_never_overlap(
    app: App, service: RequestService, clock: FakeClock
) -> None:
    leases.take(app.sessions, locks.sync_lease("prov-sim"), "replica-b", clock(),
                timedelta(minutes=30))  # fmt: skip
    operator = Govcloud.acting_as(app, "ops-li")
    with pytest.raises(Conflict, match="replica-b"):
        operator.sync_provider("prov-sim")
    specs = _only(app, "sync:prov-sim")
    replica = Replica(app, ReplicaOptions(name="replica-a"), specs=lambda: specs)
    try:
        replica.lead_once()
        assert replica.run_job_once() == "sync:prov-sim"
        [run] = [r for r in _runs(app, "sync:prov-sim") if r.state != "queued"]
        assert run.state == "temporary" and "replica-b" in (run.error or "")
        leases.release(app.sessions, locks.sync_lease("prov-sim"), "replica-b")
        assert operator.sync_provider("prov-sim").provider == "prov-sim"
        assert operator.sync_provider("prov-sim").provider == "prov-sim"  # released each time
    finally:
        replica.election.release()


def test_a_broken_audit_chain_fails_the_daily_verification(
    app: App, service: RequestService, clock: FakeClock
) -> None:
    specs = _only(app, "audit-verify")
    replica = Replica(app, ReplicaOptions(name="replica-a"), specs=lambda: specs)
    try:
        Govcloud.acting_as(app, "ops-li").run_job("audit-verify")
        assert replica.run_job_once() == "audit-verify"
        with app.engine.begin() as connection:
            head = connection.execute(text("SELECT MAX(seq) FROM audit_event")).scalar_one()
            connection.execute(
                text("UPDATE audit_event SET actor = 'mallory' WHERE seq = :s"), {"s": head}
            )
        clock.advance(seconds=1)
        Govcloud.acting_as(app, "ops-li").run_job("audit-verify")
        assert replica.run_job_once() == "audit-verify"
        first, second = [r for r in _runs(app, "audit-verify") if r.requested_by == "ops-li"]
        assert first.state == "ok" and first.detail["intact"] is True
        assert second.state == "failed" and "AuditChainBroken" in (second.error or "")
    finally:
        replica.election.release()


def test_jobs_commands_and_their_roles(
    app: App, service: RequestService, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    home = ["--home", str(app.settings.home)]
    runner = CliRunner()
    queued = runner.invoke(
        cli_app, [*home, "--as", "ops-li", "jobs", "run", "health", "-o", "json"]
    )
    assert queued.exit_code == 0, queued.output
    assert json.loads(queued.output)["state"] == "queued"
    # refusals as the command line reports them (main: the facade's refusal, one line)
    capsys.readouterr()
    refused = main(["--context", "", "--lang", "en", *home, "--as", "audit-zhou",
                    "jobs", "run", "health"])  # fmt: skip
    assert refused != 0 and "may not run a scheduled job" in capsys.readouterr().err
    unknown = main(
        ["--context", "", "--lang", "en", *home, "--as", "ops-li", "jobs", "run", "nope"]
    )
    err = capsys.readouterr().err
    assert unknown != 0 and "nope" in err and "Traceback" not in err
    specs = _only(app, "health")
    replica = Replica(app, ReplicaOptions(name="replica-a"), specs=lambda: specs)
    clock.now = datetime.now(UTC) + timedelta(seconds=5)  # the CLI queued on the wall clock
    try:
        assert replica.run_job_once() == "health"
    finally:
        replica.election.release()
    listed = runner.invoke(cli_app, [*home, "--as", "audit-zhou", "jobs", "list", "-o", "json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["name"]: r for r in json.loads(listed.output)}
    assert {"health", "sync:prov-sim", "month-close", "meter-collect", "audit-verify",
            "policy-audit"} <= set(rows)  # fmt: skip
    assert rows["health"]["last_state"] == "ok" and rows["health"]["runs"] == 1
    shown = runner.invoke(
        cli_app, [*home, "--as", "ops-li", "jobs", "show", "health", "-o", "json"]
    )
    assert shown.exit_code == 0, shown.output
    [run] = json.loads(shown.output)["recent"]
    assert (run["state"], run["replica"], run["requested_by"]) == ("ok", "replica-a", "ops-li")
