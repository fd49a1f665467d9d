"""``PlanService``: plan SystemRequests against the stored estate without writing.

One read session per snapshot; planning itself is computation over the snapshot and the
system's own rows. A :class:`Planner` holds one snapshot and one placement scheduler,
so the documents of a file (or a benchmark's 10,000 requests) read the estate once and
each sees the capacity the earlier ones would take. Estate-dependent input errors
(unknown tenant, flavour, image, pinned provider) are located in the manifest and
raised together as one :class:`tenants.ManifestError` (exit status 2).

Imports :mod:`controlplane.db`, :mod:`controlplane.placement`, the planning helpers,
:mod:`tenants`; never a driver or a cloud SDK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from controlplane import budgets
from controlplane.db.models import PolicyBindingDoc, Provider, Resource, System
from controlplane.inventory.addresses import PoolExhausted, subnet_for
from controlplane.placement import Scheduler, SystemNeeds
from controlplane.planning.admission import judge, plan_view
from controlplane.planning.desired import (
    amounts_of,
    desired_resources,
    for_platform,
    meters_of,
    with_subnet,
)
from controlplane.planning.diff import ExistingResource, diff
from controlplane.planning.model import BudgetImpact, CapacityImpact, Plan, SystemAction
from controlplane.planning.pricing import estimate
from controlplane.planning.snapshot import EstateSnapshot, load_snapshot
from controlplane.timeutil import Clock
from providers.types import DesiredResource
from tenants import ManifestError, ParsedRequest, Problem, ResourceAmounts

__all__ = ["PlanService", "Planner"]

_ZERO = ResourceAmounts()


@dataclass(frozen=True)
class _Current:
    """What already exists for the system."""

    system_id: int | None
    provider: str | None
    spec_hash: str | None
    resources: tuple[ExistingResource, ...]
    amounts: ResourceAmounts
    monthly: Decimal


class PlanService:
    """Plans over one database; ``settings`` is accepted for symmetry and not needed yet."""

    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, settings: object = None
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._settings = settings

    def snapshot(self) -> EstateSnapshot:
        with self._sessions() as session:
            stored = session.get(PolicyBindingDoc, 1)
            return load_snapshot(session, self._clock(), stored.document if stored else None)

    def planner(self, snapshot: EstateSnapshot | None = None) -> Planner:
        return Planner(self._sessions, snapshot or self.snapshot())

    def plan(self, parsed: ParsedRequest, *, principal: str) -> Plan:
        """Plan one request (raises ManifestError for estate-dependent input errors)."""
        return self.plan_all([parsed], principal=principal)[0]

    def plan_all(self, parsed: Sequence[ParsedRequest], *, principal: str) -> list[Plan]:
        """Plan every document of a file: all located errors first, then each in order."""
        planner = self.planner()
        problems = [p for item in parsed for p in planner.problems(item)]
        if problems:
            raise ManifestError(problems)
        return [planner.plan(item, principal=principal) for item in parsed]


class Planner:
    """Plans against one snapshot; each plan consumes capacity for the next."""

    def __init__(self, sessions: sessionmaker[Session], snapshot: EstateSnapshot) -> None:
        self._sessions = sessions
        self.snapshot = snapshot
        self.scheduler = Scheduler(snapshot.providers.values())
        # subnets earlier plans of this batch took: provider → (tenant id, system) → cidr
        self._planned: dict[str, dict[tuple[int, str], str]] = {}

    def problems(self, parsed: ParsedRequest) -> list[Problem]:
        """Located estate-dependent errors of one request (empty when it can be planned)."""
        snap, doc, spec = self.snapshot, parsed.document, parsed.request.spec
        found: list[Problem] = []
        if not snap.providers:
            found.append(
                doc.problem(
                    (), "no estate has been applied", expected="`govcloud estate apply` first"
                )
            )
        if parsed.tenant not in snap.tenants:
            found.append(
                doc.problem(
                    ("metadata", "tenant"),
                    f"unknown tenant {parsed.tenant!r}",
                    expected="a department code of the estate",
                    found=parsed.tenant,
                )
            )
        for i, group in enumerate(spec.compute):
            if group.flavor not in snap.flavors:
                found.append(
                    doc.problem(
                        ("spec", "compute", i, "flavor"),
                        f"unknown flavour {group.flavor!r}",
                        expected=_one_of(snap.flavors),
                        found=group.flavor,
                    )
                )
            if group.image not in snap.images:
                found.append(
                    doc.problem(
                        ("spec", "compute", i, "image"),
                        f"unknown image {group.image!r}",
                        expected=_one_of(snap.images),
                        found=group.image,
                    )
                )
        pin = spec.placement.provider
        if pin is not None and pin not in snap.providers:
            found.append(
                doc.problem(
                    ("spec", "placement", "provider"),
                    f"unknown provider {pin!r}",
                    expected=_one_of(snap.providers),
                    found=pin,
                )
            )
        return found

    def plan(self, parsed: ParsedRequest, *, principal: str) -> Plan:
        problems = self.problems(parsed)
        if problems:
            raise ManifestError(problems)
        snap, request = self.snapshot, parsed.request
        tenant = snap.tenants[parsed.tenant]
        current = self._current(tenant.id, parsed.name)
        desired_all = desired_resources(request, snap.flavors)
        meters = meters_of(desired_all)
        needs = self._needs(parsed, current, desired_all, meters)
        decision = self.scheduler.place(needs)
        chosen = snap.providers.get(decision.chosen) if decision.chosen else None
        capacity = None
        if chosen is not None:
            held = needs.current_amounts if chosen.name == current.provider else _ZERO
            capacity = CapacityImpact(
                chosen.name,
                chosen.capacity,
                chosen.used + self.scheduler.consumed(chosen.name) - held,
                needs.amounts,
                snap.tenant_usage.get((tenant.id, chosen.name), _ZERO) - held,
                chosen.tracked,
            )
        self.scheduler.commit(decision, needs)
        if chosen is not None and chosen.kind != "kubernetes":
            desired_all = with_subnet(desired_all, self._subnet(parsed, tenant.id, chosen.name))
        desired = for_platform(desired_all, chosen.kind) if chosen else desired_all
        changes = diff(desired, decision.chosen, current.resources)
        price = estimate(meters, chosen.tier if chosen else None, snap.rates)
        synced, reserved = self._spend(tenant.id, tenant.code, parsed.name)
        others = {**synced, **reserved}  # an approved system counts by its reservation
        budget = BudgetImpact(
            tenant.code,
            tenant.budget,
            sum(others.values(), Decimal(0)),
            price.annual,
            current.monthly * 12,
            synced,
        )
        view = plan_view(
            request,
            as_of=snap.as_of,
            province=snap.province,
            images=snap.images,
            site=snap.sites.get(decision.chosen) if decision.chosen else None,
            is_update=current.system_id is not None,
        )
        outcome = judge(view, snap.policy, city=tenant.city, sector=tenant.sector)
        return Plan(
            request=request,
            spec_hash=request.spec_hash(),
            principal=principal,
            as_of=snap.as_of,
            action=_system_action(current, decision.chosen, changes, request.spec_hash()),
            placement=decision,
            desired=desired,
            changes=tuple(changes),
            price=price,
            capacity=capacity,
            budget=budget,
            policy=outcome,
            source=str(parsed.location),
            engines={name: facts.engine for name, facts in snap.providers.items()},
        )

    def _subnet(self, parsed: ParsedRequest, tenant_id: int, provider: str) -> str | None:
        """The system's subnet from the provider's address pool (``None``: no pool)."""
        with self._sessions() as session:
            row = session.exec(select(Provider).where(Provider.name == provider)).one()
            if row.address_pool is None or row.id is None:
                return None
            planned = self._planned.setdefault(provider, {})
            try:
                cidr = subnet_for(
                    session,
                    provider_id=row.id,
                    provider=provider,
                    pool=row.address_pool,
                    tenant_id=tenant_id,
                    system=parsed.name,
                    prefix=parsed.request.spec.network.subnet_prefix,
                    planned=[c for key, c in planned.items() if key != (tenant_id, parsed.name)],
                )
            except PoolExhausted as exc:
                raise ManifestError(
                    [
                        parsed.document.problem(
                            ("spec", "network"),
                            f"{exc}; ask for a smaller subnetPrefix or another provider / "
                            f"{exc.describe('zh')}",
                            expected=f"a free /{exc.prefix} in {exc.pool}",
                        )
                    ]
                ) from exc
        planned[tenant_id, parsed.name] = cidr
        return cidr

    def needs_for(self, parsed: ParsedRequest) -> SystemNeeds:
        """What placement sees of one request (valid against the estate)."""
        current = self._current(self.snapshot.tenants[parsed.tenant].id, parsed.name)
        desired = desired_resources(parsed.request, self.snapshot.flavors)
        return self._needs(parsed, current, desired, meters_of(desired))

    def _needs(
        self,
        parsed: ParsedRequest,
        current: _Current,
        desired: Sequence[DesiredResource],
        meters: Mapping[str, Decimal],
    ) -> SystemNeeds:
        snap, spec = self.snapshot, parsed.request.spec
        tenant = snap.tenants[parsed.tenant]
        return SystemNeeds(
            tenant=tenant.code,
            system=parsed.name,
            tenant_level=tenant.level,
            tenant_city=tenant.city,
            tenant_sector=tenant.sector,
            level=spec.classified_protection,
            data=spec.data_classification,
            xinchuang=spec.xinchuang,
            image_arches=tuple(frozenset(snap.images[g.image].arches) for g in spec.compute),
            needs_vms=bool(spec.compute),
            needs_namespace=spec.kubernetes is not None,
            amounts=amounts_of(meters, sum(1 for d in desired if d.kind == "namespace")),
            meters=meters,
            pin_provider=spec.placement.provider,
            pin_tier=spec.placement.tier,
            current_provider=current.provider,
            current_amounts=current.amounts,
        )

    def _spend(
        self, tenant_id: int, tenant: str, system: str
    ) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        """The department's other systems: 12 × synced monthly cost, and reservations."""
        with self._sessions() as session:
            query = select(System.id, System.name).where(System.tenant_id == tenant_id)
            # a Result has .keys(), so dict(result) would read it as a mapping: take the rows
            names = dict(session.exec(query).all())
            reserved = budgets.reserved_annual(session, tenant)
        synced: dict[str, Decimal] = {}
        for (owner, system_id), monthly in self.snapshot.system_cost.items():
            name = names.get(system_id, "") if system_id is not None else ""
            if owner == tenant_id and name != system:
                synced[name] = synced.get(name, Decimal(0)) + monthly * 12
        reserved.pop(system, None)
        return synced, reserved

    def _current(self, tenant_id: int, name: str) -> _Current:
        with self._sessions() as session:
            system = session.exec(
                select(System).where(System.tenant_id == tenant_id, System.name == name)
            ).first()
            if system is None or system.id is None:
                return _Current(None, None, None, (), _ZERO, Decimal(0))
            rows = session.exec(
                select(Resource, Provider.name)
                .join(Provider, col(Provider.id) == col(Resource.provider_id))
                .where(Resource.system_id == system.id, col(Resource.deleted_at).is_(None))
            ).all()
        resources = tuple(
            ExistingResource(provider, r.kind, r.name, r.resource_id, r.spec)
            for r, provider in rows
        )
        home = next(
            (n for n, i in self.snapshot.provider_ids.items() if i == system.provider_id), None
        )
        mine = [r for r in resources if r.provider == home]
        meters = meters_of(mine)
        return _Current(
            system.id,
            home,
            system.spec_hash,
            resources,
            amounts_of(meters, sum(1 for r in mine if r.kind == "namespace")),
            self.snapshot.system_cost.get((tenant_id, system.id), Decimal(0)),
        )


def _system_action(
    current: _Current, provider: str | None, changes: Sequence[Any], spec_hash: str
) -> SystemAction:
    if current.system_id is None:
        return "create"
    if (
        current.provider == provider
        and current.spec_hash == spec_hash
        and all(c.action == "unchanged" for c in changes)
    ):
        return "unchanged"
    return "update"


def _one_of(names: Mapping[str, object]) -> str:
    shown = sorted(names)
    head = ", ".join(shown[:8])
    return (
        f"one of {head}" + (f" … ({len(shown)} in all)" if len(shown) > 8 else "")
        if shown
        else "an estate entry"
    )
