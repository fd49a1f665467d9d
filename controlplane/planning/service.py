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
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col

from controlplane import budgets
from controlplane.db.models import PolicyBindingDoc, Provider, Resource, System
from controlplane.db.tables_inventory import SubnetAllocation
from controlplane.inventory.addresses import PoolExhausted, allocations, subnet_in
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
from controlplane.planning.snapshot import EstateSnapshot, load_owned, load_snapshot
from controlplane.timeutil import Clock
from providers.types import DesiredResource
from tenants import (
    ManifestError,
    ParsedRequest,
    Problem,
    ResourceAmounts,
    quick_init,
    without_cycle_collection,
)

__all__ = ["PlanService", "Planner"]

_ZERO = ResourceAmounts()


@quick_init
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
        """The estate and what each provider has allocated (departments' holdings are
        read per batch, by :meth:`Planner.prefetch`)."""
        with self._sessions() as session:
            stored = session.get(PolicyBindingDoc, 1)
            return load_snapshot(session, self._clock(), stored.document if stored else None)

    def planner(
        self,
        snapshot: EstateSnapshot | None = None,
        batch: Sequence[ParsedRequest] = (),
        *,
        independent: bool = False,
    ) -> Planner:
        """A planner over ``snapshot`` (read now when not given) that has read what the
        plans of ``batch`` need."""
        # the snapshot read with the cyclic collector paused, as :meth:`Planner.prefetch`
        # reads (see there); what the reads leave behind is freed once it resumes
        with without_cycle_collection():
            planner = Planner(self._sessions, snapshot or self.snapshot(), independent=independent)
            planner.prefetch(batch)
        return planner

    def plan(self, parsed: ParsedRequest, *, principal: str) -> Plan:
        """Plan one request (raises ManifestError for estate-dependent input errors)."""
        return self.plan_all([parsed], principal=principal)[0]

    def plan_all(self, parsed: Sequence[ParsedRequest], *, principal: str) -> list[Plan]:
        """Plan every document of a file: all located errors first, then each in order."""
        planner = self.planner(batch=parsed)
        problems = [p for item in parsed for p in planner.problems(item)]
        if problems:
            raise ManifestError(problems)
        with without_cycle_collection():  # plans are acyclic; see tenants.located
            return [planner.plan(item, principal=principal) for item in parsed]


@dataclass
class _TenantRows:
    """What plans of one department read of the database (fetched once per batch)."""

    systems: dict[str, tuple[int, int | None, str | None]]
    """name → (id, provider id, spec hash)"""
    resources: dict[int, tuple[ExistingResource, ...]]
    """system id → its live resources (fetched for the systems the batch names)"""
    synced: dict[str, Decimal]
    """system name → 12 × its synced monthly cost (unknown systems under "")"""
    reserved: dict[str, Decimal]
    """system name → the yearly cost its active budget reservations hold"""


