"""Address plans: each system's subnet from its cloud's pool, on SQLite and PostgreSQL.

Cases: with ``addressPool: 10.64.0.0/23`` on the provider, two systems of one
department get disjoint /24s (the second plan sees the first's allocation, recorded at
provisioning); re-planning the first keeps its subnet; a third /24 is refused at plan
time with a located error naming the pool; a ``subnetPrefix: 25`` is still refused when
nothing that size is free; deleting the first system releases its subnet, which the
next plan then gets; the pure ``next_free`` skips taken blocks of any size and refuses
a prefix wider than the pool. A pool with host bits set is an estate error.
"""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from controlplane.app import App
from controlplane.estate.schema import parse_estate
from controlplane.inventory.addresses import next_free
from controlplane.planning.service import PlanService
from controlplane.requests import provisioner, request_service
from controlplane.requests.from_plan import PlanServicePlanner
from tenants import ManifestError, ParsedRequest, load_requests, load_yaml_documents
from tests.governance.support import GOVERNED

OPERATOR = "local-operator"


def _estate(app: App, pool: str = "10.64.0.0/23") -> None:
    text = GOVERNED.read_text().replace(
        "    - {name: prov-sim, tier: provincial, kind: simulator, seed: 1, certifiedLevel: 4,",
        f"    - {{name: prov-sim, tier: provincial, kind: simulator, seed: 1, certifiedLevel: 4,"
        f" addressPool: {pool},",
    )
    app.estate.apply(parse_estate(load_yaml_documents(text, "e.yaml"), "e.yaml"), actor="ops")


def _manifest(name: str, prefix: int | None = None) -> ParsedRequest:
    size = f", subnetPrefix: {prefix}" if prefix else ""
    text = f"""apiVersion: govcloud.io/v1
kind: SystemRequest
metadata: {{name: {name}, tenant: hrss}}
spec:
  classifiedProtection: 2
  dataClassification: general
  placement: {{provider: prov-sim}}
  compute:
    - {{name: web, flavor: c2m4, count: 1, image: kylin-v10-sp3}}
  network: {{ingress: [{{port: 443, protocol: tcp, from: 10.20.0.0/16}}]{size}}}
  backup: {{enabled: true, retentionDays: 30}}
"""
    return load_requests(text, name=f"{name}.yaml")[0]


def _subnet(app: App, parsed: ParsedRequest) -> str:
    plan = PlanService(app.sessions, app.clock, app.settings).plan(parsed, principal=OPERATOR)
    (network,) = [d for d in plan.desired if d.kind == "network"]
    return str(network.spec["cidr"])


def _provision(app: App, parsed: ParsedRequest, *, delete: bool = False) -> None:
    service = request_service(
        app, PlanServicePlanner(PlanService(app.sessions, app.clock, app.settings))
    )
    result = (service.delete if delete else service.apply)(parsed, actor=OPERATOR)
    assert result.request is not None and result.request.state == "Approved", result
    assert not provisioner(app).provision(result.request.id or 0, actor=OPERATOR).failed


def test_systems_get_disjoint_subnets_until_the_pool_is_exhausted(app: App) -> None:
    _estate(app)
    assert _subnet(app, _manifest("portal")) == "10.64.0.0/24"
    _provision(app, _manifest("portal"))
    assert _subnet(app, _manifest("billing")) == "10.64.1.0/24"
    _provision(app, _manifest("billing"))
    assert _subnet(app, _manifest("portal")) == "10.64.0.0/24"

    with pytest.raises(ManifestError) as refused:
        _subnet(app, _manifest("archive"))
    (problem,) = refused.value.problems
    assert "10.64.0.0/23" in problem.message and "/24" in problem.message
    assert problem.path == "spec.network" and problem.location.line == 10
    with pytest.raises(ManifestError):
        _subnet(app, _manifest("archive", prefix=25))

    _provision(app, _manifest("portal"), delete=True)
    assert _subnet(app, _manifest("archive", prefix=25)) == "10.64.0.0/25"


def test_next_free_is_pure() -> None:
    pool = IPv4Network("10.64.0.0/22")
    taken = [IPv4Network("10.64.0.0/25"), IPv4Network("10.64.1.0/24")]
    assert next_free(pool, 24, taken) == IPv4Network("10.64.2.0/24")
    assert next_free(pool, 25, taken) == IPv4Network("10.64.0.128/25")
    assert next_free(pool, 21, []) is None


def test_pool_with_host_bits_is_an_estate_error(app: App) -> None:
    with pytest.raises(ManifestError) as raised:
        _estate(app, pool="10.64.0.1/23")
    assert any("addressPool" in str(p.path) for p in raised.value.problems)
