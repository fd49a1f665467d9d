"""The ``SystemRequest`` schema (``tenants.request``) and its spec hash.

Cases:
- the DESIGN.md example validates into snake_case fields with typed values (quantities
  in base units, port ranges, networks);
- defaults where DESIGN.md is silent (count, volume type/encryption, backup, logging,
  encryption, protocol) and that ``from`` is never defaulted;
- cross-field rules located at the offending field: duplicate compute names, a system
  asking for nothing, icmp/port, offsite without backup, LimitRange ordering and ceiling;
- strictness: strings for numbers, ``yes`` for booleans, unknown fields, IPv6, host bits;
- ``spec_hash``: unchanged by key order, layout, comments, spelled-out defaults,
  equivalent quantities, order of compute groups and ingress rules (hypothesis over
  shuffles); changed by any real change; independent of metadata.
"""

from __future__ import annotations

import copy
import json
import random
from decimal import Decimal
from ipaddress import IPv6Network, ip_network
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tenants.request import PortRange, SystemRequest

EXAMPLE: dict[str, Any] = {
    "apiVersion": "govcloud.io/v1",
    "kind": "SystemRequest",
    "metadata": {"name": "social-security-portal", "tenant": "hrss"},
    "spec": {
        "classifiedProtection": 3,
        "dataClassification": "important",
        "xinchuang": True,
        "placement": {"tier": "provincial", "provider": "prov-main"},
        "compute": [
            {
                "name": "web",
                "flavor": "c4m8",
                "count": 2,
                "image": "kylin-v10-sp3",
                "volumes": [{"sizeGiB": 100, "type": "ssd", "encrypted": True}],
            },
            {"name": "db", "flavor": "c8m32", "image": "kylin-v10-sp3"},
        ],
        "kubernetes": {"quota": {"cpu": "16", "memory": "64Gi", "pods": 100}},
        "network": {
            "ingress": [
                {"port": 443, "protocol": "tcp", "from": "internet"},
                {"port": 22, "protocol": "tcp", "from": "10.20.0.0/16"},
                {"port": "8000-8080", "protocol": "udp", "from": "2001:db8::/32"},
            ]
        },
        "backup": {"enabled": True, "offsite": True, "retentionDays": 30},
        "logging": {"retentionDays": 180},
        "encryption": {"atRest": "sm4", "inTransit": "tls"},
    },
}


def _with(path: str, value: Any) -> dict[str, Any]:
    """EXAMPLE with the dotted ``path`` set to ``value`` (``None`` value deletes)."""
    data = copy.deepcopy(EXAMPLE)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node: Any = data
    for part in parents:
        node = node[part]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return data


