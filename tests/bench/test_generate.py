"""The province generator (bench.generate) at the tiny and demo scales.

Cases:
- determinism: same scale and seed give byte-identical files in every layout; another
  seed gives a different province;
- counts: providers per tier, tenants, systems and cloud resources for tiny and demo,
  and a custom Scale (no municipal clouds: every tenant provincial);
- Scale refuses a second provincial cloud and more cities than the name table holds;
- references: every tenant's city/sector names an existing provider, every request an
  existing tenant, flavour and image, every placement pin an existing provider/tier;
- names: provider names, tenant codes and system names are unique DNS labels;
- money: prices, budgets and availability targets are decimal strings, never floats;
- the written YAML reads back (ruamel) equal to the in-memory data, in all three
  layouts, and the project's own parsers accept the estate and every request;
- workload: requests without a defect are placeable on their home provider, which
  serves the tenant, and follow the generator's compliance baseline; each unplaceable
  defect pins a provider excluded for exactly that reason; each non-compliant defect
  breaks its rule; defect shares are near their targets at demo scale;
- capacity holds twice each provider's home demand; tight budgets are below the
  tenant's estimate and the others at or above it;
- the emitter quotes what would read back as another type and refuses floats;
- the command line writes the files and ends with a JSON summary line.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from bench import emit
from bench.catalog import IMAGE_BY_NAME, rate_card_document
from bench.generate import (
    DNS_LABEL,
    PRESETS,
    Province,
    Scale,
    generate,
    main,
    write,
)
from bench.workload import (
    BASTION_CIDR,
    NONCOMPLIANT,
    UNPLACEABLE,
    Home,
    exclusions,
    meter_quantities,
)

DECIMAL_TEXT = re.compile(r"^\d+\.\d{2}$")


@pytest.fixture(scope="module")
def tiny() -> Province:
    return generate(PRESETS["tiny"], 42)


@pytest.fixture(scope="module")
def demo() -> Province:
    return generate(PRESETS["demo"], 42)


@pytest.fixture(params=["tiny", "demo"])
def province(request: pytest.FixtureRequest) -> Province:
    p: Province = request.getfixturevalue(request.param)
    return p


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _yaml_all(path: Path) -> list[Any]:
    return list(YAML(typ="safe").load_all(path.read_text(encoding="utf-8")))


# --- determinism ---------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["tenant", "system", "single"])
def test_same_seed_gives_byte_identical_files(tmp_path: Path, layout: str) -> None:
    write(generate(PRESETS["tiny"], 7), tmp_path / "a", layout)
    write(generate(PRESETS["tiny"], 7), tmp_path / "b", layout)
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert first == second
    assert "estate.yaml" in first


def test_demo_is_deterministic_in_memory(demo: Province) -> None:
    again = generate(PRESETS["demo"], 42)
    assert again.estate == demo.estate
    assert again.requests == demo.requests
    assert again.defects == demo.defects


def test_another_seed_gives_another_province(tiny: Province) -> None:
    other = generate(PRESETS["tiny"], 43)
    assert other.requests != tiny.requests


# --- counts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "municipal", "sector", "tenants", "systems"),
    [("tiny", 2, 2, 12, 30), ("demo", 11, 8, 200, 600)],
)
def test_counts(name: str, municipal: int, sector: int, tenants: int, systems: int) -> None:
    province = generate(PRESETS[name], 42)
    tiers = Counter(p["tier"] for p in province.providers)
    assert tiers == {"provincial": 1, "municipal": municipal, "sector": sector}
    assert len(province.tenants) == tenants
    assert len(province.requests) == systems
    resources = province.resource_counts().total()
    assert 8 * systems <= resources <= 13 * systems
    # every tenant runs at least one system when there are enough systems to go round
    assert {r["metadata"]["tenant"] for r in province.requests} == {
        t["code"] for t in province.tenants
    }


def test_presets_are_the_advertised_sizes() -> None:
    assert PRESETS["province"] == Scale(1, 21, 20, 3000, 10000)
    assert PRESETS["demo"].clouds == 20
    assert PRESETS["tiny"].clouds == 5


def test_custom_scale_without_municipal_clouds() -> None:
    province = generate(Scale(provincial=1, municipal=0, sector=3, tenants=60, systems=40), 1)
    assert len(province.providers) == 4
    assert len(province.tenants) == 60
    assert len(province.requests) == 40
    assert all(t["level"] == "provincial" and "city" not in t for t in province.tenants)
    assert len({t["code"] for t in province.tenants}) == 60  # overflow units are named apart


@pytest.mark.parametrize(
    "kwargs",
    [{"provincial": 2}, {"provincial": 0}, {"municipal": 99}, {"tenants": 0}, {"systems": -1}],
)
def test_scale_refuses_impossible_sizes(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=r"provincial|municipal|tenants"):
        Scale(**kwargs)


# --- references and names ----------------------------------------------------------------


def test_tenants_refer_to_existing_providers(province: Province) -> None:
    cities = {p["city"] for p in province.providers if p["tier"] == "municipal"}
    sectors = {p["sector"] for p in province.providers if p["tier"] == "sector"}
    for tenant in province.tenants:
        if tenant["level"] == "municipal":
            assert tenant["city"] in cities
        else:
            assert "city" not in tenant
        if "sector" in tenant:
            assert tenant["sector"] in sectors
    assert any("sector" in t for t in province.tenants)


def test_names_are_unique_dns_labels(province: Province) -> None:
    names = {
        "providers": [p["name"] for p in province.providers],
        "tenants": [t["code"] for t in province.tenants],
        "systems": [r["metadata"]["name"] for r in province.requests],
    }
    for kind, values in names.items():
        assert len(values) == len(set(values)), kind
        bad = [v for v in values if not DNS_LABEL.match(v)]
        assert not bad, (kind, bad)
    for request in province.requests:
        assert len({g["name"] for g in request["spec"]["compute"]}) == len(
            request["spec"]["compute"]
        )


def test_requests_name_existing_tenants_flavors_images_and_providers(province: Province) -> None:
    spec = province.estate["spec"]
    tenants = {t["code"] for t in spec["tenants"]}
    flavors = {f["name"] for f in spec["catalog"]["flavors"]}
    images = {i["name"] for i in spec["catalog"]["images"]}
    providers = {p["name"]: p for p in spec["providers"]}
    for request in province.requests:
        assert request["apiVersion"] == "govcloud.io/v1"
        assert request["kind"] == "SystemRequest"
        assert request["metadata"]["tenant"] in tenants
        for group in request["spec"]["compute"]:
            assert group["flavor"] in flavors
            assert group["image"] in images
        placement = request["spec"].get("placement", {})
        if "provider" in placement:
            assert placement["provider"] in providers
        if "tier" in placement:
            assert placement["tier"] in {p["tier"] for p in providers.values()}
    assert set(province.homes.values()) <= set(providers)


def test_money_is_decimal_text(province: Province) -> None:
    card = province.estate["spec"]["rateCard"]
    assert card["version"] == "2026.1"
    assert card["currency"] == "CNY"
    meters = {rate["meter"] for rate in card["rates"]}
    assert {"compute.vcpu", "compute.memory", "storage.ssd", "storage.hdd"} <= meters
    assert {"network.public_ip", "k8s.cpu", "k8s.memory"} <= meters
    for rate in card["rates"]:
        assert rate["proration"] in {"hour", "day", "month"}
        assert set(rate["prices"]) == {"provincial", "municipal", "sector"}
        for price in rate["prices"].values():
            assert isinstance(price, str)
            assert DECIMAL_TEXT.match(price)
    for tenant in province.tenants:
        assert isinstance(tenant["budget"], str)
        assert DECIMAL_TEXT.match(tenant["budget"])
        assert Decimal(tenant["budget"]) > 0
    for provider in province.providers:
        assert isinstance(provider["availabilityTarget"], str)
        assert Decimal(provider["availabilityTarget"]) < 100


# --- files ---------------------------------------------------------------------------------


def test_tenant_layout_reads_back_equal(tmp_path: Path, demo: Province) -> None:
    sizes = write(demo, tmp_path)
    (estate,) = _yaml_all(tmp_path / "estate.yaml")
    assert estate == demo.estate
    read: list[Any] = []
    for path in sorted((tmp_path / "requests").glob("*.yaml")):
        docs = _yaml_all(path)
        assert {d["metadata"]["tenant"] for d in docs} == {path.stem}
        read.extend(docs)
    key = lambda r: r["metadata"]["name"]  # noqa: E731
    assert sorted(read, key=key) == sorted(demo.requests, key=key)
    assert sizes["requests"] == sum(p.stat().st_size for p in (tmp_path / "requests").iterdir())
    expectations = json.loads((tmp_path / "expectations.json").read_text(encoding="utf-8"))
    assert expectations["defects"] == dict(demo.defects)
    assert expectations["resources"] == dict(demo.resource_counts())


def test_system_and_single_layouts(tmp_path: Path, tiny: Province) -> None:
    write(tiny, tmp_path / "per-system", "system")
    files = sorted((tmp_path / "per-system" / "requests").glob("*/*.yaml"))
    assert len(files) == len(tiny.requests)
    for path in files:
        (doc,) = _yaml_all(path)
        assert (doc["metadata"]["tenant"], doc["metadata"]["name"]) == (path.parent.name, path.stem)
    write(tiny, tmp_path / "single", "single")
    assert _yaml_all(tmp_path / "single" / "requests.yaml") == list(tiny.requests)
    with pytest.raises(ValueError, match="layout"):
        write(tiny, tmp_path / "bad", "per-city")


@pytest.mark.slow
def test_project_parsers_accept_the_output(tmp_path: Path, demo: Province) -> None:
    from controlplane.estate.schema import parse_estate
    from tenants import load_yaml_documents, load_yaml_file, parse_model
    from tenants.request import SystemRequest

    write(demo, tmp_path)
    estate = parse_estate(load_yaml_file(str(tmp_path / "estate.yaml")), "estate.yaml").estate
    assert len(estate.spec.providers) == 20
    assert len(estate.spec.tenants) == 200
    parsed = 0
    for path in sorted((tmp_path / "requests").glob("*.yaml")):
        for doc in load_yaml_documents(path.read_text(encoding="utf-8"), str(path)):
            parse_model(SystemRequest, doc)
            parsed += 1
    assert parsed == 600


# --- workload -----------------------------------------------------------------------------


def _reach(province: Province, tenant: dict[str, Any]) -> list[Home]:
    return [
        Home.of(p)
        for p in province.providers
        if p["tier"] == "provincial"
        or p.get("city", "") == tenant.get("city")
        or p.get("sector", "") == tenant.get("sector")
    ]


def _key(request: dict[str, Any]) -> str:
    return f"{request['metadata']['tenant']}/{request['metadata']['name']}"


def _baseline_breaches(spec: dict[str, Any]) -> list[str]:
    """The generator's compliance baseline; defect-free requests breach none of it."""
    breaches = []
    level = spec["classifiedProtection"]
    volumes = [v for g in spec["compute"] for v in g["volumes"]]
    images = [IMAGE_BY_NAME[g["image"]] for g in spec["compute"]]
    ingress = spec["network"]["ingress"]
    if spec["logging"]["retentionDays"] < 180:
        breaches.append("logs")
    if any(r["from"] == "internet" and r["port"] != 443 for r in ingress):
        breaches.append("internet-port")
    if any(r["port"] == 22 and r["from"] != BASTION_CIDR for r in ingress):
        breaches.append("ssh")
    if spec["xinchuang"] and not all(i.xinchuang for i in images):
        breaches.append("xinchuang-image")
    if spec["dataClassification"] != "general" and spec["encryption"]["inTransit"] == "none":
        breaches.append("transit")
    if level >= 3:
        if not all(v["encrypted"] for v in volumes) or spec["encryption"]["atRest"] == "none":
            breaches.append("at-rest")
        if not all(i.hardened for i in images):
            breaches.append("hardening")
        if not (spec["backup"]["enabled"] and spec["backup"]["offsite"]):
            breaches.append("backup")
    if level == 4 and any(r["from"] == "internet" for r in ingress):
        breaches.append("level-4-internet")
    return breaches


