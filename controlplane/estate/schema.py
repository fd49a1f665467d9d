"""The estate file (``kind: Estate``): providers 1+M+N, tenants, catalogue, rate cards.

The governance sections (principals, quotas, approvals) are modelled in
:mod:`controlplane.estate.governance`.

Structural rules live in the pydantic models; rules that relate several entries
(duplicates, a municipal cloud's city, overlapping rate-card versions, a price missing
for a tier some provider has) live in :func:`semantic_problems`, which returns located
problems so ``estate apply`` refuses the whole file at once with every place to fix.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from ipaddress import IPv4Network
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from controlplane.billing.money import decimal_places
from controlplane.estate.governance import (
    ApprovalStepSpec,
    PrincipalSpec,
    QuotaSpec,
    governance_problems,
)
from policies.overlays import EstatePolicy, load_policy_binding
from tenants import LocatedDocument, Location, ManifestError, Problem, StrictModel, parse_model
from tenants.bounds import not_bool
from tenants.fields import StrictBool
from tenants.located import Path
from tenants.records import ProviderAssessment

__all__ = [
    "Capacity",
    "Catalog",
    "DiscountSpec",
    "Estate",
    "EstateDocument",
    "FlavorSpec",
    "ImageSpec",
    "ProviderSpec",
    "RateCardSpec",
    "RateSpec",
    "TenantSpec",
    "parse_estate",
]

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
Tier = Literal["provincial", "municipal", "sector"]
Arch = Literal["x86_64", "aarch64", "loongarch64", "mips64el", "sw_64"]


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError(
            "must be a DNS label: lower-case letters, digits and '-', 1-63 characters, "
            "starting and ending with a letter or digit"
        )
    return value


# Beyond any unit price or departmental budget (a province spends ~10^11 CNY a year), and
# well inside NUMERIC and Decimal's 28 digits.
_PRICE_LIMIT = Decimal(10) ** 9
_BUDGET_LIMIT = Decimal(10) ** 13


def _money(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite decimal amount")
    if value < 0:
        raise ValueError("must not be negative")
    if value >= _BUDGET_LIMIT:
        raise ValueError(f"is too large: at most {_BUDGET_LIMIT - 1}")
    if decimal_places(value) > 4:
        raise ValueError("has more than 4 decimal places")
    return value


def _fen(value: Decimal) -> Decimal:
    value = _money(value)
    if decimal_places(value) > 2:
        raise ValueError("a budget is exact to the fen: at most 2 decimal places")
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label)]


def _price(value: Decimal) -> Decimal:
    value = _money(value)
    if value >= _PRICE_LIMIT:
        raise ValueError(f"is too large for a unit price: at most {_PRICE_LIMIT - 1}")
    return value


def _version(value: str) -> str:
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z._-]*", value):
        raise ValueError(
            "a rate-card version starts with a letter or digit and holds letters, digits, "
            "'.', '_' and '-' (e.g. 2026.1)"
        )
    return value


Price = Annotated[Decimal, AfterValidator(_price)]
Amount = Annotated[Decimal, AfterValidator(_fen)]


# A count in the estate: never a boolean, never beyond what a province could build (the
# ceilings are two orders of magnitude above the largest cloud of a province)
Count = Annotated[int, not_bool]


class Capacity(StrictModel):
    """What the estate tracks of a provider; a dimension left out is not tracked."""

    vcpu: Count | None = Field(default=None, ge=0, le=10**7)
    memory_gib: Count | None = Field(default=None, alias="memoryGiB", ge=0, le=10**9)
    storage_gib: Count | None = Field(default=None, alias="storageGiB", ge=0, le=10**11)
    public_ips: Count | None = Field(default=None, alias="publicIPs", ge=0, le=10**7)


class SlaDeduction(StrictModel):
    """Measured monthly availability below ``below`` (percent) deducts ``deduct`` percent."""

    below: Decimal = Field(ge=0, le=100)
    deduct: Decimal = Field(gt=0, le=100)


class ProviderSpec(StrictModel):
    """One cloud. ``cloud``/``context`` name credentials held elsewhere, never secrets."""

    name: DnsLabel
    tier: Tier
    kind: Literal["openstack", "kubernetes", "simulator"]
    #: Who provisions on this provider: the SDK driver, or Pulumi stacks (``infra``).
    engine: Literal["sdk", "pulumi"] = "sdk"
    cloud: str | None = None
    context: str | None = None
    region: str = "province"
    city: DnsLabel | None = None
    sector: DnsLabel | None = None
    certified_level: Count = Field(ge=1, le=4)
    xinchuang: StrictBool = False
    arch: Arch = "x86_64"
    cpu_vendor: str | None = None
    in_province: StrictBool = True
    capacity: Capacity
    availability_target: Decimal | None = Field(default=None, ge=0, le=100)
    sla_deductions: list[SlaDeduction] = Field(default_factory=list)
    seed: Count | None = Field(default=None, ge=0, le=2**63 - 1)
    #: Where systems' subnets are allocated from (``10.64.0.0/16``); absent: none.
    address_pool: IPv4Network | None = None
    # the cloud's own 等保 assessment and 云计算服务安全评估 (MLPS-L2-CSP-01 reads them)
    assessment: ProviderAssessment | None = None


class TenantSpec(StrictModel):
    """A department (委办局)."""

    code: DnsLabel
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    level: Literal["provincial", "municipal"]
    city: DnsLabel | None = None
    sector: DnsLabel | None = None
    budget: Amount


class FlavorSpec(StrictModel):
    name: DnsLabel
    vcpu: Count = Field(ge=1, le=4096)
    memory_gib: Count = Field(alias="memoryGiB", ge=1, le=65536)


class ImageSpec(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9.\-]*$")]
    os: str = Field(min_length=1)
    xinchuang: StrictBool = False
    hardened: StrictBool = False
    arch: list[Arch] = Field(min_length=1)
    # provenance (MLPS-L2-IMG-02): the published digest and the signature's reference
    checksum: str | None = Field(default=None, pattern=r"^(sha256|sha512|sm3):[0-9a-f]{64,128}$")
    signature: str | None = Field(default=None, min_length=2, max_length=256)
    patched_on: date | None = None  # last security patch level (MLPS-L2-VUL-01)


class Catalog(StrictModel):
    flavors: list[FlavorSpec] = Field(default_factory=list)
    images: list[ImageSpec] = Field(default_factory=list)


class RateSpec(StrictModel):
    meter: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")]
    unit: str = Field(min_length=1, max_length=16)
    proration: Literal["hour", "day", "month"] = "hour"
    prices: dict[Tier, Price] = Field(min_length=1)


class RateCardSpec(StrictModel):
    """One version of the service catalogue's prices, effective ``[from, to)``."""

    version: Annotated[str, AfterValidator(_version)] = Field(min_length=1, max_length=32)
    effective_from: date
    effective_to: date | None = None
    currency: Literal["CNY"] = "CNY"
    approval_ref: str | None = None
    approved_by: str | None = None
    rates: list[RateSpec] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _version_as_text(cls, data: Any) -> Any:
        # `version: 2026.1` is written unquoted in DESIGN.md; keep the text as written
        if isinstance(data, dict) and isinstance(data.get("version"), Decimal | int):
            return {**data, "version": str(data["version"])}
        return data