def _errors(data: dict[str, Any]) -> list[tuple[tuple[int | str, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        SystemRequest.model_validate(data)
    return [
        ((*e["loc"], *(e.get("ctx") or {}).get("at", ())), e["msg"]) for e in caught.value.errors()
    ]


def test_example_validates_into_typed_values() -> None:
    request = SystemRequest.model_validate(EXAMPLE)
    spec = request.spec
    assert request.metadata.tenant == "hrss"
    assert spec.classified_protection == 3 and spec.data_classification == "important"
    assert spec.compute[0].volumes[0].size_gib == 100
    assert spec.kubernetes is not None
    assert spec.kubernetes.quota.cpu == Decimal(16)
    assert spec.kubernetes.quota.memory == 64 * 1024**3
    rules = spec.network.ingress
    assert rules[0].source == "internet"
    assert rules[1].source == ip_network("10.20.0.0/16")
    assert isinstance(rules[2].source, IPv6Network)
    assert rules[2].port == PortRange(8000, 8080) and 8080 in rules[2].port
    assert 8081 not in rules[2].port
    assert str(rules[2].port) == "8000-8080" and str(rules[0].port) == "443"
    assert spec.encryption.at_rest == "sm4"


def test_defaults_where_design_is_silent() -> None:
    minimal = {
        "apiVersion": "govcloud.io/v1",
        "kind": "SystemRequest",
        "metadata": {"name": "a", "tenant": "b"},
        "spec": {
            "classifiedProtection": 1,
            "dataClassification": "general",
            "compute": [{"name": "x", "flavor": "c2m4", "image": "i", "volumes": [{"sizeGiB": 1}]}],
            "network": {"ingress": [{"port": 80, "from": "10.0.0.0/8"}]},
        },
    }
    spec = SystemRequest.model_validate(minimal).spec
    assert spec.xinchuang is False
    assert spec.placement.tier is None and spec.placement.provider is None
    assert spec.compute[0].count == 1
    volume = spec.compute[0].volumes[0]
    assert (volume.type, volume.encrypted) == ("ssd", True)
    assert spec.kubernetes is None
    assert spec.network.ingress[0].protocol == "tcp"
    assert (spec.backup.enabled, spec.backup.offsite, spec.backup.retention_days) == (
        False,
        False,
        30,
    )
    assert spec.logging.retention_days == 180
    assert (spec.encryption.at_rest, spec.encryption.in_transit) == ("sm4", "tls")


def test_ingress_source_is_never_defaulted() -> None:
    errors = _errors(_with("spec.network.ingress.0.from", None))
    assert errors == [(("spec", "network", "ingress", 0, "from"), "Field required")]


@pytest.mark.parametrize(
    ("path", "value", "where", "words"),
    [
        ("spec.compute.1.name", "web", ("spec", "compute", 1, "name"), "duplicate compute name"),
        ("spec.compute", [], ("spec", "compute"), "at least one compute group"),
        (
            "spec.network.ingress.0",
            {"protocol": "icmp", "port": 8, "from": "internet"},
            ("spec", "network", "ingress", 0, "port"),
            "icmp has no ports",
        ),
        (
            "spec.network.ingress.0",
            {"protocol": "udp", "from": "internet"},
            ("spec", "network", "ingress", 0, "protocol"),
            "needs a port",
        ),
        (
            "spec.backup",
            {"enabled": False, "offsite": True},
            ("spec", "backup", "offsite"),
            "needs backups enabled",
        ),
        (
            "spec.kubernetes.limitRange",
            {"defaultRequest": {"cpu": "2"}, "default": {"cpu": "1"}},
            ("spec", "kubernetes", "limitRange", "defaultRequest", "cpu"),
            "above default",
        ),
        (
            "spec.kubernetes.limitRange",
            {"max": {"memory": "128Gi"}},
            ("spec", "kubernetes", "limitRange", "max", "memory"),
            "above quota",
        ),
    ],
)
def test_cross_field_rules_point_at_the_field(
    path: str, value: Any, where: tuple[int | str, ...], words: str
) -> None:
    data = _with(path, value)
    if path == "spec.compute":
        del data["spec"]["kubernetes"]
    ((loc, message),) = _errors(data)
    assert loc == where
    assert words in message


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("spec.classifiedProtection", "3"),
        ("spec.classifiedProtection", 0),
        ("spec.classifiedProtection", 5),
        ("spec.xinchuang", "yes"),
        ("spec.xinchuang", 1),
        ("spec.compute.0.count", Decimal("2.0")),
        ("spec.compute.0.volumes.0.encrypted", "true"),
        ("spec.compute.0.name", "Web"),
        ("spec.compute.0.flavor", "c4 m8"),
        ("spec.network.ingress.0.port", 0),
        ("spec.network.ingress.0.port", "80-"),
        ("spec.network.ingress.0.port", True),
        ("spec.network.ingress.1.from", "10.20.0.1/16"),
        ("spec.network.ingress.1.from", "anywhere"),
        ("spec.network.ingress.1.from", 10),
        ("spec.kubernetes.quota.cpu", "0"),
        ("spec.dataClassification", "secret"),
        ("spec.encryption.inTransit", "ssl"),
        ("spec.logging.retentionDays", 0),
        ("spec.placement.provider", "Prov_Main"),
        ("spec.unknownField", 1),
        ("metadata.name", "x" * 64),
        ("apiVersion", "govcloud.io/v2"),
        ("kind", "Estate"),
    ],
)
def test_strict_values_are_refused(path: str, value: Any) -> None:
    errors = _errors(_with(path, value))
    assert len(errors) == 1
    loc = errors[0][0]
    assert ".".join(str(p) for p in loc) == path


def test_snake_case_names_are_accepted_in_code() -> None:
    request = SystemRequest(
        api_version="govcloud.io/v1",
        kind="SystemRequest",
        metadata={"name": "n", "tenant": "t"},
        spec={
            "classified_protection": 2,
            "data_classification": "general",
            "kubernetes": {"quota": {"cpu": 1, "memory": "1Gi", "pods": 1}},
        },
    )
    assert request.spec.kubernetes is not None


def test_model_is_frozen() -> None:
    request = SystemRequest.model_validate(EXAMPLE)
    with pytest.raises(ValidationError):
        request.spec.xinchuang = False  # type: ignore[misc]


# --- spec hash -----------------------------------------------------------------------


def _hash(data: dict[str, Any]) -> str:
    return SystemRequest.model_validate(data).spec_hash()


def _shuffled(value: Any, rng: random.Random) -> Any:
    """The same data with every mapping's keys in a random order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@settings(max_examples=50)
@given(st.randoms(use_true_random=False))
def test_hash_ignores_key_order_and_set_like_list_order(rng: random.Random) -> None:
    data = _shuffled(EXAMPLE, rng)
    rng.shuffle(data["spec"]["compute"])
    rng.shuffle(data["spec"]["network"]["ingress"])
    assert _hash(data) == _hash(EXAMPLE)


@given(
    st.sampled_from(["16", 16, "16000m", Decimal("16.0"), "0.016k", "16e0"]),
    st.sampled_from(["64Gi", 68719476736, "65536Mi", "0.0625Ti", "67108864Ki"]),
    st.sampled_from([100, "100", "0.1k"]),
)
def test_hash_ignores_equivalent_quantities(cpu: Any, memory: Any, pods: Any) -> None:
    data = _with("spec.kubernetes.quota", {"cpu": cpu, "memory": memory, "pods": pods})
    assert _hash(data) == _hash(EXAMPLE)


def test_hash_ignores_spelled_out_defaults_and_equivalent_spellings() -> None:
    data = copy.deepcopy(EXAMPLE)
    data["spec"]["compute"][1]["count"] = 1
    data["spec"]["compute"][1]["volumes"] = []
    data["spec"]["network"]["ingress"][0]["port"] = "443"
    data["spec"]["network"]["ingress"][2]["from"] = "2001:0db8::/32"
    data["spec"]["kubernetes"]["limitRange"] = None
    assert _hash(data) == _hash(EXAMPLE)
    data["spec"]["network"]["ingress"][0]["port"] = "443-443"
    assert _hash(data) == _hash(EXAMPLE)


def test_hash_ignores_metadata() -> None:
    assert _hash(_with("metadata.name", "renamed")) == _hash(EXAMPLE)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("spec.classifiedProtection", 4),
        ("spec.xinchuang", False),
        ("spec.compute.0.count", 3),
        ("spec.compute.0.volumes.0.sizeGiB", 101),
        ("spec.compute.0.volumes.0.encrypted", False),
        ("spec.kubernetes.quota.cpu", "16001m"),
        ("spec.kubernetes.quota.memory", "64G"),
        ("spec.network.ingress.1.from", "10.21.0.0/16"),
        ("spec.network.ingress.2.port", "8000-8081"),
        ("spec.placement.provider", None),
        ("spec.backup.retentionDays", 31),
        ("spec.logging.retentionDays", 181),
        ("spec.encryption.atRest", "aes256"),
    ],
)
def test_hash_changes_with_any_real_change(path: str, value: Any) -> None:
    assert _hash(_with(path, value)) != _hash(EXAMPLE)


def test_canonical_spec_is_plain_json() -> None:
    canonical = SystemRequest.model_validate(EXAMPLE).spec.canonical()
    assert json.loads(json.dumps(canonical)) == canonical
    assert [group["name"] for group in canonical["compute"]] == ["db", "web"]
    assert canonical["kubernetes"]["quota"] == {"cpu": "16", "memory": "64Gi", "pods": 100}


def _canonical_by_dumps(request: SystemRequest) -> dict[str, Any]:
    """The canonical spec as first written: every ingress rule's sort key by
    ``json.dumps``, the records dumped again with ``exclude_none`` (the oracle of the
    written-out keys :meth:`SystemRequestSpec.canonical` uses)."""
    spec = request.spec
    data = spec.model_dump(mode="json", by_alias=True)

    def text(value: Any) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    data["compute"] = sorted(data["compute"], key=lambda group: group["name"])
    data["network"]["ingress"] = sorted(data["network"]["ingress"], key=text)
    if data["network"].get("subnetPrefix") is None:
        data["network"].pop("subnetPrefix", None)
    data["records"] = spec.records.model_dump(mode="json", by_alias=True, exclude_none=True)
    if not data["records"]:
        del data["records"]
    if data["encryption"]["customerManagedKey"] is None:
        del data["encryption"]["customerManagedKey"]
    return data


_RULES = st.fixed_dictionaries(
    {"from": st.sampled_from(["internet", "10.20.0.0/16", "10.2.0.0/16", "2001:db8::/32",
                              "10.20.0.0/24", "0.0.0.0/0"])},
    optional={
        "port": st.sampled_from([22, 443, 4433, "80", "8000-8080", "8000-8100", 1, 65535]),
        "protocol": st.sampled_from(["tcp", "udp"]),
    },
)  # fmt: skip


@settings(max_examples=100)
@given(
    st.lists(_RULES, max_size=6, unique_by=lambda r: tuple(sorted(map(str, r.items())))),
    st.booleans(),
)
def test_canonical_spec_matches_the_general_dumps(
    rules: list[dict[str, Any]], with_records: bool
) -> None:
    data = copy.deepcopy(EXAMPLE)
    data["spec"]["network"]["ingress"] = [{"port": 443, **rule} for rule in rules] + [
        {"protocol": "icmp", "from": "10.9.0.0/16"}
    ]
    if with_records:
        data["spec"]["records"] = {
            "filingNumber": "11010000000-00001",
            "assessment": {"date": "2025-01-02", "agency": "测评中心", "conclusion": "符合"},
        }
    request = SystemRequest.model_validate(data)
    assert request.spec.canonical() == _canonical_by_dumps(request)
