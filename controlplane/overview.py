"""The overview (领导驾驶舱): per tier and per cloud, what the operations centre watches.

Owns the read models of the overview and :func:`read_overview`, which fills them from one
session with a handful of grouped statements whatever the province's size (40 clouds,
3,000 departments, 100,000 resources): providers, their latest probes
(:func:`~controlplane.inventory.health.latest_probes`), what live resources allocate
(:func:`~controlplane.planning.snapshot.allocation`, as placement measures it), live
resources, open drift, open violations by severity, requests waiting for approval, this month's
rated spend per cloud and the statements' month-to-date against the budget
(:func:`~controlplane.billing.budget_status`, as ``bill show`` projects it).

A violation belongs to the cloud it is on — its resource's, else its system's
(:func:`~controlplane.compliance.listing.violation_provider`) — and a request to the
cloud its plan placed it on (:func:`~controlplane.requests.reads.request_provider`): the
very expressions the violations and requests lists filter by, so a cloud's or a tier's
figure is the length of the list it opens. Those of no known cloud are counted in the
province's totals only. With ``tenant`` every figure
is that department's own (its resources, violations, requests, spend and budget); the
clouds' health and declared capacity are the estate's, which every role may read.
Imports :mod:`controlplane.db`, the inventory, planning and billing helpers; never the
facade.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, cast, func, select
from sqlmodel import Session, col

from controlplane.billing import Month, budget_status
from controlplane.compliance.listing import violation_provider
from controlplane.db.models import Provider, Request, Resource, Tenant
from controlplane.db.tables_billing import BillAdjustmentRow, BillLineRow, BillStatement
from controlplane.db.tables_compliance import PolicyViolation
from controlplane.db.tables_inventory import Drift, ProviderHealth
from controlplane.inventory.health import latest_probes
from controlplane.planning.snapshot import allocation
from controlplane.requests.reads import request_provider
from tenants import ResourceAmounts

__all__ = [
    "SEVERITIES",
    "STALE_AFTER",
    "Capacity",
    "CloudFigures",
    "Figures",
    "Health",
    "Overview",
    "Spend",
    "TierFigures",
    "Violations",
    "read_overview",
]

#: the health job probes every minute: a probe this old means nobody is probing
STALE_AFTER = timedelta(minutes=15)
SEVERITIES = ("critical", "high", "medium", "low")
#: the request state that waits for a decision (an approval step is open)
PENDING = "PendingApproval"
_ZERO = Decimal("0.00")
#: tiers top-down as the province is run (an unknown tier after them, by name)
TIER_ORDER = ("provincial", "municipal", "sector")


@dataclass(frozen=True)
class Health:
    """A cloud's latest probe: ``up``, ``down`` or ``never`` (not probed yet)."""

    state: str
    latency_ms: float | None
    checked_at: datetime | None
    stale: bool
    error_code: str | None


@dataclass(frozen=True)
class Capacity:
    """What is allocated of one resource against what the estate declares
    (``declared`` ``None``: the cloud's capacity of it is not tracked)."""

    used: Decimal
    declared: Decimal | None

    @property
    def percent(self) -> Decimal | None:
        if self.declared is None or self.declared == 0:
            return None
        return (self.used * 100 / self.declared).quantize(Decimal("1"))

    def __add__(self, other: Capacity) -> Capacity:
        # a total is tracked where every part is: a sum over untracked parts would
        # show a percentage of less than what is there
        declared = (
            None
            if self.declared is None or other.declared is None
            else self.declared + other.declared
        )
        return Capacity(self.used + other.used, declared)


@dataclass(frozen=True)
class Violations:
    """Open violations by severity."""

    critical: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0

    @property
    def total(self) -> int:
        return self.critical + self.high + self.medium + self.low

    def __add__(self, other: Violations) -> Violations:
        return Violations(self.critical + other.critical, self.high + other.high,
                          self.medium + other.medium, self.low + other.low)  # fmt: skip


@dataclass(frozen=True)
class Figures:
    """What a cloud, a tier or the province holds: the figures of an overview row."""

    vcpu: Capacity
    memory_gib: Capacity
    storage_gib: Capacity
    public_ips: Capacity
    violations: Violations
    pending: int
    resources: int
    #: open drift found by sync
    drift: int
    #: this month's rated lines on the cloud(s) plus adjustments naming them
    spend: Decimal


@dataclass(frozen=True)
class CloudFigures(Figures):
    name: str
    tier: str
    health: Health


@dataclass(frozen=True)
class TierFigures(Figures):
    """A tier's clouds and their totals (the province's: tier ``""``, every cloud)."""

    tier: str
    clouds: tuple[CloudFigures, ...]
    up: int
    down: int
    never: int
    stale: int


@dataclass(frozen=True)
class Spend:
    """The statements' month-to-date against the annual budget (summed over the
    departments shown), projected to the year as ``bill show`` projects one."""

    month_to_date: Decimal
    spent_before_month: Decimal
    annual_budget: Decimal
    projected_year: Decimal
    projected_overrun: bool
    statements: int