class DiscountSpec(StrictModel):
    """``percent`` off one department's charges while in force ``[effectiveFrom, effectiveTo)``."""

    tenant: DnsLabel
    percent: Decimal = Field(gt=0, le=100)
    effective_from: date
    effective_to: date | None = None
    reference: str | None = Field(default=None, max_length=128)  # the approving document


class EstateSpec(StrictModel):
    providers: list[ProviderSpec] = Field(min_length=1)
    tenants: list[TenantSpec] = Field(default_factory=list)
    catalog: Catalog = Field(default_factory=Catalog)
    rate_card: RateCardSpec | None = None
    rate_cards: list[RateCardSpec] = Field(default_factory=list)
    # validated by policies.load_policy_binding (packs, overlays that may only tighten)
    policies: dict[str, Any] | None = None
    # governance (controlplane.estate.governance): who may act, quotas, approval chain
    principals: list[PrincipalSpec] = Field(default_factory=list)
    quotas: list[QuotaSpec] = Field(default_factory=list)
    approvals: list[ApprovalStepSpec] = Field(default_factory=list)
    discounts: list[DiscountSpec] = Field(default_factory=list)

    def all_rate_cards(self) -> list[RateCardSpec]:
        return ([self.rate_card] if self.rate_card else []) + list(self.rate_cards)


class EstateMetadata(StrictModel):
    name: DnsLabel


class Estate(StrictModel):
    api_version: Literal["govcloud.io/v1"]
    kind: Literal["Estate"]
    metadata: EstateMetadata
    spec: EstateSpec

    def content_hash(self) -> str:
        """SHA-256 of the canonical validated content: formatting and order of keys don't count."""
        body = json.dumps(
            self.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False
        )
        return hashlib.sha256(body.encode()).hexdigest()