def _chunks(values: Sequence[int], size: int = 2000) -> list[Sequence[int]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


class Planner:
    """Plans against one snapshot; each plan consumes capacity for the next."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        snapshot: EstateSnapshot,
        *,
        independent: bool = False,
    ) -> None:
        """``independent``: each plan as if it were alone (``apply`` records documents one
        by one, and each was planned against the estate as stored): no capacity or
        subnet carried from one plan to the next."""
        self._sessions = sessions
        self._independent = independent
        self.snapshot = snapshot
        self.scheduler = Scheduler(snapshot.providers.values())
        self._engines = MappingProxyType(
            {name: facts.engine for name, facts in snapshot.providers.items()}
        )
        # subnets earlier plans of this batch took: provider → (tenant id, system) → cidr
        self._planned: dict[str, dict[tuple[int, str], str]] = {}
        # what the batch reads of the database, once per department (:meth:`prefetch`)
        self._tenants: dict[int, _TenantRows] = {}
        self._held: dict[int, list[SubnetAllocation]] = {}
        # the documents :meth:`problems` found clean against this snapshot and not yet
        # planned, by id (each kept as the value, so no other document can have its id):
        # a batch is checked before any of it is planned (plan_all, apply), and its plan
        # need not check it again. Planning takes the document out, so nothing is held
        # past its plan; and nothing is made per document (an object kept for each of
        # thousands would count towards the collector's next pass over all of them).
        self._clean: dict[int, ParsedRequest] = {}

    def prefetch(self, parsed: Sequence[ParsedRequest]) -> None:
        """Read in a few queries what the plans of ``parsed`` need of the database.

        Their departments' systems and budget reservations, and the live resources of
        the systems the documents name. A plan of a document not prefetched reads its
        own when it runs, so calling this is only ever an optimisation.
        """
        # read with the cyclic collector paused: a batch's parsed documents (10,000 for a
        # large file) are already in memory, and each collection the thousands of rows
        # read here trigger walks them all again (most of the reading time)
        with without_cycle_collection():
            self._prefetch(parsed)

    def _prefetch(self, parsed: Sequence[ParsedRequest]) -> None:
        tenants = self.snapshot.tenants
        wanted: dict[int, set[str]] = {}
        for item in parsed:
            info = tenants.get(item.tenant)
            if info is not None:
                wanted.setdefault(info.id, set()).add(item.name)
        new = sorted(tid for tid in wanted if tid not in self._tenants)
        codes = {info.id: info.code for info in tenants.values()}
        with self._sessions() as session:
            load_owned(session, self.snapshot, new)
            systems: dict[int, dict[str, tuple[int, int | None, str | None]]] = {
                tid: {} for tid in new
            }
            for chunk in _chunks(new):
                query = select(
                    col(System.id),
                    col(System.tenant_id),
                    col(System.name),
                    col(System.provider_id),
                    col(System.spec_hash),
                ).where(col(System.tenant_id).in_(chunk))
                for sid, tid, name, provider_id, spec_hash in session.execute(query).all():
                    if sid is not None:
                        systems[tid][name] = (sid, provider_id, spec_hash)
            reserved = budgets.reserved_annual_of(session, [codes[tid] for tid in new])
            cost: dict[int, list[tuple[int | None, Decimal]]] = {tid: [] for tid in new}
            for (owner, system_id), monthly in self.snapshot.system_cost.items():
                if owner in cost:
                    cost[owner].append((system_id, monthly))
            for tid in new:
                names = {sid: name for name, (sid, _, _) in systems[tid].items()}
                synced: dict[str, Decimal] = {}
                for system_id, monthly in cost[tid]:
                    name = names.get(system_id, "") if system_id is not None else ""
                    synced[name] = synced.get(name, Decimal(0)) + monthly * 12
                self._tenants[tid] = _TenantRows(
                    systems[tid], {}, synced, reserved.get(codes[tid], {})
                )
            missing = [
                row.systems[name][0]
                for tid, names in wanted.items()
                for row in (self._tenants[tid],)
                for name in names
                if name in row.systems and row.systems[name][0] not in row.resources
            ]
            self._fetch_resources(session, wanted, sorted(missing))

    def _fetch_resources(
        self, session: Session, wanted: Mapping[int, set[str]], system_ids: Sequence[int]
    ) -> None:
        found: dict[int, list[ExistingResource]] = {sid: [] for sid in system_ids}
        for chunk in _chunks(system_ids):
            query = (
                select(
                    col(Resource.system_id),
                    col(Provider.name),
                    col(Resource.kind),
                    col(Resource.name),
                    col(Resource.resource_id),
                    col(Resource.spec),
                )
                .join(Provider, col(Provider.id) == col(Resource.provider_id))
                .where(col(Resource.system_id).in_(chunk), col(Resource.deleted_at).is_(None))
                .order_by(col(Resource.id))
            )
            for sid, provider, kind, name, rid, spec in session.execute(query).all():
                if sid is not None:
                    found[sid].append(ExistingResource(provider, kind, name, rid, spec))
        for tid in wanted:
            row = self._tenants[tid]
            for sid, _, _ in row.systems.values():
                if sid in found:
                    row.resources[sid] = tuple(found[sid])

    def will_reserve(self, tenant: str, system: str, annual: Decimal | None) -> None:
        """A request of ``system`` planned in this batch will hold ``annual`` a year once
        recorded (``None``: it holds nothing; whatever the system held stays): the
        department's next plans count it, as if it had been recorded already."""
        info = self.snapshot.tenants.get(tenant)
        rows = self._tenants.get(info.id) if info is not None else None
        if rows is not None and annual is not None:
            rows.reserved[system] = annual

    def _rows(self, parsed: ParsedRequest) -> _TenantRows:
        """The department's rows, with the resources of the system ``parsed`` names."""
        tenant_id = self.snapshot.tenants[parsed.tenant].id
        rows = self._tenants.get(tenant_id)
        system = rows.systems.get(parsed.name) if rows is not None else None
        if rows is None or (system is not None and system[0] not in rows.resources):
            self.prefetch([parsed])
            rows = self._tenants[tenant_id]
        return rows

    def problems(self, parsed: ParsedRequest) -> list[Problem]:
        """Located estate-dependent errors of one request (empty when it can be planned)."""
        if self._clean.get(id(parsed)) is parsed:
            return []
        found = self._problems(parsed)
        if not found:
            self._clean[id(parsed)] = parsed
        return found

    def _problems(self, parsed: ParsedRequest) -> list[Problem]:
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
        if self._clean.pop(id(parsed), None) is None:  # else found clean already
            problems = self._problems(parsed)
            if problems:
                raise ManifestError(problems)
        snap, request = self.snapshot, parsed.request
        tenant = snap.tenants[parsed.tenant]
        rows = self._rows(parsed)
        current = self._current(tenant.id, parsed.name, rows)
        spec_hash = parsed.spec_hash()
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
        if not self._independent:
            self.scheduler.commit(decision, needs)
        if chosen is not None and chosen.kind != "kubernetes":
            desired_all = with_subnet(desired_all, self._subnet(parsed, tenant.id, chosen.name))
        desired = for_platform(desired_all, chosen.kind) if chosen else desired_all
        changes = diff(desired, decision.chosen, current.resources)
        price = estimate(meters, chosen.tier if chosen else None, snap.rates)
        synced = {name: cost for name, cost in rows.synced.items() if name != parsed.name}
        reserved = {name: cost for name, cost in rows.reserved.items() if name != parsed.name}
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
            spec_hash=spec_hash,
            principal=principal,
            as_of=snap.as_of,
            action=_system_action(current, decision.chosen, changes, spec_hash),
            placement=decision,
            desired=desired,
            changes=tuple(changes),
            price=price,
            capacity=capacity,
            budget=budget,
            policy=outcome,
            source=str(parsed.location),
            engines=self._engines,
        )

    def _subnet(self, parsed: ParsedRequest, tenant_id: int, provider: str) -> str | None:
        """The system's subnet from the provider's address pool (``None``: no pool)."""
        pool = self.snapshot.address_pools.get(provider)
        provider_id = self.snapshot.provider_ids.get(provider)
        if pool is None or provider_id is None:
            return None
        held = self._held.get(provider_id)
        if held is None:
            with self._sessions() as session:
                held = self._held[provider_id] = allocations(session, provider_id)
        planned = self._planned.setdefault(provider, {})
        try:
            cidr = subnet_in(
                held,
                provider=provider,
                pool=pool,
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
        if not self._independent:
            planned[tenant_id, parsed.name] = cidr
        return cidr

    def needs_for(self, parsed: ParsedRequest) -> SystemNeeds:
        """What placement sees of one request (valid against the estate)."""
        current = self._current(
            self.snapshot.tenants[parsed.tenant].id, parsed.name, self._rows(parsed)
        )
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

    def _current(self, tenant_id: int, name: str, rows: _TenantRows) -> _Current:
        system = rows.systems.get(name)
        if system is None:
            return _Current(None, None, None, (), _ZERO, Decimal(0))
        system_id, provider_id, spec_hash = system
        resources = rows.resources.get(system_id, ())
        home = next((n for n, i in self.snapshot.provider_ids.items() if i == provider_id), None)
        mine = [r for r in resources if r.provider == home]
        meters = meters_of(mine)
        return _Current(
            system_id,
            home,
            spec_hash,
            resources,
            amounts_of(meters, sum(1 for r in mine if r.kind == "namespace")),
            self.snapshot.system_cost.get((tenant_id, system_id), Decimal(0)),
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
