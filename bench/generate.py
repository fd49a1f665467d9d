"""Deterministic province-scale generator: an Estate and the SystemRequests behind it.

Owns the scale presets, the in-memory :class:`Province` (plain dicts in DESIGN.md's
Estate and SystemRequest shapes, as a YAML parser would return them), writing it to a
directory, and the command line::

    python -m bench.generate --scale province|demo|tiny --seed 42 --out DIR

The same scale and seed always give byte-identical files. Every random choice is drawn
from a stream named after what it decides (``seed/providers``, ``seed/systems/<tenant>``…)
so that a change in one part does not reshuffle the others.

Imports nothing from govcloud: the output goes through the real parsers.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

from bench import emit
from bench.catalog import catalog_document, rate_card_document
from bench.names import (
    CITIES,
    COUNTIES,
    DEPARTMENTS,
    PROVINCIAL_UNITS,
    SECTORS,
    SYSTEM_PURPOSES,
    City,
    Department,
)
from bench.workload import (
    NONCOMPLIANT,
    RESOURCE_KINDS,
    UNPLACEABLE,
    Home,
    build_request,
    inject_defect,
    meter_quantities,
    resource_counts,
)

Doc = dict[str, Any]

REGION = "province"
REQUEST_WIDTH = 120  # manifests are read by people: wrap sooner than the estate's tables
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
NONCOMPLIANT_SHARE = 0.04
UNPLACEABLE_SHARE = 0.02
TIGHT_BUDGET_SHARE = 0.04


@dataclass(frozen=True)
class Scale:
    """How big a province to generate: clouds per tier, departments and systems."""

    provincial: int = 1
    municipal: int = 21
    sector: int = 20
    tenants: int = 3000
    systems: int = 10000

    def __post_init__(self) -> None:
        if self.provincial != 1:
            raise ValueError("an estate has exactly one provincial cloud (the 1 of 1+M+N)")
        if not 0 <= self.municipal <= len(CITIES):
            raise ValueError(f"municipal clouds must be between 0 and {len(CITIES)}")
        if self.sector < 0 or self.systems < 0 or self.tenants < 1:
            raise ValueError("sector clouds and systems must be >= 0, tenants >= 1")

    @property
    def clouds(self) -> int:
        return self.provincial + self.municipal + self.sector


PRESETS: dict[str, Scale] = {
    "province": Scale(),
    "demo": Scale(provincial=1, municipal=11, sector=8, tenants=200, systems=600),
    "tiny": Scale(provincial=1, municipal=2, sector=2, tenants=12, systems=30),
}


@dataclass(frozen=True)
class Province:
    """A generated province. The dicts are plain data; treat them as read-only."""

    scale: Scale
    seed: int
    estate: Doc  # one ``kind: Estate`` document
    requests: tuple[Doc, ...]  # ``kind: SystemRequest`` documents, grouped by tenant
    # "tenant/system" -> the provider the request was shaped for
    homes: Mapping[str, str] = field(default_factory=dict)
    # "tenant/system" -> deliberate defect id (see bench.workload NONCOMPLIANT/UNPLACEABLE)
    defects: Mapping[str, str] = field(default_factory=dict)
    tight_budgets: tuple[str, ...] = ()  # tenants whose budget is below their estimate

    @property
    def providers(self) -> list[Doc]:
        return list(self.estate["spec"]["providers"])

    @property
    def tenants(self) -> list[Doc]:
        return list(self.estate["spec"]["tenants"])

    def resource_counts(self) -> Counter[str]:
        """Cloud resources all requests imply, by kind (see :func:`resource_counts`)."""
        total: Counter[str] = Counter(dict.fromkeys(RESOURCE_KINDS, 0))
        for request in self.requests:
            total.update(resource_counts(request))
        return total


def _stream(seed: int, name: str) -> random.Random:
    return random.Random(f"{seed}/{name}")


# --- providers --------------------------------------------------------------------------

# (arch, xinchuang) pattern for municipal and sector clouds: Kunpeng, Intel, Hygon, Intel.
_STACKS = (("aarch64", True), ("x86_64", False), ("x86_64", True), ("x86_64", False))


def _providers(scale: Scale, seed: int) -> list[Doc]:
    rng = _stream(seed, "providers")
    offset = rng.randrange(len(_STACKS))
    providers: list[Doc] = []

    def add(doc: Doc) -> None:
        doc["seed"] = seed * 1000 + len(providers)
        providers.append(doc)

    add(
        {
            "name": "prov-main",
            "tier": "provincial",
            "kind": "simulator",
            "region": REGION,
            "certifiedLevel": 4,
            "xinchuang": True,
            "arch": "aarch64",
            "inProvince": True,
            "availabilityTarget": "99.95",
        }
    )
    for i, city in enumerate(CITIES[: scale.municipal]):
        arch, xinchuang = _STACKS[(i + offset) % len(_STACKS)]
        add(
            {
                "name": f"{city.code}-cloud",
                "tier": "municipal",
                "kind": "simulator",
                "region": REGION,
                "city": city.code,
                "certifiedLevel": 2 if i % 7 == 6 else 3,
                "xinchuang": xinchuang,
                "arch": arch,
                "inProvince": True,
                "availabilityTarget": "99.95" if i == 0 else "99.9",
            }
        )
    for i in range(scale.sector):
        sector = SECTORS[i % len(SECTORS)]
        arch, xinchuang = _STACKS[(i + offset + 1) % len(_STACKS)]
        round_ = i // len(SECTORS)
        add(
            {
                "name": f"{sector.code}-cloud" + (f"-{round_ + 1}" if round_ else ""),
                "tier": "sector",
                "kind": "simulator",
                "region": REGION,
                "sector": sector.code,
                "certifiedLevel": sector.certified_level,
                "xinchuang": xinchuang,
                "arch": arch,
                "inProvince": sector.in_province,
                "availabilityTarget": "99.9" if sector.certified_level >= 3 else "99.5",
            }
        )
    return providers


# --- tenants ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    code: str
    name: str
    name_en: str
    department: Department
    weight: float  # relative share of the systems


def _provincial_units(departments: Sequence[Department]) -> Iterator[_Unit]:
    for dept in departments:
        yield _Unit(
            dept.code, dept.provincial, f"Provincial {dept.name_en}", dept, 3.0 * dept.weight
        )
    for code, name, name_en in PROVINCIAL_UNITS:
        for dept in departments:
            yield _Unit(
                f"{dept.code}-{code}",
                f"{dept.provincial}{name}",
                f"Provincial {dept.name_en} {name_en}",
                dept,
                1.0 * dept.weight,
            )
    for n in itertools.count(1):
        for dept in departments:
            yield _Unit(
                f"{dept.code}-u{n}",
                f"{dept.provincial}直属单位{n}",
                f"Provincial {dept.name_en} Affiliated Unit {n}",
                dept,
                0.5 * dept.weight,
            )


def _municipal_units(
    city: City, departments: Sequence[Department], counties: Sequence[tuple[str, str, str]]
) -> Iterator[_Unit]:
    for dept in departments:
        yield _Unit(
            f"{city.code}-{dept.code}",
            f"{city.name}市{dept.municipal}",
            f"{city.name_en} {dept.name_en}",
            dept,
            1.5 * dept.weight,
        )
    for county_code, county, county_en in counties:
        for dept in departments:
            yield _Unit(
                f"{city.code}-{county_code}-{dept.code}",
                f"{city.name}市{county}{dept.municipal.removeprefix('中级')}",
                f"{city.name_en} {county_en} {dept.name_en}",
                dept,
                1.0 * dept.weight,
            )
    for n in itertools.count(1):
        for dept in departments:
            yield _Unit(
                f"{city.code}-{dept.code}-u{n}",
                f"{city.name}市{dept.municipal}直属单位{n}",
                f"{city.name_en} {dept.name_en} Affiliated Unit {n}",
                dept,
                0.5 * dept.weight,
            )


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder, ties by index)."""
    if not weights:
        return []
    scale = sum(weights)
    exact = [total * w / scale for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _systems_per_tenant(systems: int, weights: Sequence[float]) -> list[int]:
    """Every department runs at least one system when there are enough to go round."""
    base = 1 if systems >= len(weights) else 0
    return [base + n for n in _apportion(systems - base * len(weights), weights)]


def _tenant_units(scale: Scale, seed: int) -> list[tuple[_Unit, City | None]]:
    rng = _stream(seed, "tenants")
    if scale.municipal == 0:
        provincial = scale.tenants
    else:
        provincial = min(scale.tenants, max(2, round(scale.tenants * 0.05)))
    # Which departments have moved onto the cloud first differs from place to place.
    departments = rng.sample(DEPARTMENTS, len(DEPARTMENTS))
    units: list[tuple[_Unit, City | None]] = [
        (unit, None) for unit in itertools.islice(_provincial_units(departments), provincial)
    ]
    cities = CITIES[: scale.municipal]
    # The capital is the biggest city; the others vary around one share each.
    weights = [3.0 if i == 0 else 0.7 + 0.6 * rng.random() for i in range(len(cities))]
    for city, count in zip(cities, _apportion(scale.tenants - provincial, weights), strict=True):
        departments = rng.sample(DEPARTMENTS, len(DEPARTMENTS))
        counties = rng.sample(COUNTIES, rng.randint(4, len(COUNTIES)))
        city_units = _municipal_units(city, departments, counties)
        units.extend((unit, city) for unit in itertools.islice(city_units, count))
    return units


def _tenant_doc(unit: _Unit, city: City | None, sectors: set[str]) -> Doc:
    doc: Doc = {
        "code": unit.code,
        "name": unit.name,
        "nameEn": unit.name_en,
        "level": "provincial" if city is None else "municipal",
    }
    if city is not None:
        doc["city"] = city.code
    if unit.department.sector in sectors:
        doc["sector"] = unit.department.sector
    doc["budget"] = "0.00"  # set once the tenant's systems are known
    return doc


# --- systems ----------------------------------------------------------------------------


def _candidates(tenant: Doc, providers: Sequence[Doc]) -> list[Home]:
    """Providers that may serve ``tenant``: every provincial cloud, its city's, its sector's."""
    return [
        Home.of(p)
        for p in providers
        if p["tier"] == "provincial"
        or (p["tier"] == "municipal" and p.get("city") == tenant.get("city"))
        or (p["tier"] == "sector" and p.get("sector") == tenant.get("sector"))
    ]


def _pick_home(rng: random.Random, tenant: Doc, candidates: Sequence[Home]) -> Home:
    by_tier: dict[str, list[Home]] = {}
    for home in candidates:
        by_tier.setdefault(home.tier, []).append(home)
    roll = rng.random()
    if tenant["level"] == "municipal" and "municipal" in by_tier:
        first = "municipal" if roll < 0.8 else "provincial" if roll < 0.92 else "sector"
        preference = [first, "municipal"]  # no sector cloud for it: stay in the city
    else:
        preference = ["sector", "provincial"] if roll < 0.6 else ["provincial"]
    tier = next(t for t in preference if t in by_tier)
    return rng.choice(by_tier[tier])


def _system_names(rng: random.Random, tenant: str, count: int) -> list[str]:
    purposes = rng.sample(SYSTEM_PURPOSES, min(count, len(SYSTEM_PURPOSES)))
    for n in itertools.count(2):
        if len(purposes) >= count:
            break
        purposes.extend(f"{p}-{n}" for p in SYSTEM_PURPOSES[: count - len(purposes)])
    names = [f"{tenant}-{purpose}" for purpose in purposes]
    for name in names:
        if not DNS_LABEL.match(name):
            raise ValueError(f"generated system name {name!r} is not a DNS label")
    return names


@dataclass
class _TenantWorkload:
    requests: list[Doc]
    homes: dict[str, str]
    defects: dict[str, str]


def _tenant_workload(
    seed: int, tenant: Doc, count: int, providers: Sequence[Doc]
) -> _TenantWorkload:
    rng = _stream(seed, f"systems/{tenant['code']}")
    candidates = _candidates(tenant, providers)
    work = _TenantWorkload([], {}, {})
    for name in _system_names(rng, tenant["code"], count):
        home = _pick_home(rng, tenant, candidates)
        request = build_request(rng, name, tenant, home, pin_roll=rng.random())
        key = f"{tenant['code']}/{name}"
        roll = rng.random()
        defect = None
        if roll < NONCOMPLIANT_SHARE:
            defect = inject_defect(rng, request, candidates, NONCOMPLIANT)
        elif roll < NONCOMPLIANT_SHARE + UNPLACEABLE_SHARE:
            defect = inject_defect(rng, request, candidates, UNPLACEABLE, shuffle=False)
        if defect is not None:
            work.defects[key] = defect
        work.homes[key] = home.name
        work.requests.append(request)
    return work


# --- capacity and budgets ---------------------------------------------------------------

_CAPACITY_METERS: dict[str, tuple[tuple[str, ...], int, int]] = {
    # capacity key: (meters that draw on it, floor, rounding step)
    "vcpu": (("compute.vcpu", "k8s.cpu"), 64, 64),
    "memoryGiB": (("compute.memory", "k8s.memory"), 256, 256),
    "storageGiB": (("storage.ssd", "storage.hdd"), 10_000, 1_000),
    "publicIPs": (("network.public_ip",), 16, 8),
}


def _capacity(demand: Counter[str], overflow: Counter[str]) -> dict[str, int]:
    """Twice the home demand plus ``overflow``, rounded up to whole steps."""
    capacity: dict[str, int] = {}
    for key, (meters, floor, step) in _CAPACITY_METERS.items():
        need = sum(2 * demand[m] + overflow[m] for m in meters)
        capacity[key] = max(floor, -(-need // step) * step)
    return capacity


def _size_providers(providers: list[Doc], demand: Mapping[str, Counter[str]]) -> None:
    """Room for twice each provider's home demand; the provincial cloud, which may serve
    every department, also for half of everyone else's."""
    others: Counter[str] = Counter()
    for p in providers:
        if p["tier"] != "provincial":
            others.update(demand.get(p["name"], Counter()))
    half_of_others = Counter({m: -(-q // 2) for m, q in others.items()})
    for p in providers:
        overflow = half_of_others if p["tier"] == "provincial" else Counter()
        p["capacity"] = _capacity(demand.get(p["name"], Counter()), overflow)


def _monthly_estimate(usage: Counter[str], prices: Mapping[str, Decimal]) -> Decimal:
    return sum((prices[m] * q for m, q in usage.items()), Decimal(0))


def _set_budgets(seed: int, tenants: Sequence[Doc], usage: Mapping[str, Counter[str]]) -> list[str]:
    """Annual budgets from each tenant's estimate at provincial prices; a few fall short."""
    rng = _stream(seed, "budgets")
    prices = {r["meter"]: Decimal(r["prices"]["provincial"]) for r in rate_card_document()["rates"]}
    tight: list[str] = []
    for tenant in tenants:
        annual = _monthly_estimate(usage.get(tenant["code"], Counter()), prices) * 12
        short = rng.random() < TIGHT_BUDGET_SHARE
        factor = Decimal(rng.randint(70, 95) if short else rng.randint(115, 160)) / 100
        floor = Decimal(10_000 * rng.randint(5, 20))  # a department's minimum cloud line
        budget = max(floor, annual * factor)
        rounded = (budget / 10_000).to_integral_value(ROUND_CEILING) * 10_000
        if rounded < annual:
            tight.append(tenant["code"])
        tenant["budget"] = f"{rounded:.2f}"
    return tight


# --- the province -----------------------------------------------------------------------


def generate(scale: Scale = PRESETS["province"], seed: int = 42) -> Province:
    """Generate a province in memory; no files are written."""
    providers = _providers(scale, seed)
    sectors = {p["sector"] for p in providers if p["tier"] == "sector"}
    units = _tenant_units(scale, seed)
    tenants = [_tenant_doc(unit, city, sectors) for unit, city in units]
    per_tenant = _systems_per_tenant(scale.systems, [unit.weight for unit, _ in units])

    requests: list[Doc] = []
    homes: dict[str, str] = {}
    defects: dict[str, str] = {}
    demand: dict[str, Counter[str]] = {}
    usage: dict[str, Counter[str]] = {}
    for tenant, count in zip(tenants, per_tenant, strict=True):
        work = _tenant_workload(seed, tenant, count, providers)
        for request in work.requests:
            quantities = meter_quantities(request)
            home = work.homes[f"{tenant['code']}/{request['metadata']['name']}"]
            demand.setdefault(home, Counter()).update(quantities)
            usage.setdefault(tenant["code"], Counter()).update(quantities)
        requests.extend(work.requests)
        homes.update(work.homes)
        defects.update(work.defects)

    _size_providers(providers, demand)
    providers = [_order_provider_keys(p) for p in providers]
    tight = _set_budgets(seed, tenants, usage)
    estate: Doc = {
        "apiVersion": "govcloud.io/v1",
        "kind": "Estate",
        "metadata": {"name": "generated-province"},
        "spec": {
            "providers": providers,
            "tenants": tenants,
            "catalog": catalog_document(),
            "rateCard": rate_card_document(),
        },
    }
    return Province(scale, seed, estate, tuple(requests), homes, defects, tuple(tight))


_PROVIDER_KEYS = (
    "name",
    "tier",
    "kind",
    "region",
    "city",
    "sector",
    "certifiedLevel",
    "xinchuang",
    "arch",
    "inProvince",
    "capacity",
    "availabilityTarget",
    "seed",
)


def _order_provider_keys(provider: Doc) -> Doc:
    return {key: provider[key] for key in _PROVIDER_KEYS if key in provider}


# --- files ------------------------------------------------------------------------------

LAYOUTS = ("tenant", "system", "single")


def write(province: Province, out_dir: Path | str, layout: str = "tenant") -> dict[str, int]:
    """Write ``estate.yaml``, the requests and ``expectations.json``; bytes per file group.

    ``layout``: ``tenant`` writes ``requests/<tenant>.yaml`` (multi-document),
    ``system`` writes ``requests/<tenant>/<system>.yaml``, ``single`` one ``requests.yaml``.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sizes = {"estate.yaml": _write_text(out / "estate.yaml", emit.dump(province.estate))}
    by_tenant: dict[str, list[Doc]] = {}
    for request in province.requests:
        by_tenant.setdefault(request["metadata"]["tenant"], []).append(request)
    written = 0
    if layout == "single":
        written = _write_text(
            out / "requests.yaml", emit.dump_all(province.requests, REQUEST_WIDTH)
        )
    else:
        (out / "requests").mkdir(exist_ok=True)
        for tenant, requests in by_tenant.items():
            if layout == "tenant":
                written += _write_text(
                    out / "requests" / f"{tenant}.yaml", emit.dump_all(requests, REQUEST_WIDTH)
                )
                continue
            folder = out / "requests" / tenant
            folder.mkdir(exist_ok=True)
            for request in requests:
                path = folder / f"{request['metadata']['name']}.yaml"
                written += _write_text(path, emit.dump(request, REQUEST_WIDTH))
    sizes["requests"] = written
    expectations = {
        "seed": province.seed,
        "scale": vars(province.scale),
        "resources": dict(province.resource_counts()),
        "homes": province.homes,
        "defects": province.defects,
        "tightBudgets": list(province.tight_budgets),
    }
    text = json.dumps(expectations, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    sizes["expectations.json"] = _write_text(out / "expectations.json", text)
    return sizes


def _write_text(path: Path, text: str) -> int:
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


# --- command line -----------------------------------------------------------------------


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description="Write a deterministic province: estate.yaml and SystemRequest manifests.",
    )
    parser.add_argument("--scale", choices=sorted(PRESETS), default="demo")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="tenant",
        help="requests/<tenant>.yaml (default), requests/<tenant>/<system>.yaml, or requests.yaml",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    province = generate(PRESETS[args.scale], args.seed)
    generated = time.perf_counter() - started
    sizes = write(province, args.out, args.layout)
    seconds = time.perf_counter() - started

    resources = province.resource_counts()
    for kind in RESOURCE_KINDS:
        print(f"{kind:>20} {resources[kind]:>8}")
    print(f"{'total resources':>20} {resources.total():>8}")
    summary = {
        "scale": args.scale,
        "seed": args.seed,
        "providers": len(province.providers),
        "tenants": len(province.tenants),
        "systems": len(province.requests),
        "resources": resources.total(),
        "defects": len(province.defects),
        "generateSeconds": round(generated, 3),
        "seconds": round(seconds, 3),
        "peakMiB": round(_peak_mib(), 1),
        "bytes": sizes,
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