class EstateDocument:
    """A validated estate together with the document it came from (for located errors)."""

    def __init__(
        self, estate: Estate, doc: LocatedDocument, policy: EstatePolicy | None = None
    ) -> None:
        self.estate = estate
        self.doc = doc
        self.policy = policy


def _duplicates(
    doc: LocatedDocument, items: Sequence[Any], base: Path, field: str, what: str
) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        value = getattr(item, field)
        if value in seen:
            yield doc.problem(
                (*base, index, field),
                f"duplicate {what} {value!r} (first declared at {base[-1]}[{seen[value]}])",
                expected=f"a unique {what}",
            )
        else:
            seen[value] = index


def _provider_problems(doc: LocatedDocument, spec: EstateSpec) -> Iterator[Problem]:
    base: Path = ("spec", "providers")
    yield from _duplicates(doc, spec.providers, base, "name", "provider name")
    for i, p in enumerate(spec.providers):
        at = (*base, i)
        if p.tier == "municipal" and not p.city:
            yield doc.problem(at, "a municipal cloud serves one city", expected="a city field")
        if p.tier == "sector" and not p.sector:
            yield doc.problem(at, "a sector cloud serves one sector", expected="a sector field")
        if p.tier != "municipal" and p.city:
            yield doc.problem(
                (*at, "city"), f"only municipal clouds have a city (tier is {p.tier})"
            )
        if p.tier != "sector" and p.sector:
            yield doc.problem(
                (*at, "sector"), f"only sector clouds have a sector (tier is {p.tier})"
            )
        if p.kind == "openstack" and not p.cloud:
            yield doc.problem(
                at, "an openstack provider names its clouds.yaml cloud", expected="a cloud field"
            )
        if p.kind == "kubernetes" and not p.context:
            yield doc.problem(
                at, "a kubernetes provider names its kubeconfig context", expected="a context field"
            )
        if p.kind != "openstack" and p.cloud:
            yield doc.problem(
                (*at, "cloud"), f"cloud is for openstack providers (kind is {p.kind})"
            )
        if p.kind != "kubernetes" and p.context:
            yield doc.problem(
                (*at, "context"), f"context is for kubernetes providers (kind is {p.kind})"
            )
        if p.sla_deductions and p.availability_target is None:
            yield doc.problem(
                (*at, "slaDeductions"),
                "SLA deductions need the provider's availabilityTarget",
                expected="an availabilityTarget field",
            )
        for d, tier in enumerate(p.sla_deductions):
            target = p.availability_target
            if target is not None and tier.below > target:
                yield doc.problem(
                    (*at, "slaDeductions", d, "below"),
                    "a deduction applies below the availability target, not above it",
                    expected=f"at most {target}",
                    found=str(tier.below),
                )
        if p.engine == "pulumi" and p.kind == "simulator":
            yield doc.problem(
                (*at, "engine"),
                "the pulumi engine provisions openstack and kubernetes providers only",
                expected="engine: sdk for a simulator",
                found="pulumi",
            )
        if p.kind != "simulator" and p.seed is not None:
            yield doc.problem((*at, "seed"), f"seed is for simulator providers (kind is {p.kind})")


def _tenant_problems(doc: LocatedDocument, spec: EstateSpec) -> Iterator[Problem]:
    base: Path = ("spec", "tenants")
    yield from _duplicates(doc, spec.tenants, base, "code", "tenant code")
    for i, t in enumerate(spec.tenants):
        if t.level == "municipal" and not t.city:
            yield doc.problem(
                (*base, i), "a municipal department belongs to a city", expected="a city field"
            )
        if t.level == "provincial" and t.city:
            yield doc.problem((*base, i, "city"), "a provincial department has no city")


def _catalog_problems(doc: LocatedDocument, spec: EstateSpec) -> Iterator[Problem]:
    yield from _duplicates(
        doc, spec.catalog.flavors, ("spec", "catalog", "flavors"), "name", "flavour name"
    )
    yield from _duplicates(
        doc, spec.catalog.images, ("spec", "catalog", "images"), "name", "image name"
    )


def _card_path(spec: EstateSpec, index: int) -> Path:
    return (
        ("spec", "rateCard")
        if spec.rate_card and index == 0
        else ("spec", "rateCards", index - (1 if spec.rate_card else 0))
    )