def test_defect_free_requests_are_compliant_and_placeable_at_home(province: Province) -> None:
    tenants = {t["code"]: t for t in province.tenants}
    providers = {p["name"]: Home.of(p) for p in province.providers}
    clean = [r for r in province.requests if _key(r) not in province.defects]
    assert len(clean) >= 0.9 * len(province.requests)
    for request in clean:
        spec = request["spec"]
        home = providers[province.homes[_key(request)]]
        assert home in _reach(province, tenants[request["metadata"]["tenant"]])
        assert exclusions(spec, home) == [], _key(request)
        placement = spec.get("placement", {})
        assert placement.get("provider", home.name) == home.name
        assert placement.get("tier", home.tier) == home.tier
        assert _baseline_breaches(spec) == [], _key(request)


def test_unplaceable_defects_pin_a_provider_excluded_for_that_reason(demo: Province) -> None:
    reasons = {
        "level-above-certification": "level",
        "core-data-out-of-province": "residency",
        "xinchuang-on-non-xinchuang": "xinchuang",
    }
    assert set(reasons) == set(UNPLACEABLE)
    tenants = {t["code"]: t for t in demo.tenants}
    providers = {p["name"]: Home.of(p) for p in demo.providers}
    seen = 0
    for request in demo.requests:
        defect = demo.defects.get(_key(request))
        if defect not in UNPLACEABLE:
            continue
        seen += 1
        pinned = providers[request["spec"]["placement"]["provider"]]
        assert pinned in _reach(demo, tenants[request["metadata"]["tenant"]])
        assert exclusions(request["spec"], pinned) == [reasons[defect]]
    assert seen >= 3


