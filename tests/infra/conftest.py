"""Shared inputs of the infra tests: the request corpus's admitted manifests, planned."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from controlplane.estate.schema import parse_estate
from controlplane.planning.desired import FlavorSize, desired_resources
from infra.blueprint import KUBERNETES_KINDS, OPENSTACK_KINDS
from providers.types import DesiredResource, SystemRef
from tenants import ParsedRequest, load_requests, load_yaml_file

REQUESTS = Path(__file__).parent.parent / "requests"
ESTATE = REQUESTS / "estates" / "province.yaml"
ADMITTED = sorted(
    path
    for path in (REQUESTS / "manifests").glob("*.yaml")
    if re.search(r"^# expect: exit 0\b", path.read_text(encoding="utf-8"), re.MULTILINE)
)
FAMILIES = {"openstack": OPENSTACK_KINDS, "kubernetes": KUBERNETES_KINDS}


def flavors() -> dict[str, FlavorSize]:
    estate = parse_estate(load_yaml_file(str(ESTATE)), str(ESTATE))
    return {f.name: (f.vcpu, f.memory_gib) for f in estate.estate.spec.catalog.flavors}


def ref_of(parsed: ParsedRequest, request_id: str = "42") -> SystemRef:
    meta = parsed.request.metadata
    return SystemRef(meta.tenant, meta.name, request_id, parsed.request.spec.classified_protection)


def planned(source: str | Path) -> list[tuple[SystemRef, tuple[DesiredResource, ...]]]:
    """Each document's system and the desired resources the planner gives the drivers."""
    sizes = flavors()
    parsed = load_requests(source if isinstance(source, str) else Path(source))
    return [(ref_of(p), desired_resources(p.request, sizes)) for p in parsed]


def family(desired: Sequence[DesiredResource], kind: str) -> list[DesiredResource]:
    """The part of a system's desired resources a driver of provider ``kind`` realises."""
    return [item for item in desired if item.kind in FAMILIES[kind]]
