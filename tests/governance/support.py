"""Shared helpers for the governance tests: the estate, manifests and a catalogue planner.

``CataloguePlanner`` stands at the :class:`controlplane.requests.Planner` seam: it
prices nothing and places by the manifest's pin, but derives quota amounts and desired
servers from the estate's real catalogue, so quotas and provisioning act on real
numbers. ``deny`` and ``over_budget`` let a test choose the verdicts a planner would give.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from controlplane.app import App
from controlplane.estate.schema import EstateDocument, parse_estate
from controlplane.requests import PlanSummary
from providers import DesiredResource
from tenants import ParsedRequest, ResourceAmounts, load_requests, load_yaml_file

HERE = Path(__file__).parent
GOVERNED = HERE / "estates" / "governed.yaml"


def estate_document(path: Path = GOVERNED) -> EstateDocument:
    return parse_estate(load_yaml_file(str(path)), str(path))


def apply_estate(app: App, path: Path = GOVERNED) -> None:
    app.estate.apply(estate_document(path), actor="local-operator")


#: a vCPU rate card for the governed estate (its clouds price compute, nothing else)
RATE_CARD = """
  rateCard:
    version: "2026.1"
    effectiveFrom: 2026-01-01
    rates:
      - {meter: compute.vcpu, unit: vCPU, prices: {provincial: "45.00", municipal: "40.00", sector: "42.00"}}
"""


def apply_priced_estate(app: App) -> None:
    """The governed estate with :data:`RATE_CARD`, written into the home and applied."""
    text = GOVERNED.read_text(encoding="utf-8").replace(
        "  principals:", RATE_CARD + "  principals:"
    )
    path = app.settings.home / "estate.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    apply_estate(app, path)


def manifest_text(
    name: str = "portal",
    tenant: str = "hrss",
    *,
    level: int = 2,
    count: int = 2,
    flavor: str = "c2m4",
    provider: str = "prov-sim",
) -> str:
    return f"""apiVersion: govcloud.io/v1
kind: SystemRequest
metadata: {{name: {name}, tenant: {tenant}}}
spec:
  classifiedProtection: {level}
  dataClassification: general
  placement: {{provider: {provider}}}
  compute:
    - {{name: web, flavor: {flavor}, count: {count}, image: kylin-v10-sp3}}
  backup: {{enabled: true, retentionDays: 30}}
"""


def manifest(
    name: str = "portal",
    tenant: str = "hrss",
    *,
    level: int = 2,
    count: int = 2,
    flavor: str = "c2m4",
    provider: str = "prov-sim",
) -> ParsedRequest:
    text = manifest_text(name, tenant, level=level, count=count, flavor=flavor, provider=provider)
    return load_requests(text, name=f"{name}.yaml")[0]


@dataclass
class CataloguePlanner:
    app: App
    deny: set[str] = field(default_factory=set)
    over_budget: set[str] = field(default_factory=set)
    calls: int = 0
    monthly_price: Decimal = Decimal("0.00")

    def plan(self, parsed: ParsedRequest, *, principal: str) -> PlanSummary:
        self.calls += 1
        flavors = {f.name: f for f in self.app.estate.flavors()}
        spec = parsed.request.spec
        vcpu = sum(flavors[c.flavor].vcpu * c.count for c in spec.compute)
        memory = sum(flavors[c.flavor].memory_gib * c.count for c in spec.compute)
        storage = sum(v.size_gib * c.count for c in spec.compute for v in c.volumes)
        desired = [
            DesiredResource(
                "server",
                f"{c.name}-{i}",
                {
                    "flavor": c.flavor,
                    "vcpu": flavors[c.flavor].vcpu,
                    "memory_mib": flavors[c.flavor].memory_gib * 1024,
                    "image": c.image,
                },
            )
            for c in spec.compute
            for i in range(c.count)
        ]
        denied = parsed.name in self.deny
        return PlanSummary(
            exit_status=1 if denied else 0,
            provider=spec.placement.provider,
            amounts=ResourceAmounts(
                vcpu=Decimal(vcpu), memory_gib=Decimal(memory), storage_gib=Decimal(storage)
            ),
            monthly_price=self.monthly_price,
            over_budget=parsed.name in self.over_budget,
            desired=desired,
            reasons=("gov-cloud-baseline/backup: backups are required",) if denied else (),
            document={"system": parsed.name, "tenant": parsed.tenant},
        )