def test_noncompliant_defects_break_their_rule(demo: Province) -> None:
    expected = {
        "risky-port-from-internet": "internet-port",
        "short-log-retention": "logs",
        "unencrypted-volume": "at-rest",
        "backup-disabled": "backup",
        "cleartext-in-transit": "transit",
        "unhardened-image": "hardening",
        "non-xinchuang-image": "xinchuang-image",
    }
    assert set(expected) == set(NONCOMPLIANT)
    seen = 0
    for request in demo.requests:
        defect = demo.defects.get(_key(request))
        if defect in NONCOMPLIANT:
            seen += 1
            assert expected[defect] in _baseline_breaches(request["spec"]), _key(request)
    assert seen >= 10


def test_defect_shares_are_near_their_targets(demo: Province) -> None:
    kinds = Counter(
        "unplaceable" if d in UNPLACEABLE else "noncompliant" for d in demo.defects.values()
    )
    systems = len(demo.requests)
    assert 0.02 * systems <= kinds["noncompliant"] <= 0.07 * systems
    assert 0.005 * systems <= kinds["unplaceable"] <= 0.04 * systems


def test_capacity_holds_twice_the_home_demand(province: Province) -> None:
    demand: dict[str, Counter[str]] = {}
    for request in province.requests:
        home = province.homes[_key(request)]
        demand.setdefault(home, Counter()).update(meter_quantities(request))
    for provider in province.providers:
        need = demand.get(provider["name"], Counter())
        capacity = provider["capacity"]
        assert capacity["vcpu"] >= 2 * (need["compute.vcpu"] + need["k8s.cpu"])
        assert capacity["memoryGiB"] >= 2 * (need["compute.memory"] + need["k8s.memory"])
        assert capacity["storageGiB"] >= 2 * (need["storage.ssd"] + need["storage.hdd"])
        assert capacity["publicIPs"] >= 2 * need["network.public_ip"]


