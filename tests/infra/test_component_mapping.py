"""The Pulumi component provisions what the SDK engine provisions, resource for resource.

Cases:
- for every admitted manifest of the request corpus, under ``pulumi.runtime.set_mocks``,
  the component's registered resources (type token, logical name, inputs) correspond
  one-to-one with the desired resources the SDK drivers get for the same plan: every
  desired ``kind/name`` is the logical name of exactly the expected types, nothing else
  is registered besides the component and its explicit provider, the inputs carry the
  desired spec (flavour, image, CIDR, rule ports and sources, volume size, Kubernetes
  bodies exactly as the SDK driver writes them), and every cloud resource carries the
  tenant/system/request marks inventory sync reads;
- changing one security rule in a manifest replaces exactly that rule resource (same
  inputs but its ports), and changing a flavour changes exactly the server's
  ``flavorName`` (and its spec-fingerprint tag), nothing else;
- a department project created by the standalone program gets its quotas; a desired kind
  the provider cannot hold, or an unknown reference, is refused before anything runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from infra.blueprint import Department, blueprint
from infra.component import SystemComponent
from providers import ProviderInvalidRequest
from providers.kubernetes_objects import OBJECT_KINDS
from providers.openstack_tags import identity_of, resource_tags
from providers.types import DesiredResource, QuotaSet, SystemRef, managed_identity, spec_fingerprint
from tests.infra.conftest import ADMITTED, family, planned
from tests.infra.mock_runtime import Registered, run_mocked

CONFIG = {"openstack:cloud": "prov-main", "kubernetes:context": "water"}
OS = "openstack:"
TYPES = {
    "network": {f"{OS}networking/network:Network", f"{OS}networking/subnet:Subnet"},
    "router": {f"{OS}networking/router:Router", f"{OS}networking/routerInterface:RouterInterface"},
    "security_group": {f"{OS}networking/secGroup:SecGroup"},
    "security_rule": {f"{OS}networking/secGroupRule:SecGroupRule"},
    "server": {f"{OS}networking/port:Port", f"{OS}compute/instance:Instance"},
    "volume": {f"{OS}blockstorage/volume:Volume", f"{OS}compute/volumeAttach:VolumeAttach"},
    "floating_ip": {
        f"{OS}networking/floatingIp:FloatingIp",
        f"{OS}networking/floatingIpAssociate:FloatingIpAssociate",
    },
    "namespace": {"kubernetes:core/v1:Namespace"},
    "namespace_quota": {"kubernetes:core/v1:ResourceQuota"},
    "limit_range": {"kubernetes:core/v1:LimitRange"},
    "network_policy": {"kubernetes:networking.k8s.io/v1:NetworkPolicy"},
    "role_binding": {"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"},
}
#: Association resources: marked by what they join, not tagged themselves (as in the SDK).
UNTAGGED = {
    f"{OS}networking/routerInterface:RouterInterface",
    f"{OS}networking/secGroupRule:SecGroupRule",
    f"{OS}compute/volumeAttach:VolumeAttach",
    f"{OS}networking/floatingIpAssociate:FloatingIpAssociate",
}


def plain(value: Any) -> Any:
    """Mock inputs travel as protobuf values: integral floats back to ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def register(system: SystemRef, desired: Sequence[DesiredResource], kind: str) -> list[Registered]:
    plan = blueprint(system, desired, kind, provider=f"test-{kind}")
    return run_mocked(lambda: SystemComponent(plan), CONFIG)


def by_name(registered: list[Registered]) -> dict[str, dict[str, Registered]]:
    grouped: dict[str, dict[str, Registered]] = defaultdict(dict)
    for item in registered:
        assert item.type not in grouped[item.name], f"{item.name} registered twice as {item.type}"
        grouped[item.name][item.type] = item
    return grouped


