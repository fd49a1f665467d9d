"""PlanService and the pure parts of a plan.

Cases:
- desired resources of a manifest: kinds and names the drivers read (network with a
  router only when internet-facing, one rule per ingress entry, servers per count with
  their volumes, one floating IP, a namespace with quota, limits and policies);
- the price estimate rounds each line to the fen and sums the lines; unpriced meters
  are named, never free;
- the diff: create / update (named keys) / unchanged / delete, and a move deletes on
  the old provider;
- what ``apply`` returns of a stored plan: the provider and engine, the exclusions only
  when placement found none, only the failed verdicts;
- on SQLite and PostgreSQL: an estate without a ``policies:`` section still denies a
  level-3 system's RDP from the internet by the level's 等保 floor (rule, clause and
  field named; exit 1) and admits the corrected manifest; an advisory opt-out admits
  it with the warning and repeats the opt-out; a system already running with one
  changed and one extra resource plans as update with ~ and -, stays on its provider,
  and counts its own allocation; budget impact counts other systems' spend; nothing
  is written by planning;
- a planner answers a document's estate-dependent problems alike each time (a caller's
  list is its own), for each document apart; planning a document with problems raises
  them, whether or not they were asked for first; a clean document plans again alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from controlplane.app import App
from controlplane.db.engine import transaction
from controlplane.db.models import Provider, Resource, System, Tenant
from controlplane.estate.schema import parse_estate
from controlplane.planning import (
    ExistingResource,
    PlanService,
    RateTable,
    desired_resources,
    diff,
    estimate,
    meters_of,
)
from controlplane.requests.planned import plan_outcome
from policies import get_rule
from providers.types import DesiredResource
from tenants import ManifestError, load_requests, load_yaml_documents, load_yaml_file
from tests.controlplane.dbdump import snapshot

HERE = Path(__file__).parent
ESTATE = HERE / "estates" / "province.yaml"
MANIFESTS = HERE / "manifests"
FLAVORS = {"c4m8": (4, 8), "c2m4": (2, 4), "c8m32": (8, 32)}


def test_desired_resources_of_an_internet_facing_system() -> None:
    [parsed] = load_requests(MANIFESTS / "ok-compute-and-kubernetes.yaml")
    desired = desired_resources(parsed.request, FLAVORS)
    keys = [d.key for d in desired]
    assert keys[:3] == ["network/net", "security_group/sg", "security_rule/in-tcp-443-internet"]
    assert desired[0].spec == {"cidr": "10.0.0.0/24", "router": True}
    assert {"server/app-1", "server/app-2", "volume/app-1-vol1", "floating_ip/public-ip"} <= set(
        keys
    )
    assert "namespace/hrss-mixed" in keys and "namespace_quota/quota" in keys
    assert "limit_range/limits" in keys and "network_policy/default-deny" in keys
    meters = meters_of(desired)
    assert meters["compute.vcpu"] == 8 and meters["k8s.cpu"] == 16
    assert meters["network.public_ip"] == 1 and meters["storage.ssd"] == 200


def test_no_router_or_public_ip_without_internet_ingress() -> None:
    [parsed] = load_requests(MANIFESTS / "ok-municipal.yaml")
    desired = desired_resources(parsed.request, FLAVORS)
    assert desired[0].spec["router"] is False
    assert not [d for d in desired if d.kind == "floating_ip"]


def test_price_lines_round_to_the_fen_and_sum() -> None:
    table = RateTable("v1", "CNY", {("compute.vcpu", "provincial"): ("vCPU", Decimal("0.333"))})
    price = estimate({"compute.vcpu": Decimal(3), "storage.hdd": Decimal(5)}, "provincial", table)
    assert [line.amount for line in price.lines] == [Decimal("1.00"), None]
    assert price.monthly == Decimal("1.00") and price.unpriced == ("storage.hdd",)
    assert estimate({"compute.vcpu": Decimal(1)}, None, table).monthly is None


def test_diff_actions() -> None:
    want = [
        DesiredResource("server", "a", {"flavor": "c4m8"}),
        DesiredResource("server", "b", {"flavor": "c4m8"}),
        DesiredResource("volume", "c", {"size_gib": 10}),
    ]
    have = [
        ExistingResource("p1", "server", "a", "id-a", {"flavor": "c4m8", "status": "x"}),
        ExistingResource("p1", "server", "b", "id-b", {"flavor": "c2m4"}),
        ExistingResource("p1", "server", "old", "id-o", {}),
    ]
    actions = {(c.key, c.action, c.changed) for c in diff(want, "p1", have)}
    assert actions == {
        ("server/a", "unchanged", ()),
        ("server/b", "update", ("flavor",)),
        ("volume/c", "create", ()),
        ("server/old", "delete", ()),
    }
    moved = diff(want, "p2", have)
    assert {c.action for c in moved if c.provider == "p1"} == {"delete"}
    assert {c.action for c in moved if c.provider == "p2"} == {"create"}


def _apply(app: App, text: str | None = None) -> None:
    if text is None:
        app.estate.apply(parse_estate(load_yaml_file(str(ESTATE)), str(ESTATE)), actor="ops")
    else:
        app.estate.apply(parse_estate(load_yaml_documents(text, "e.yaml"), "e.yaml"), actor="ops")


def test_plan_outcome_keeps_where_it_goes_and_why_it_was_denied() -> None:
    excluded = [{"provider": "city-b", "filter": "pin", "reason": {"en": "pinned"}}]
    verdicts = [
        {"rule_id": "MLPS-1", "outcome": "pass", "enforcement": "enforce"},
        {"rule_id": "MLPS-2", "outcome": "fail", "enforcement": "enforce"},
        {"rule_id": "MLPS-3", "outcome": "fail", "enforcement": "warn"},
    ]
    stored = {
        "placement": {"provider": None, "engine": None, "ranking": [1], "excluded": excluded},
        "policy": {"admitted": False, "verdicts": verdicts},
        "changes": [{"action": "create"}],
    }
    assert plan_outcome(stored) == {
        "placement": {"provider": None, "engine": None, "excluded": excluded},
        "policy": {"verdicts": verdicts[1:]},
    }
    placed = {**stored, "placement": {"provider": "prov", "engine": "sdk", "excluded": excluded}}
    assert plan_outcome(placed)["placement"] == {"provider": "prov", "engine": "sdk"}
    assert plan_outcome({"action": "delete", "govcloud": {}}) == {}


def test_no_policies_section_enforces_the_level_floor(app: App, tmp_path: Path) -> None:
    text = ESTATE.read_text()
    _apply(app, text[: text.index("  policies:")])
    [parsed] = load_requests(MANIFESTS / "deny-risky-port-from-internet.yaml")
    before = snapshot(app.engine)
    plan = PlanService(app.sessions, app.clock).plan(parsed, principal="ops")
    assert plan.exit_code == 1 and plan.policy.admitted is False
    assert "mlps-l3" in plan.policy.packs
    [denial] = [v for v in plan.policy.denials if v.rule_id == "MLPS-L1-NET-02"]
    assert denial.field == "spec.network.ingress[0].port"
    clause = get_rule("MLPS-L1-NET-02").spec.clause
    assert all(clause in m and denial.field in m for m in (denial.message_zh, denial.message_en))
    assert snapshot(app.engine) == before

    source = (MANIFESTS / "deny-risky-port-from-internet.yaml").read_text()
    corrected = tmp_path / "corrected.yaml"
    corrected.write_text(
        source.replace("{port: 3389, from: internet}", "{port: 443, from: internet}")
    )
    [fixed] = load_requests(corrected)
    passed = PlanService(app.sessions, app.clock).plan(fixed, principal="ops")
    assert passed.exit_code == 0, [(v.rule_id, v.field) for v in passed.policy.denials]


def test_advisory_opt_out_admits_with_warnings(app: App) -> None:
    text = ESTATE.read_text()
    opt_out = (
        "  policies:\n    levelBaseline:\n      mode: advisory\n"
        "      reason: 迁移期间暂缓强制\n      reference: 省数管〔2026〕12号\n"
    )
    _apply(app, text[: text.index("  policies:")] + opt_out)
    [parsed] = load_requests(MANIFESTS / "deny-risky-port-from-internet.yaml")
    plan = PlanService(app.sessions, app.clock).plan(parsed, principal="ops")
    assert plan.exit_code == 0
    assert [v.rule_id for v in plan.policy.warnings if v.rule_id == "MLPS-L1-NET-02"]
    record = plan.to_record()["policy"]
    assert record["baselineOptOut"]["reference"] == "省数管〔2026〕12号"


def test_update_of_a_running_system(app: App) -> None:
    _apply(app)
    [parsed] = load_requests(MANIFESTS / "ok-provincial.yaml")
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with transaction(app.sessions) as session:
        hrss = session.exec(select(Tenant).where(Tenant.code == "hrss")).one()
        prov = session.exec(select(Provider).where(Provider.name == "prov-main")).one()
        system = System(
            tenant_id=hrss.id,
            name="pension-portal",
            provider_id=prov.id,
            level=3,
            data_classification="important",
            spec_hash="old",
            created_at=now,
            updated_at=now,
        )
        other = System(
            tenant_id=hrss.id,
            name="other",
            provider_id=prov.id,
            level=2,
            data_classification="general",
            created_at=now,
            updated_at=now,
        )
        session.add_all([system, other])
        session.flush()
        rows = [
            (
                system.id,
                "server",
                "web-1",
                {
                    "flavor": "c4m8",
                    "vcpu": 4,
                    "memory_mib": 8192,
                    "image": "kylin-v10-sp3",
                    "network": "net",
                    "security_groups": ["sg"],
                },
            ),
            (
                system.id,
                "server",
                "web-2",
                {
                    "flavor": "c2m4",
                    "vcpu": 2,
                    "memory_mib": 4096,
                    "image": "kylin-v10-sp3",
                    "network": "net",
                    "security_groups": ["sg"],
                },
            ),
            (system.id, "server", "legacy", {"vcpu": 2, "memory_mib": 4096}),
            (other.id, "server", "x", {"vcpu": 10, "memory_mib": 10240}),
        ]
        for i, (sid, kind, name, spec) in enumerate(rows):
            session.add(
                Resource(
                    provider_id=prov.id,
                    tenant_id=hrss.id,
                    system_id=sid,
                    provider_name=prov.name,
                    tenant_code=hrss.code,
                    system_name=session.get_one(System, sid).name,
                    kind=kind,
                    resource_id=f"r{i}",
                    name=name,
                    status="ACTIVE",
                    spec=spec,
                    created_at=now,
                    observed_at=now,
                )
            )
    before = snapshot(app.engine)
    plan = PlanService(app.sessions, app.clock).plan(parsed, principal="ops")
    assert snapshot(app.engine) == before
    assert plan.action == "update" and plan.provider == "prov-main"
    by_key = {c.key: c for c in plan.changes}
    assert by_key["server/web-1"].action == "unchanged"
    assert by_key["server/web-2"].action == "update" and "flavor" in by_key["server/web-2"].changed
    assert by_key["server/legacy"].action == "delete"
    assert plan.counts()["create"] == 7
    # used by everyone but this system: the other system's 10 vCPU
    assert plan.capacity is not None and plan.capacity.used.vcpu == 10
    # the other system: 10 × 45 + 10 GiB × 20 = 650/month
    assert plan.budget.committed_annual == Decimal(650 * 12)
    # this system today: 8 vCPU × 45 + 16 GiB × 20 = 680/month
    assert plan.budget.current_annual == Decimal(680 * 12)


def test_a_planner_answers_a_document_s_problems_alike(app: App) -> None:
    _apply(app)
    [flavor] = load_requests(MANIFESTS / "invalid-unknown-flavor.yaml")
    [tenant] = load_requests(MANIFESTS / "invalid-unknown-tenant.yaml")
    [ok] = load_requests(MANIFESTS / "ok-provincial.yaml")
    planner = PlanService(app.sessions, app.clock).planner(batch=[flavor, ok])
    first = planner.problems(flavor)
    assert [p.path for p in first] == ["spec.compute[0].flavor"]
    first.clear()  # the caller's list: the planner's answer stays
    assert [p.path for p in planner.problems(flavor)] == ["spec.compute[0].flavor"]
    assert [p.path for p in planner.problems(tenant)] == ["metadata.tenant"]
    assert planner.problems(ok) == []
    with pytest.raises(ManifestError) as raised:
        planner.plan(flavor, principal="ops")
    assert list(raised.value.problems) == planner.problems(flavor)
    assert planner.plan(ok, principal="ops").exit_code == 0
    assert planner.plan(ok, principal="ops").exit_code == 0  # checked again: the same
    unchecked = PlanService(app.sessions, app.clock).planner(batch=[tenant])
    with pytest.raises(ManifestError) as raised:
        unchecked.plan(tenant, principal="ops")
    assert [p.path for p in raised.value.problems] == ["metadata.tenant"]