def test_tight_budgets_fall_short_of_the_estimate(demo: Province) -> None:
    prices = {r["meter"]: Decimal(r["prices"]["provincial"]) for r in rate_card_document()["rates"]}
    annual: Counter[str] = Counter()
    for request in demo.requests:
        usage = meter_quantities(request)
        annual[request["metadata"]["tenant"]] += sum(prices[m] * q for m, q in usage.items()) * 12
    assert demo.tight_budgets
    for tenant in demo.tenants:
        budget = Decimal(tenant["budget"])
        if tenant["code"] in demo.tight_budgets:
            assert budget < annual[tenant["code"]]
        else:
            assert budget >= annual[tenant["code"]]


# --- emitter and command line --------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["yes", "No", "null", "1.00", "2026.1", "10.0.0.0/8", "", "a: b", "#x", "-x", "x "]
)
def test_emitter_quotes_what_would_read_back_differently(text: str) -> None:
    written = emit.dump({"k": text, "l": [text], "m": {"n": text}})
    assert YAML(typ="safe").load(written) == {"k": text, "l": [text], "m": {"n": text}}
    assert emit.scalar(text).startswith('"')


def test_emitter_refuses_floats() -> None:
    with pytest.raises(TypeError, match="decimal string"):
        emit.dump({"price": 0.1})


def test_command_line_writes_files_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--scale", "tiny", "--seed", "5", "--out", str(tmp_path)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(last)
    assert summary["providers"] == 5
    assert summary["tenants"] == 12
    assert summary["systems"] == 30
    assert summary["resources"] == generate(PRESETS["tiny"], 5).resource_counts().total()
    assert summary["seconds"] >= 0
    assert summary["peakMiB"] > 0
    assert summary["bytes"]["estate.yaml"] == (tmp_path / "estate.yaml").stat().st_size
    assert len(list((tmp_path / "requests").glob("*.yaml"))) == 12
