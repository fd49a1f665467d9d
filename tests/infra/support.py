"""Helpers of the infra tests that drive the control plane: a planner with real desired
resources, and a provider switched to the Pulumi engine."""

from __future__ import annotations

import dataclasses

from sqlmodel import Session, select

from controlplane.app import App
from controlplane.db.models import Provider
from controlplane.planning.desired import desired_resources
from controlplane.requests import PlanSummary
from tenants import ParsedRequest
from tests.governance.support import CataloguePlanner


class RealDesired(CataloguePlanner):
    """The catalogue planner, but with the planner's real desired resources."""

    def plan(self, parsed: ParsedRequest, *, principal: str) -> PlanSummary:
        summary = super().plan(parsed, principal=principal)
        flavors = {f.name: (f.vcpu, f.memory_gib) for f in self.app.estate.flavors()}
        return dataclasses.replace(
            summary, desired=list(desired_resources(parsed.request, flavors))
        )


def make_pulumi_provider(app: App) -> None:
    """The governed estate's ``prov-sim`` as an OpenStack provider with ``engine: pulumi``
    (set on the row: the estate itself refuses pulumi on a simulator, and has no cloud)."""
    with Session(app.engine) as session:
        row = session.exec(select(Provider).where(Provider.name == "prov-sim")).one()
        row.kind, row.cloud, row.engine = "openstack", "prov-sim", "pulumi"
        session.add(row)
        session.commit()
