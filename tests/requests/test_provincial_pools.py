"""A provincial cloud made of several resource pools, on SQLite and PostgreSQL.

Cases: an estate with two provincial pools (a 信创 aarch64 pool certified at level 4 and
an x86 pool certified at level 3) applies; a 信创 system lands on the 信创 pool with the
x86 pool excluded by the 信创 filter; a non-信创 level-4 system is refused by the x86
pool's certified level with that reason and lands on the 信创 pool; when the pool a
system would choose is full, placement moves to the other pool and names capacity as
the reason.
"""

from __future__ import annotations

from pathlib import Path

from controlplane.app import App
from controlplane.estate.schema import parse_estate
from controlplane.planning import Plan, PlanService
from tenants import load_requests, load_yaml_file

ESTATE = Path(__file__).parent / "estates" / "pools.yaml"


def _manifest(*, level: int, xinchuang: bool, count: int, name: str = "pooled") -> str:
    return f"""apiVersion: govcloud.io/v1
kind: SystemRequest
metadata: {{name: {name}, tenant: hrss}}
spec:
  classifiedProtection: {level}
  dataClassification: general
  xinchuang: {str(xinchuang).lower()}
  compute:
    - {{name: app, flavor: c4m8, count: {count}, image: kylin-v10-sp3}}
  backup: {{enabled: true, offsite: true, retentionDays: 30}}
  encryption: {{atRest: sm4, inTransit: tls, customerManagedKey: true}}
"""


def _plan(app: App, text: str) -> Plan:
    [parsed] = load_requests(text, name="pooled.yaml")
    return PlanService(app.sessions, app.clock).plan(parsed, principal="ops")


def _apply(app: App) -> None:
    result = app.estate.apply(parse_estate(load_yaml_file(str(ESTATE)), str(ESTATE)), actor="ops")
    assert result.counts()["provider"]["create"] == 2


def _exclusion(plan: Plan, provider: str) -> tuple[str, str]:
    [found] = [e for e in plan.placement.exclusions if e.provider == provider]
    return found.filter, found.reason_en


def test_two_provincial_pools_apply_and_xinchuang_lands_on_the_xinchuang_pool(app: App) -> None:
    _apply(app)
    plan = _plan(app, _manifest(level=3, xinchuang=True, count=2))
    assert plan.provider == "prov-xc"
    assert _exclusion(plan, "prov-x86")[0] == "xinchuang"


def test_level_four_is_refused_by_the_x86_pools_certified_level(app: App) -> None:
    _apply(app)
    plan = _plan(app, _manifest(level=4, xinchuang=False, count=1))
    assert plan.provider == "prov-xc"
    kind, reason = _exclusion(plan, "prov-x86")
    assert kind == "level" and "3" in reason and "4" in reason


def test_a_full_pool_moves_placement_to_the_other(app: App) -> None:
    _apply(app)
    first = _plan(app, _manifest(level=3, xinchuang=False, count=2)).provider
    other = {"prov-xc": "prov-x86", "prov-x86": "prov-xc"}[str(first)]
    capacity = {"prov-xc": 64, "prov-x86": 32}
    # a batch: the first system leaves its pool 4 vCPU, too few for the second
    filler = _manifest(level=3, xinchuang=False, count=capacity[str(first)] // 4 - 1, name="filler")
    second = _manifest(level=3, xinchuang=False, count=2, name="second")
    parsed = load_requests(filler + "---\n" + second, name="batch.yaml")
    plans = PlanService(app.sessions, app.clock).plan_all(parsed, principal="ops")
    assert [p.provider for p in plans] == [first, other]
    kind, reason = _exclusion(plans[1], str(first))
    assert kind == "capacity" and "vcpu" in reason.lower()