def expected_types(item: DesiredResource) -> set[str]:
    types = set(TYPES[item.kind])
    if item.kind == "network" and item.spec.get("router"):
        types |= TYPES["router"]
    if item.kind == "volume" and not item.spec.get("server"):
        types.discard(f"{OS}compute/volumeAttach:VolumeAttach")
    return types


def check_marks(system: SystemRef, item: DesiredResource, found: Registered) -> None:
    inputs = plain(found.inputs)
    if found.type.startswith("kubernetes:"):
        assert managed_identity(inputs["metadata"]["labels"]) == (
            system.tenant, system.system, system.request_id,
        )  # fmt: skip
    elif found.type not in UNTAGGED:
        marks = inputs.get("tags", inputs.get("metadata"))
        assert identity_of(marks) == (system.tenant, system.system, system.request_id, item.name)


def check_inputs(system: SystemRef, item: DesiredResource, found: dict[str, Registered]) -> None:
    spec = item.spec
    inputs = {token.rsplit(":", 1)[1]: plain(reg.inputs) for token, reg in found.items()}
    if item.kind == "network":
        assert inputs["Subnet"]["cidr"] == spec["cidr"]
        assert inputs["Network"]["tags"] == resource_tags(system, item.name, spec_fingerprint(spec))
    elif item.kind == "security_group":
        assert inputs["SecGroup"]["deleteDefaultRules"] is True
        assert inputs["SecGroup"]["name"] == f"{system.system}-{item.name}"
    elif item.kind == "security_rule":
        rule = inputs["SecGroupRule"]
        assert rule["direction"] == spec["direction"]
        assert rule["remoteIpPrefix"] == spec["remote_cidr"]
        assert rule.get("protocol") == (None if spec["protocol"] == "any" else spec["protocol"])
        assert rule.get("portRangeMin") == spec.get("port_min")
        assert rule.get("portRangeMax") == spec.get("port_max")
        assert rule["ethertype"] == spec.get("ethertype", "IPv4")
    elif item.kind == "server":
        server = inputs["Instance"]
        assert (server["flavorName"], server["imageName"]) == (spec["flavor"], spec["image"])
        assert len(inputs["Port"]["securityGroupIds"]) == len(spec["security_groups"])  # type: ignore[arg-type]
    elif item.kind == "volume":
        assert inputs["Volume"]["size"] == spec["size_gib"]
    elif item.kind == "floating_ip":
        assert inputs["FloatingIp"]["pool"] == "public"
    elif item.kind == "namespace":
        assert inputs["Namespace"]["metadata"]["name"] == item.name
    else:
        # The Kubernetes body is the SDK driver's, field for field.
        body = plain(OBJECT_KINDS[item.kind].body(system, item))
        (got,) = inputs.values()
        assert {k: v for k, v in got.items() if k != "metadata"} == {
            k: v for k, v in body.items() if k != "metadata"
        }
        assert got["metadata"] == {**body["metadata"], "namespace": got["metadata"]["namespace"]}


@pytest.mark.parametrize("path", ADMITTED, ids=lambda p: p.stem)
def test_component_registers_the_sdk_engines_desired_resources(path: Path) -> None:
    checked = 0
    for system, desired in planned(path):
        for kind in ("openstack", "kubernetes"):
            wanted = family(desired, kind)
            if not wanted:
                continue
            registered = register(system, wanted, kind)
            grouped = by_name(registered)
            (component,) = grouped.pop(f"{system.tenant}-{system.system}").values()
            assert component.type == f"govcloud:index:{kind.capitalize()}System"
            (provider,) = grouped.pop("department" if kind == "openstack" else "cluster").values()
            assert provider.type == f"pulumi:providers:{kind}"
            assert set(grouped) == {item.key for item in wanted}, "one-to-one by logical name"
            for item in wanted:
                assert set(grouped[item.key]) == expected_types(item), item.key
                for found in grouped[item.key].values():
                    check_marks(system, item, found)
                check_inputs(system, item, grouped[item.key])
                checked += 1
    assert checked, f"{path.name} planned no resource"