@dataclass(frozen=True)
class Overview:
    month: str
    as_of: datetime
    #: the department the figures are narrowed to (``None``: the whole province)
    tenant: str | None
    tiers: tuple[TierFigures, ...]
    #: the province's totals (tier ``""``, every cloud): its violations and pending
    #: approvals include those of no placed system
    province: TierFigures
    spend: Spend


def read_overview(
    session: Session, month: Month, now: datetime, tenant: str | None = None
) -> Overview:
    """The overview of ``month`` as of ``now`` (one department's with ``tenant``)."""
    tenant_id = _tenant_id(session, tenant)
    providers = session.execute(
        select(
            col(Provider.id),
            col(Provider.name),
            col(Provider.tier),
            col(Provider.capacity_vcpu),
            col(Provider.capacity_memory_gib),
            col(Provider.capacity_storage_gib),
            col(Provider.capacity_public_ips),
        ).order_by(col(Provider.tier), col(Provider.name))
    ).all()
    probes = dict(latest_probes(session))
    used = allocation(session, None if tenant_id is None else [tenant_id])
    resources = _count_by_provider(session, col(Resource.provider_id), col(Resource.tenant_id),
                                   col(Resource.deleted_at).is_(None), tenant_id)  # fmt: skip
    drift = _count_by_provider(session, col(Drift.provider_id), col(Drift.tenant_id),
                               col(Drift.resolved_at).is_(None), tenant_id)  # fmt: skip
    violations = _violations(session, tenant)
    pending = _pending(session, tenant_id)
    spend = _spend(session, month, tenant)
    clouds = []
    for pid, name, tier, vcpu, memory, storage, ips in providers:
        amounts = used.get(pid, ResourceAmounts())
        probe = probes.get(name)
        clouds.append(CloudFigures(
            name=name, tier=tier, health=_health(probe, now),
            vcpu=Capacity(amounts.vcpu, _declared(vcpu)),
            memory_gib=Capacity(amounts.memory_gib, _declared(memory)),
            storage_gib=Capacity(amounts.storage_gib, _declared(storage)),
            public_ips=Capacity(Decimal(amounts.public_ips), _declared(ips)),
            violations=violations.get(name, Violations()), pending=pending.get(name, 0),
            resources=resources.get(pid, 0), drift=drift.get(pid, 0), spend=spend.get(name, _ZERO),
        ))  # fmt: skip
    by_tier: dict[str, list[CloudFigures]] = defaultdict(list)
    for cloud in clouds:
        by_tier[cloud.tier].append(cloud)
    every = _tier("", tuple(clouds))
    return Overview(
        month=str(month),
        as_of=now,
        tenant=tenant,
        tiers=tuple(_tier(t, tuple(by_tier[t])) for t in sorted(by_tier, key=_tier_rank)),
        province=replace(
            every,
            violations=sum(violations.values(), Violations()),
            pending=sum(pending.values()),
        ),
        spend=_budget(session, month, now, tenant),
    )


def _tier_rank(tier: str) -> tuple[int, str]:
    return (TIER_ORDER.index(tier) if tier in TIER_ORDER else len(TIER_ORDER), tier)


def _tenant_id(session: Session, tenant: str | None) -> int | None:
    if tenant is None:
        return None
    found = session.execute(select(col(Tenant.id)).where(col(Tenant.code) == tenant)).scalar()
    # an unknown department has nothing: -1 matches no row
    return -1 if found is None else int(found)


