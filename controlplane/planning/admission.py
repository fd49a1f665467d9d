"""The policy side of a plan: map it into :class:`policies.PlanView` and admit it.

Sets every fact govcloud holds (the system's level and data grade from the manifest;
the images' facts from the catalogue; the provider's from the estate)
and leaves ``None`` what it does not, so rules needing it report not-evaluable rather
than pass. Two facts the estate does not record explicitly are derived and stated
here: every provider of a 政务云 estate is in China (``country="CN"``), and an
in-province provider's province code is the estate's name, an out-of-province one's
its declared region. ``SystemFacts.classified`` means 涉密 (state-secret, graded under
分级保护, never on a 政务云): a manifest grades its system under 等保
(``classifiedProtection``), which only non-涉密 systems are, so it is ``False``. Every
plan is judged at least against the 等保 floor of its level, even when the estate binds
no packs; an estate's advisory opt-out travels with the outcome so the plan repeats it.

Imports :mod:`policies`, :mod:`tenants` and :mod:`controlplane.placement` facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from controlplane.records import planned_record_facts
from policies import (
    Assessment,
    BackupView,
    BaselineOptOut,
    ComputeItem,
    EncryptionView,
    EstatePolicy,
    ImageFacts,
    KubernetesView,
    LoggingView,
    PlanView,
    SystemFacts,
    Verdict,
    VolumeView,
    assess,
)
from policies import IngressRule as PolicyIngress
from policies import ProviderFacts as PolicyProvider
from tenants import SystemRequest, format_quantity, quick_init, source_text

__all__ = [
    "CatalogImage",
    "PolicyOutcome",
    "SiteFacts",
    "judge",
    "plan_view",
]

COUNTRY = "CN"


@dataclass(frozen=True, slots=True)
class CatalogImage:
    name: str
    os: str
    xinchuang: bool
    hardened: bool
    arches: tuple[str, ...]
    checksum: str | None = None
    signature: str | None = None
    patched_on: date | None = None


@dataclass(frozen=True, slots=True)
class SiteFacts:
    """A provider as the policies see it (a subset of the estate's row)."""

    name: str
    tier: str
    city: str | None
    sector: str | None
    certified_level: int
    xinchuang: bool
    arch: str
    cpu_vendor: str | None
    in_province: bool
    region: str
    assessment_conclusion: str | None = None
    assessment_date: date | None = None
    csa_valid_until: date | None = None
    kms_gm_certified: bool | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class PolicyOutcome:
    """The packs bound, the verdicts, and the estate's opt-out of the level floor if any.

    ``assessment`` builds the verdicts when first read (a batch plan mostly needs only
    ``admitted``; showing or recording a plan reads them all).
    """

    packs: tuple[str, ...]
    assessment: Assessment
    opt_out: BaselineOptOut | None = None

    @property
    def admitted(self) -> bool:
        return self.assessment.admitted

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        return self.assessment.verdicts

    @property
    def denials(self) -> tuple[Verdict, ...]:
        return self.assessment.denials

    @property
    def warnings(self) -> tuple[Verdict, ...]:
        return self.assessment.warnings

    def to_record(self) -> dict[str, Any]:
        return {
            "packs": list(self.packs),
            "admitted": self.admitted,
            "baselineOptOut": None if self.opt_out is None else self.opt_out.to_record(),
            "denials": len(self.denials),
            "warnings": len(self.warnings),
            "verdicts": [v.to_record() for v in self.verdicts],
        }


@lru_cache(maxsize=256)  # a provider's facts are the same for every plan placed there
def _provider(site: SiteFacts, province: str) -> PolicyProvider:
    return PolicyProvider(
        name=site.name,
        tier=site.tier,
        country=COUNTRY,
        province=province if site.in_province else site.region,
        city=site.city,
        sector=site.sector,
        certified_level=site.certified_level,
        xinchuang=site.xinchuang,
        arch=site.arch,
        cpu_vendor=site.cpu_vendor,
        assessment_conclusion=site.assessment_conclusion,
        assessment_date=site.assessment_date,
        csa_valid_until=site.csa_valid_until,
    )


def plan_view(
    request: SystemRequest,
    *,
    as_of: datetime,
    province: str,
    images: Mapping[str, CatalogImage],
    site: SiteFacts | None,
    is_update: bool,
) -> PlanView:
    """The policies' view of ``request`` placed on ``site`` (None: not placed)."""
    spec, meta = request.spec, request.metadata
    ingress = tuple(
        PolicyIngress(
            source=source_text(rule.source),
            port_min=None if rule.port is None else rule.port.first,
            port_max=None if rule.port is None else rule.port.last,
            protocol=rule.protocol,
        )
        for rule in spec.network.ingress
    )
    compute = tuple(
        ComputeItem(
            name=group.name,
            flavor=group.flavor,
            count=group.count,
            image=_image(images.get(group.image), group.image),
            volumes=tuple(VolumeView(v.size_gib, v.type, v.encrypted) for v in group.volumes),
        )
        for group in spec.compute
    )
    k8s = spec.kubernetes
    return PlanView(
        request=f"{meta.tenant}/{meta.name}",
        tenant=meta.tenant,
        system=SystemFacts(
            name=meta.name,
            tenant=meta.tenant,
            level=spec.classified_protection,
            data_grade=spec.data_classification,
            xinchuang_required=spec.xinchuang,
            classified=False,
            owner_province=province,
            **planned_record_facts(spec),
        ),
        as_of=as_of,
        provider=None if site is None else _provider(site, province),
        compute=compute,
        kubernetes=None
        if k8s is None
        else KubernetesView(
            quota={
                "cpu": format_quantity(k8s.quota.cpu),
                "memory": format_quantity(k8s.quota.memory, binary=True),
                "pods": str(k8s.quota.pods),
            }
        ),
        ingress=ingress,
        change_ticket=meta.annotations.get("changeTicket"),
        backup=BackupView(spec.backup.enabled, spec.backup.offsite, spec.backup.retention_days),
        logging=LoggingView(spec.logging.retention_days),
        encryption=EncryptionView(
            spec.encryption.at_rest,
            spec.encryption.in_transit,
            spec.encryption.customer_managed_key,
            None if site is None else site.kms_gm_certified,
        ),
        is_update=is_update,
    )


@lru_cache(maxsize=1024)  # an image's facts are the same for every plan that names it
def _image(image: CatalogImage | None, name: str) -> ImageFacts:
    if image is None:
        return ImageFacts(name, in_catalog=False)
    return ImageFacts(
        name,
        hardened=image.hardened,
        xinchuang=image.xinchuang,
        os_family=image.os,
        arch=image.arches,
        checksum=image.checksum,
        signed=image.signature is not None,
        patched_on=image.patched_on,
    )


def judge(
    view: PlanView, policy: EstatePolicy, *, city: str | None, sector: str | None
) -> PolicyOutcome:
    """Admit ``view`` under its level's floor and the binding for its department's scope."""
    bound = policy.for_scope(level=view.system.level, tenant=view.tenant, city=city, sector=sector)
    return PolicyOutcome(bound.packs, assess(view, bound), policy.opt_out)
