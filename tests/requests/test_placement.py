"""Placement: hard filters, weighers, batch capacity — pure, no database.

Cases:
- hypothesis: a chosen provider passes every registered hard filter (checked with the
  filters themselves, not the scheduler's index);
- hypothesis: with no provider chosen, every provider has exactly one stated exclusion
  naming a registered filter and a zh/en reason; with one chosen, every other provider
  is either excluded or ranked below it;
- hypothesis: a batch never allocates more than a provider's capacity;
- worked examples: level, city reach, sector reach, residency, 信创, arch, platform,
  capacity and pins each exclude with their own filter; the home cloud wins over the
  provincial cloud; a running system stays where it is; an update's own allocation is
  not counted twice.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from controlplane.placement import FILTERS, FILTERS_BY_NAME, ProviderFacts, Scheduler, SystemNeeds
from controlplane.placement.filters import Exclusion, first_refusal
from controlplane.placement.scheduler import Weighed
from controlplane.placement.weighers import WEIGHERS, normalise
from tenants import ResourceAmounts

CITIES = ("city-a", "city-b")
SECTORS = ("water", "health")
ARCHES = ("x86_64", "aarch64")


def _amounts(vcpu: int, mem: int, disk: int, ips: int = 0) -> ResourceAmounts:
    return ResourceAmounts(Decimal(vcpu), Decimal(mem), Decimal(disk), ips)


@st.composite
def providers(draw: st.DrawFn) -> list[ProviderFacts]:
    out = [
        ProviderFacts(
            "prov-main",
            "provincial",
            certified_level=draw(st.integers(2, 4)),
            xinchuang=draw(st.booleans()),
            arch=draw(st.sampled_from(ARCHES)),
            capacity=_amounts(
                *draw(st.tuples(*[st.integers(0, 400)] * 3)), draw(st.integers(0, 4))
            ),
            prices={"compute.vcpu": Decimal("45")},
        )
    ]
    for i in range(draw(st.integers(0, 6))):
        tier = draw(st.sampled_from(("municipal", "sector")))
        out.append(
            ProviderFacts(
                f"p{i}",
                tier,
                kind=draw(st.sampled_from(("openstack", "kubernetes", "simulator"))),
                city=draw(st.sampled_from(CITIES)) if tier == "municipal" else None,
                sector=draw(st.sampled_from(SECTORS)) if tier == "sector" else None,
                certified_level=draw(st.integers(1, 4)),
                xinchuang=draw(st.booleans()),
                arch=draw(st.sampled_from(ARCHES)),
                in_province=draw(st.booleans()),
                capacity=_amounts(
                    *draw(st.tuples(*[st.integers(0, 400)] * 3)), draw(st.integers(0, 4))
                ),
                used=_amounts(*draw(st.tuples(*[st.integers(0, 100)] * 3))),
                prices={"compute.vcpu": Decimal(draw(st.integers(30, 50)))},
            )
        )
    return out


@st.composite
def needs(draw: st.DrawFn, names: tuple[str, ...] = ()) -> SystemNeeds:
    municipal = draw(st.booleans())
    return SystemNeeds(
        tenant=draw(st.sampled_from(("t1", "t2", "t3"))),
        system=f"s{draw(st.integers(0, 10_000))}",
        tenant_level="municipal" if municipal else "provincial",
        tenant_city=draw(st.sampled_from(CITIES)) if municipal else None,
        tenant_sector=draw(st.none() | st.sampled_from(SECTORS)),
        level=draw(st.integers(1, 4)),
        data=draw(st.sampled_from(("general", "important", "core"))),
        xinchuang=draw(st.booleans()),
        image_arches=tuple(
            frozenset(draw(st.sets(st.sampled_from(ARCHES), min_size=1)))
            for _ in range(draw(st.integers(0, 2)))
        ),
        needs_vms=draw(st.booleans()),
        needs_namespace=draw(st.booleans()),
        amounts=_amounts(*draw(st.tuples(*[st.integers(0, 120)] * 3)), draw(st.integers(0, 1))),
        meters={"compute.vcpu": Decimal(draw(st.integers(0, 50)))},
        pin_provider=draw(st.none() | st.sampled_from(("prov-main", "p0", "p1"))),
        pin_tier=draw(st.none() | st.sampled_from(("provincial", "municipal", "sector"))),
    )


@settings(max_examples=300, deadline=None)
@given(providers(), needs())
def test_chosen_provider_passes_every_filter_and_the_rest_are_explained(
    estate: list[ProviderFacts], system: SystemNeeds
) -> None:
    scheduler = Scheduler(estate)
    decision = scheduler.place(system)
    by_name = {p.name: p for p in estate}
    excluded = {e.provider: e for e in decision.exclusions}
    assert len(excluded) == len(decision.exclusions)
    for exclusion in decision.exclusions:
        assert exclusion.filter in FILTERS_BY_NAME
        assert exclusion.reason_zh and exclusion.reason_en
        # the stated filter really refuses it
        provider = by_name[exclusion.provider]
        check = FILTERS_BY_NAME[exclusion.filter].check
        assert check(provider, system, scheduler.free(provider, system)) is not None
    if decision.chosen is None:
        assert set(excluded) == set(by_name)
        return
    chosen = by_name[decision.chosen]
    for hard in FILTERS:
        assert hard.check(chosen, system, scheduler.free(chosen, system)) is None, hard.name
    ranked = [w.provider for w in decision.ranking]
    assert ranked[0] == decision.chosen
    assert set(ranked) | set(excluded) == set(by_name)
    assert not set(ranked) & set(excluded)


@settings(max_examples=150, deadline=None)
@given(providers(), st.lists(needs(), min_size=1, max_size=30))
def test_batch_never_exceeds_capacity(
    estate: list[ProviderFacts], batch: list[SystemNeeds]
) -> None:
    scheduler = Scheduler(estate)
    decisions = scheduler.place_batch(batch)
    placed: dict[str, ResourceAmounts] = {}
    for decision, system in zip(decisions, batch, strict=True):
        if decision.chosen is not None:
            placed[decision.chosen] = (
                placed.get(decision.chosen, ResourceAmounts()) + system.amounts
            )
    for provider in estate:
        total = provider.used + placed.get(provider.name, ResourceAmounts())
        assert scheduler.consumed(provider.name) == placed.get(provider.name, ResourceAmounts())
        for key in ("vcpu", "memory_gib", "storage_gib"):
            took = getattr(placed.get(provider.name, ResourceAmounts()), key)
            if took:
                assert getattr(total, key) <= getattr(provider.capacity, key)
        if provider.capacity.public_ips and placed.get(provider.name):
            assert total.public_ips <= provider.capacity.public_ips


BIG = _amounts(10_000, 40_000, 1_000_000, 100)
ESTATE = (
    ProviderFacts(
        "prov-main",
        "provincial",
        certified_level=4,
        xinchuang=True,
        arch="aarch64",
        capacity=BIG,
        prices={"compute.vcpu": Decimal("45")},
    ),
    ProviderFacts(
        "city-a",
        "municipal",
        kind="openstack",
        city="city-a",
        certified_level=3,
        capacity=BIG,
        prices={"compute.vcpu": Decimal("40")},
    ),
    ProviderFacts(
        "water-k8s", "sector", kind="kubernetes", sector="water", certified_level=3, capacity=BIG
    ),
    ProviderFacts(
        "health-out", "sector", sector="health", certified_level=3, in_province=False, capacity=BIG
    ),
)
BASE = SystemNeeds(
    "city-a-edu",
    "portal",
    tenant_level="municipal",
    tenant_city="city-a",
    level=3,
    image_arches=(frozenset({"x86_64", "aarch64"}),),
    amounts=_amounts(8, 16, 200),
    meters={"compute.vcpu": Decimal(8)},
)


def _why(system: SystemNeeds, estate: tuple[ProviderFacts, ...] = ESTATE) -> dict[str, str]:
    decision = Scheduler(estate).place(system)
    return {e.provider: e.filter for e in decision.exclusions} | (
        {decision.chosen: "CHOSEN"} if decision.chosen else {}
    )


def test_municipal_department_goes_home_and_others_are_explained() -> None:
    assert _why(BASE) == {
        "city-a": "CHOSEN",
        "water-k8s": "reach",
        "health-out": "reach",
    }
    decision = Scheduler(ESTATE).place(BASE)
    assert decision.chosen == "city-a"
    assert [w.provider for w in decision.ranking] == ["city-a", "prov-main"]


def test_each_filter_excludes_with_its_own_name() -> None:
    assert _why(replace(BASE, level=4))["city-a"] == "level"
    assert _why(replace(BASE, xinchuang=True))["city-a"] == "xinchuang"
    assert _why(replace(BASE, image_arches=(frozenset({"aarch64"}),)))["city-a"] == "arch"
    assert _why(replace(BASE, pin_provider="prov-main"))["city-a"] == "pin"
    assert _why(replace(BASE, pin_tier="provincial"))["city-a"] == "pin"
    water = replace(BASE, tenant_level="provincial", tenant_city=None, tenant_sector="water")
    assert _why(water)["water-k8s"] == "platform"
    assert _why(replace(water, needs_vms=False, needs_namespace=True))["water-k8s"] == "CHOSEN"
    health = replace(water, tenant_sector="health", data="core")
    assert _why(health)["health-out"] == "residency"
    assert _why(replace(health, data="general"))["health-out"] == "CHOSEN"
    huge = replace(BASE, amounts=_amounts(20_000, 1, 1))
    assert _why(huge) == {
        "city-a": "capacity",
        "prov-main": "capacity",
        "water-k8s": "reach",
        "health-out": "reach",
    }


def test_running_system_stays_and_its_own_allocation_counts_as_free() -> None:
    tight = (replace(ESTATE[0], used=_amounts(9_990, 0, 0)), ESTATE[1])
    moved = replace(
        BASE,
        tenant_city=None,
        tenant_level="provincial",
        current_provider="prov-main",
        current_amounts=_amounts(6, 12, 100),
    )
    # 8 vCPU asked, 10 free + 6 of its own: fits where it runs
    assert _why(moved, tight) == {"prov-main": "CHOSEN", "city-a": "reach"}
    stay = replace(BASE, current_provider="prov-main", current_amounts=_amounts(8, 16, 200))
    assert Scheduler(ESTATE).place(stay).chosen == "prov-main"


def test_every_filter_has_bilingual_titles() -> None:
    names = [f.name for f in FILTERS]
    assert names[:2] == ["pin", "reach"]
    assert set(names) == {
        "pin",
        "reach",
        "level",
        "residency",
        "xinchuang",
        "arch",
        "platform",
        "capacity",
    }
    assert all(f.title_zh and f.title_en for f in FILTERS)


def _reference(scheduler: Scheduler, system: SystemNeeds) -> tuple[list[Exclusion], list[Weighed]]:
    """Every filter on every provider in name order, every weigher on every admitted one
    (what the scheduler's reach routes and shortcuts stand in for)."""
    exclusions: list[Exclusion] = []
    admitted: list[ProviderFacts] = []
    for provider in scheduler.providers:
        refusal = first_refusal(provider, system, scheduler.free(provider, system))
        if refusal is None:
            admitted.append(provider)
        else:
            exclusions.append(refusal)
    shares = {
        w.name: [
            w.multiplier * s
            for s in normalise([w.score(p, system, scheduler.free(p, system)) for p in admitted])
        ]
        for w in WEIGHERS
    }
    totals = [sum(column[i] for column in shares.values()) for i in range(len(admitted))]
    order = sorted(range(len(admitted)), key=lambda i: (-totals[i], admitted[i].name))
    ranking = [
        Weighed(
            admitted[i].name,
            round(totals[i], 4),
            {name: round(column[i], 4) for name, column in shares.items()},
        )
        for i in order
    ]
    return exclusions, ranking


@settings(max_examples=200, deadline=None)
@given(providers(), st.lists(needs(), min_size=1, max_size=12))
def test_batch_decides_as_every_filter_and_weigher_would(
    estate: list[ProviderFacts], batch: list[SystemNeeds]
) -> None:
    scheduler = Scheduler(estate)
    for system in batch:
        exclusions, ranking = _reference(scheduler, system)
        decision = scheduler.place(system)
        assert list(decision.exclusions) == exclusions
        assert list(decision.ranking) == ranking
        scheduler.commit(decision, system)