def _declared(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _health(probe: ProviderHealth | None, now: datetime) -> Health:
    if probe is None:
        return Health("never", None, None, stale=False, error_code=None)
    up = probe.reachable and probe.auth_ok
    return Health("up" if up else "down", probe.latency_ms, probe.checked_at,
                  stale=now - probe.checked_at > STALE_AFTER,
                  error_code=probe.error_code)  # fmt: skip


def _tier(tier: str, clouds: tuple[CloudFigures, ...]) -> TierFigures:
    def total(read: str) -> Capacity:
        found = Capacity(Decimal(0), Decimal(0))  # no cloud: nothing declared, none used
        for cloud in clouds:
            found += getattr(cloud, read)
        return found

    return TierFigures(
        tier=tier,
        clouds=clouds,
        up=sum(1 for c in clouds if c.health.state == "up"),
        down=sum(1 for c in clouds if c.health.state == "down"),
        never=sum(1 for c in clouds if c.health.state == "never"),
        stale=sum(1 for c in clouds if c.health.stale),
        vcpu=total("vcpu"),
        memory_gib=total("memory_gib"),
        storage_gib=total("storage_gib"),
        public_ips=total("public_ips"),
        violations=sum((c.violations for c in clouds), Violations()),
        pending=sum(c.pending for c in clouds),
        resources=sum(c.resources for c in clouds),
        drift=sum(c.drift for c in clouds),
        spend=sum((c.spend for c in clouds), _ZERO),
    )


def _count_by_provider(
    session: Session,
    provider: Any,
    tenant: Any,
    live: ColumnElement[bool],
    tenant_id: int | None,
) -> dict[int, int]:
    """The ``live`` rows on each cloud (of one department when ``tenant_id`` is given)."""
    query = select(provider, func.count()).where(live).group_by(provider)
    if tenant_id is not None:
        query = query.where(tenant == tenant_id)
    return dict(session.execute(query).tuples().all())


def _violations(session: Session, tenant: str | None) -> dict[str | None, Violations]:
    """Open violations by the cloud they are on (``None``: not known), as the violations
    list decides it (:func:`~controlplane.compliance.listing.violation_provider`)."""
    cloud = violation_provider()
    query = (
        select(cloud, col(PolicyViolation.severity), func.count())
        .select_from(PolicyViolation)
        .where(col(PolicyViolation.state) == "open")
        .group_by(cloud, col(PolicyViolation.severity))
    )
    if tenant is not None:
        query = query.where(col(PolicyViolation.tenant) == tenant)
    counts: dict[str | None, dict[str, int]] = defaultdict(dict)
    for name, severity, n in session.execute(query).tuples():
        counts[name][severity] = counts[name].get(severity, 0) + n
    return {name: _by_severity(found) for name, found in counts.items()}


def _by_severity(found: Mapping[str, int]) -> Violations:
    return Violations(*(found.get(s, 0) for s in SEVERITIES))


def _pending(session: Session, tenant_id: int | None) -> dict[str | None, int]:
    """Requests waiting for approval by the cloud their plan placed them on (a new
    system has no ``system`` row before it is provisioned: the plan is what names it),
    as the requests list decides it (:func:`~controlplane.requests.reads.request_provider`)."""
    placed = request_provider()
    query = select(placed, func.count()).where(col(Request.state) == PENDING).group_by(placed)
    if tenant_id is not None:
        query = query.where(col(Request.tenant_id) == tenant_id)
    return dict(session.execute(query).tuples().all())


def _fen_sum(session: Session, column: Any) -> ColumnElement[Any]:
    """An exact SQL sum of an amount in fen-exact yuan (lines, adjustments, statements and
    budgets all are; see :mod:`controlplane.billing.money`). SQLite keeps money as text
    (:class:`~controlplane.db.types.Money`) and would sum it as binary floats: there the
    sum is of whole fen, exact below 2^53 fen (~9 × 10^13 CNY); read it with :func:`_yuan`."""
    if session.get_bind().dialect.name == "sqlite":
        return func.sum(cast(func.round(cast(column, Float) * 100), Integer))
    return func.sum(column)


def _yuan(session: Session, total: object) -> Decimal:
    if total is None:
        return _ZERO
    if session.get_bind().dialect.name == "sqlite":
        return (Decimal(int(str(total))) / 100).quantize(_ZERO)
    return Decimal(str(total)).quantize(_ZERO)


def _spend(session: Session, month: Month, tenant: str | None) -> dict[str, Decimal]:
    """This month's statements by cloud: rated lines and the adjustments naming one."""
    found: dict[str, Decimal] = defaultdict(lambda: _ZERO)
    for table in (BillLineRow, BillAdjustmentRow):
        query = (
            select(col(table.provider), _fen_sum(session, col(table.amount)))
            .join(BillStatement, col(BillStatement.id) == col(table.statement_id))
            .where(col(BillStatement.month) == str(month))
            .group_by(col(table.provider))
        )
        if tenant is not None:
            query = query.where(col(BillStatement.tenant) == tenant)
        for provider, amount in session.execute(query).tuples():
            if provider:
                found[provider] += _yuan(session, amount)
    return dict(found)


def _budget(session: Session, month: Month, now: datetime, tenant: str | None) -> Spend:
    """Month-to-date of the stored statements and the year so far, against the budgets."""
    year_start = str(Month(month.year, 1))
    query = (
        select(col(BillStatement.month), _fen_sum(session, col(BillStatement.total)), func.count())
        .where(col(BillStatement.month) >= year_start, col(BillStatement.month) <= str(month))
        .group_by(col(BillStatement.month))
    )
    budgets = select(_fen_sum(session, col(Tenant.budget)))
    if tenant is not None:
        query = query.where(col(BillStatement.tenant) == tenant)
        budgets = budgets.where(col(Tenant.code) == tenant)
    mtd, before, statements = _ZERO, _ZERO, 0
    for at, total, n in session.execute(query).tuples():
        if at == str(month):
            mtd, statements = _yuan(session, total), n
        else:
            before += _yuan(session, total)
    budget = _yuan(session, session.execute(budgets).scalar())
    status = budget_status(tenant or "", budget, month, now, mtd, before)
    return Spend(month_to_date=mtd, spent_before_month=before, annual_budget=budget,
                 projected_year=status.projected_year,
                 projected_overrun=status.projected_overrun, statements=statements)  # fmt: skip
