"""The Pulumi engine behind the ``Provisioning`` protocol, and provisioning through it.

Cases:
- ``apply`` runs ``up`` on the system's stack and gives one outcome per desired
  resource: created, then unchanged on a re-run; a failed part (a network's subnet)
  fails exactly that resource, with the engine's diagnostic; a run that fails after its
  resources (the program crashed) fails them all with the CLI's error; the event lines
  are kept; ``preview`` is the plan diff and ``drift`` names what ``refresh`` found changed;
- ``delete`` runs ``destroy``: one ``deleted`` outcome per desired resource the stack
  held, nothing for a stack that never existed;
- through the ``Provisioner`` (SQLite and PostgreSQL): a request on a provider whose
  engine is ``pulumi`` provisions through the stack, its outcomes are recorded and the
  engine's event stream is on the request's history (the audit record of the move to
  Ready); the same provider with no ``pulumi`` CLI fails the request with the install
  hint instead of falling back to the SDK (the simulator holds nothing).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlmodel import Session, select

from controlplane.app import App
from controlplane.db.models import AuditEvent, Provider
from controlplane.drivers import engine_for
from controlplane.requests import Provisioner, RequestService, desired_from_json
from infra.blueprint import blueprint
from infra.component import SystemComponent
from infra.engine import PulumiEngine
from infra.runner import RunnerSettings, StackRunner
from providers import ProviderInvalidRequest, Provisioning
from providers.types import DesiredResource, SystemRef
from tests.governance.support import apply_estate, manifest
from tests.infra.conftest import REQUESTS, family, planned
from tests.infra.fake_pulumi import FakePulumi, Scripted
from tests.infra.mock_runtime import run_mocked
from tests.infra.support import RealDesired, make_pulumi_provider

CONFIG = {"openstack:cloud": "prov-main"}


def script_for(
    system: SystemRef, desired: Sequence[DesiredResource], op: str = "create"
) -> list[Scripted]:
    """What a real ``up`` reports: a step per registered resource (from the mock runtime)."""
    plan = blueprint(system, desired, "openstack", provider="prov-main")
    registered = run_mocked(lambda: SystemComponent(plan), CONFIG)
    return [Scripted(op, r.type, r.name) for r in registered if not r.type.startswith("govcloud:")]


@pytest.fixture
def fake() -> FakePulumi:
    return FakePulumi()


@pytest.fixture
def engine(tmp_path: Path, fake: FakePulumi) -> PulumiEngine:
    runner = StackRunner(RunnerSettings(tmp_path, "pw"), command=lambda: fake)
    return PulumiEngine("prov-main", "openstack", runner=runner, config=CONFIG)


def test_apply_and_delete_give_one_outcome_per_desired_resource(
    engine: PulumiEngine, fake: FakePulumi
) -> None:
    assert isinstance(engine, Provisioning)
    ((system, desired),) = planned(REQUESTS / "manifests" / "ok-provincial.yaml")
    wanted = family(desired, "openstack")
    fake.script = script_for(system, wanted)
    outcomes = engine.apply(system, wanted)
    assert [(o.kind, o.name) for o in outcomes] == [(d.kind, d.name) for d in wanted]
    assert {o.action for o in outcomes} == {"created"}
    server = next(o for o in outcomes if o.kind == "server")
    assert server.resource_id == f"server/{server.name}-id"
    assert len(engine.events) == len(fake.script)

    fake.script = script_for(system, wanted, "same")
    assert {o.action for o in engine.apply(system, wanted)} == {"unchanged"}

    fake.script = [
        dataclasses.replace(s, failed=s.type.endswith("Subnet")) for s in script_for(system, wanted)
    ]
    outcomes = {o.name: o for o in engine.apply(system, wanted)}
    assert not outcomes["net"].ok
    assert outcomes["net"].error is not None and "quota exceeded" in outcomes["net"].error.detail
    assert all(o.ok for name, o in outcomes.items() if name != "net")

    fake.script = script_for(system, wanted, "same")
    fake.fail_after = "error: an unhandled error occurred: program exited"
    outcomes = {o.name: o for o in engine.apply(system, wanted)}
    assert not any(o.ok for o in outcomes.values()), "a failed run fails every resource"
    assert "an unhandled error occurred" in (
        outcomes["net"].error.detail if outcomes["net"].error else ""
    )
    fake.fail_after = None

    fake.script = [dataclasses.replace(s, op="update") if s.type.endswith("Instance") else s
                   for s in script_for(system, wanted, "same")]  # fmt: skip
    assert engine.preview(system, wanted).changes == {"same": len(fake.script) - 2, "update": 2}
    fake.script = [dataclasses.replace(s, op="refresh", diffs=("tags",) if s.type.endswith("SecGroup") else ())
                   for s in script_for(system, wanted)]  # fmt: skip
    assert engine.drift(system) == ["security_group/sg"]

    deleted = engine.delete(system)
    assert sorted((o.kind, o.name) for o in deleted) == sorted((d.kind, d.name) for d in wanted)
    assert {o.action for o in deleted} == {"deleted"}
    assert engine.delete(SystemRef("hrss", "never-made", "1", 2)) == []


def test_provisioning_through_pulumi_records_the_event_stream(
    app: App, tmp_path: Path, fake: FakePulumi
) -> None:
    apply_estate(app)
    make_pulumi_provider(app)
    service = RequestService(app.sessions, app.clock, RealDesired(app))
    request = service.apply(manifest(), actor="hrss-wang").request
    assert request is not None and request.id is not None
    runner = StackRunner(RunnerSettings(tmp_path / "pulumi", "pw"), command=lambda: fake)

    def engines(provider: Provider) -> Provisioning:
        assert provider.engine == "pulumi"
        return PulumiEngine(provider.name, provider.kind, runner=runner,
                            config={"openstack:cloud": provider.cloud or ""})  # fmt: skip

    desired = desired_from_json(request.plan["govcloud"]["desired"])
    fake.script = script_for(SystemRef("hrss", "portal", str(request.id), 2), desired)
    result = Provisioner(app.sessions, app.clock, engines).provision(request.id, actor="ops-li")
    assert result.state == "Ready", result.failed
    assert {o.action for o in result.outcomes} == {"created"}
    assert len(result.outcomes) == len(desired)
    with Session(app.engine) as session:
        ready = session.exec(
            select(AuditEvent).where(
                AuditEvent.subject == f"request/{request.id}", AuditEvent.action == "request.ready"
            )
        ).one()
    assert ready.payload["engine"] == "pulumi"
    assert ready.payload["engine_events"] == [f"create {s.type} {s.name}" for s in fake.script]


def test_no_pulumi_cli_fails_the_request_and_never_falls_back(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_estate(app)
    make_pulumi_provider(app)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    settings = dataclasses.replace(app.settings, pulumi_passphrase="pw")
    service = RequestService(app.sessions, app.clock, RealDesired(app))
    request = service.apply(manifest(), actor="hrss-wang").request
    assert request is not None and request.id is not None
    engines = Provisioner(app.sessions, app.clock, lambda p: engine_for(p, settings, app.clock))
    result = engines.provision(request.id, actor="ops-li")
    assert result.state == "Failed"
    assert all(o.error is not None and o.error.code == "pulumi_missing" for o in result.outcomes)
    detail = service.show(request.id, actor="ops-li")
    assert "pulumi plugin install resource openstack" in (detail.events[-1].reason or "")
    assert not (app.settings.simulator_dir / "prov-sim.json").exists(), "no SDK fallback"
    assert not settings.pulumi_dir.exists(), "refused before any stack was written"


def test_the_pulumi_engine_needs_a_passphrase(app: App) -> None:
    apply_estate(app)
    make_pulumi_provider(app)
    with Session(app.engine) as session:
        row = session.exec(select(Provider).where(Provider.name == "prov-sim")).one()
    with pytest.raises(ProviderInvalidRequest, match="GOVCLOUD_PULUMI_PASSPHRASE"):
        engine_for(row, app.settings, app.clock)
    assert isinstance(engine_for(row, dataclasses.replace(app.settings, pulumi_passphrase="pw"),
                                 app.clock), PulumiEngine)  # fmt: skip