def _rate_card_problems(doc: LocatedDocument, spec: EstateSpec) -> Iterator[Problem]:
    cards = spec.all_rate_cards()
    tiers_in_use = {p.tier for p in spec.providers}
    versions: dict[str, int] = {}
    for index, card in enumerate(cards):
        at = _card_path(spec, index)
        if card.version in versions:
            yield doc.problem(
                (*at, "version"),
                f"duplicate rate-card version {card.version!r}",
                expected="a unique version",
            )
        versions.setdefault(card.version, index)
        if card.effective_to is not None and card.effective_to <= card.effective_from:
            yield doc.problem(
                (*at, "effectiveTo"),
                "a rate card must end after it starts",
                expected=f"a date after {card.effective_from}",
                found=str(card.effective_to),
            )
        meters: dict[str, int] = {}
        for r, rate in enumerate(card.rates):
            if rate.meter in meters:
                yield doc.problem(
                    (*at, "rates", r, "meter"),
                    f"meter {rate.meter!r} is priced twice in this version",
                    expected="each meter once",
                )
            meters.setdefault(rate.meter, r)
            missing = sorted(tiers_in_use - set(rate.prices))
            if missing:
                yield doc.problem(
                    (*at, "rates", r, "prices"),
                    f"no price for tier(s) {', '.join(missing)}, which providers of this estate have",
                    expected="a price for every tier in use",
                )
    ordered = sorted(range(len(cards)), key=lambda i: cards[i].effective_from)
    for before, after in itertools.pairwise(ordered):
        end = cards[before].effective_to
        if end is None or end > cards[after].effective_from:
            yield doc.problem(
                (*_card_path(spec, after), "effectiveFrom"),
                f"rate card {cards[after].version} overlaps version {cards[before].version} "
                f"(effective {cards[before].effective_from} to {end or 'open end'})",
                expected=f"a date on or after {end}"
                if end
                else f"version {cards[before].version} to end (effectiveTo) first",
                found=str(cards[after].effective_from),
            )


def _discount_problems(doc: LocatedDocument, spec: EstateSpec) -> Iterator[Problem]:
    tenants = {t.code for t in spec.tenants}
    by_tenant: dict[str, list[int]] = {}
    for i, d in enumerate(spec.discounts):
        at: Path = ("spec", "discounts", i)
        if d.tenant not in tenants:
            yield doc.problem(
                (*at, "tenant"),
                f"unknown tenant {d.tenant!r}",
                expected="a tenant code of this estate",
                found=d.tenant,
            )
        if d.effective_to is not None and d.effective_to <= d.effective_from:
            yield doc.problem(
                (*at, "effectiveTo"),
                "a discount must end after it starts",
                expected=f"a date after {d.effective_from}",
                found=str(d.effective_to),
            )
        by_tenant.setdefault(d.tenant, []).append(i)
    for indexes in by_tenant.values():
        ordered = sorted(indexes, key=lambda i: spec.discounts[i].effective_from)
        for before, after in itertools.pairwise(ordered):
            end = spec.discounts[before].effective_to
            if end is None or end > spec.discounts[after].effective_from:
                yield doc.problem(
                    ("spec", "discounts", after, "effectiveFrom"),
                    f"overlaps the discount at discounts[{before}] for the same tenant",
                    expected=f"a date on or after {end}"
                    if end
                    else f"discounts[{before}] to end (effectiveTo) first",
                    found=str(spec.discounts[after].effective_from),
                )


def semantic_problems(doc: LocatedDocument, estate: Estate) -> list[Problem]:
    """Every cross-entry rule the file breaks, each located."""
    spec = estate.spec
    return [
        *_provider_problems(doc, spec),
        *_tenant_problems(doc, spec),
        *_catalog_problems(doc, spec),
        *_rate_card_problems(doc, spec),
        *_discount_problems(doc, spec),
        *governance_problems(doc, spec),
    ]


def parse_estate(documents: Sequence[LocatedDocument], file: str) -> EstateDocument:
    """The one Estate in ``documents``, fully validated, or a ManifestError."""
    if len(documents) != 1:
        where = documents[1].start if len(documents) > 1 else Location(file, 1, 1)
        raise ManifestError(
            [
                Problem(
                    where,
                    "",
                    "an estate file holds exactly one document",
                    expected="1 document",
                    found="no document" if not documents else "more than 1",
                )
            ]
        )
    doc = documents[0]
    if not isinstance(doc.data, dict):
        raise ManifestError(
            [
                doc.problem(
                    (),
                    "an estate is a mapping",
                    expected="apiVersion/kind/metadata/spec",
                    found=type(doc.data).__name__,
                )
            ]
        )
    estate = parse_model(Estate, doc)
    problems = semantic_problems(doc, estate)
    policy: EstatePolicy | None = None
    if estate.spec.policies is not None:
        try:
            policy = load_policy_binding(doc, ("spec", "policies"))
        except ManifestError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ManifestError(problems)
    return EstateDocument(estate, doc, policy)