def inputs_of(text: str, kind: str) -> dict[tuple[str, str], dict[str, Any]]:
    ((system, desired),) = planned(text)
    return {
        (r.type, r.name): plain(r.inputs) for r in register(system, family(desired, kind), kind)
    }


def test_changing_a_rule_or_a_flavour_changes_exactly_the_matching_input() -> None:
    source = (ADMITTED[0].parent / "ok-provincial.yaml").read_text(encoding="utf-8")
    before = inputs_of(source, "openstack")
    rule = f"{OS}networking/secGroupRule:SecGroupRule"

    after = inputs_of(source.replace("{port: 22, from", "{port: 2222, from"), "openstack")
    gone, new = set(before) - set(after), set(after) - set(before)
    assert gone == {(rule, "security_rule/in-tcp-22-10-20-0-0-16")}
    assert new == {(rule, "security_rule/in-tcp-2222-10-20-0-0-16")}
    (old_key,), (new_key,) = gone, new
    changed = {k for k in before[old_key] if before[old_key][k] != after[new_key].get(k)}
    assert changed == {"portRangeMin", "portRangeMax", "description"}
    assert after[new_key]["portRangeMin"] == after[new_key]["portRangeMax"] == 2222
    assert all(before[key] == after[key] for key in set(before) & set(after))

    after = inputs_of(source.replace("flavor: c4m8", "flavor: c8m32"), "openstack")
    assert set(after) == set(before)
    differing = {
        (key, field)
        for key in before
        for field in set(before[key]) | set(after[key])
        if before[key].get(field) != after[key].get(field)
    }
    instance = f"{OS}compute/instance:Instance"
    assert differing == {
        ((instance, f"server/web-{n}"), field) for n in (1, 2) for field in ("flavorName", "tags")
    }
    for n in (1, 2):
        key = (instance, f"server/web-{n}")
        assert after[key]["flavorName"] == "c8m32"
        tag_diff = set(before[key]["tags"]) ^ set(after[key]["tags"])
        assert {tag.split("=")[0] for tag in tag_diff} == {"govcloud:spec"}


def test_a_created_department_project_gets_its_quotas() -> None:
    system = SystemRef("hrss", "portal", "1", 3)
    desired = [DesiredResource("network", "net", {"cidr": "10.0.0.0/24", "router": False})]
    plan = blueprint(
        system, desired, "openstack", provider="p",
        department=Department(create=True, quotas=QuotaSet(vcpu=64, memory_gib=256, storage_gib=10)),
    )  # fmt: skip
    found = {r.type: plain(r.inputs) for r in run_mocked(lambda: SystemComponent(plan), CONFIG)}
    assert found[f"{OS}identity/project:Project"]["name"] == "govcloud-hrss"
    assert found[f"{OS}compute/quotaSetV2:QuotaSetV2"] | {"projectId": None} == {
        "projectId": None, "cores": 64, "ram": 256 * 1024, "instances": -1,
    }  # fmt: skip
    assert found[f"{OS}blockstorage/quoteSetV3:QuoteSetV3"]["gigabytes"] == 10
    assert found["pulumi:providers:openstack"]["tenantId"] == "project/govcloud-hrss-id"


@pytest.mark.parametrize(
    ("kind", "desired", "message"),
    [
        ("openstack", [DesiredResource("namespace", "ns")], "not openstack resource kinds"),
        ("simulator", [], "provisions openstack and kubernetes"),
        (
            "openstack",
            [DesiredResource("security_rule", "r", {"security_group": "nope"})],
            "refers to undeclared security_group/nope:group",
        ),
    ],
)
def test_what_cannot_be_provisioned_is_refused_before_anything_runs(
    kind: str, desired: list[DesiredResource], message: str
) -> None:
    with pytest.raises(ProviderInvalidRequest, match=message):
        blueprint(SystemRef("hrss", "portal", "1", 3), desired, kind, provider="p")
