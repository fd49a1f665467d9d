"""Provisioning: hand an approved request's desired resources to its provider's driver.

``provision(request_id)`` moves an Approved (or Failed, to retry) request to
Provisioning — or Deleting for a deletion — and commits that before calling the cloud,
so a crash leaves a visible in-flight request that the next call resumes. The driver
call is idempotent (resources are found by their govcloud tags), so resuming never
duplicates cloud resources. Each resource's outcome is recorded (Ready, or Failed with
the provider's error and whether it is worth retrying); the request becomes Ready
(Deleted) when every resource succeeded, Failed otherwise.

The database is never held open across the cloud call. Whoever provisions holds the
request's lease (:mod:`controlplane.requests.claims`) from the first transaction to the
last, so two callers never run the same apply at once; a Failed request whose errors
were all temporary gets a ``retry_at`` (back-off honouring ``retry_after``) for the
reconciler, a permanent failure none.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from controlplane import audit, budgets, quotas, rbac
from controlplane.db.engine import transaction
from controlplane.db.models import Provider, Request, System, Tenant
from controlplane.db.tables_requests import Quota, RequestOutcome
from controlplane.inventory import addresses
from controlplane.inventory.applied import forget_system, record_applied
from controlplane.inventory.repair import RepairPlan, repair_plan
from controlplane.records import stored_records
from controlplane.requests import claims
from controlplane.requests.planned import desired_from_json
from controlplane.requests.service import RequestNotFound, transition
from controlplane.requests.states import IllegalTransition, State
from controlplane.timeutil import Clock
from providers import ApplyOutcome, ProviderError, Provisioning, QuotaSet, SystemRef
from tenants import SystemRequestSpec

__all__ = [
    "NothingToRepair",
    "ProvisionResult",
    "Provisioner",
    "RepairResult",
    "quota_set",
]

_STARTABLE = frozenset({"Approved", "Failed", "Provisioning", "Deleting"})


@dataclass(frozen=True)
class ProvisionResult:
    request_id: int
    state: str
    outcomes: Sequence[ApplyOutcome]

    @property
    def failed(self) -> list[ApplyOutcome]:
        return [o for o in self.outcomes if not o.ok]


@dataclass(frozen=True)
class RepairResult:
    """A repair's plan and, unless it was a dry run, what the driver did."""

    plan: RepairPlan
    outcomes: Sequence[ApplyOutcome] = ()
    dry_run: bool = False

    @property
    def failed(self) -> list[ApplyOutcome]:
        return [o for o in self.outcomes if not o.ok]


class NothingToRepair(LookupError):
    """No such system, or it is not in a state a repair applies to."""

    def __init__(self, tenant: str, system: str, why_en: str, why_zh: str) -> None:
        self.tenant, self.system = tenant, system
        self.why_en, self.why_zh = why_en, why_zh
        super().__init__(f"{tenant}/{system}: {why_en}")

    def describe(self, lang: str = "en") -> str:
        why = self.why_zh if lang == "zh" else self.why_en
        return f"{self.tenant}/{self.system}：{why}" if lang == "zh" else str(self)


@runtime_checkable
class QuotaSetting(Protocol):
    """An engine that sets a department's quotas (the SDK drivers; not Pulumi)."""

    def set_quotas(self, tenant: str, quotas: QuotaSet) -> None: ...


def _set_quotas(engine: Provisioning | None, tenant: str, quotas: QuotaSet) -> None:
    """Push ``quotas`` where the engine can; an engine that cannot is left alone."""
    if isinstance(engine, QuotaSetting):
        engine.set_quotas(tenant, quotas)


@runtime_checkable
class Offboarding(Protocol):
    """A driver that can remove what onboarding a department created."""

    def offboard(self, tenant: str) -> list[ApplyOutcome]: ...


@runtime_checkable
class Pruning(Protocol):
    """A driver that can remove a resource govcloud did not create, by id."""

    def remove_unmanaged(self, kind: str, resource_id: str) -> ApplyOutcome: ...


@dataclass(frozen=True)
class _Order:
    """Everything the cloud call needs, read in the first transaction."""

    request_id: int
    action: str
    provider: Provider
    ref: SystemRef
    desired_json: list[dict[str, object]]
    quota: QuotaSet


@runtime_checkable
class Journaled(Protocol):
    """An engine that keeps its last run's event lines (the Pulumi engine)."""

    events: tuple[str, ...]


class Provisioner:
    """Runs provisioning orders through each provider's engine (SDK driver or Pulumi);
    ``drivers`` is the one I/O seam."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        drivers: Callable[[Provider], Provisioning],
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._drivers = drivers

    def provision(
        self,
        request_id: int,
        *,
        actor: str,
        holder: str | None = None,
        lease: timedelta | None = None,
    ) -> ProvisionResult:
        """Provision (or delete) one request under its lease, held by ``holder`` (by
        default this process); :class:`~controlplane.requests.claims.RequestClaimed`
        when someone else is at it."""
        holder = holder or f"{actor}/{socket.gethostname()}/{os.getpid()}"
        order = self._start(request_id, actor, holder, lease or claims.DEFAULT_LEASE)
        engine: Provisioning | None = None
        try:
            engine = self._drivers(order.provider)
            if order.action == "delete":
                outcomes = engine.delete(order.ref)
            else:
                # onboarding, and every apply after it: the estate's quota is the cloud's
                _set_quotas(engine, order.ref.tenant, order.quota)
                outcomes = engine.apply(order.ref, desired_from_json(order.desired_json))
        except ProviderError as exc:
            outcomes = [
                ApplyOutcome(str(d["kind"]), str(d["name"]), "failed", None, exc)
                for d in order.desired_json
            ] or [ApplyOutcome("system", order.ref.system, "failed", None, exc)]
        events = engine.events if isinstance(engine, Journaled) else ()
        result = self._finish(order, outcomes, actor, events, holder)
        if result.state == "Deleted":
            gone = self._offboard(order, engine, actor)
            result = ProvisionResult(result.request_id, result.state, (*result.outcomes, *gone))
        return result

    def claim_next(self, *, holder: str, lease: timedelta) -> int | None:
        """Claim the oldest due request for ``holder`` (see :func:`claims.due`)."""
        now = self._clock()
        with transaction(self._sessions) as session:
            for request_id in claims.due(session, now, limit=8):
                if claims.claim(session, request_id, holder, now, lease):
                    return request_id
        return None

    def push_quotas(self, *, actor: str) -> list[tuple[str, str, ProviderError | None]]:
        """Set the estate's quota on every provider where a department has live systems.

        Called when the estate changes; ``(tenant, provider, error)`` per pair, the error
        ``None`` when the cloud took it. A pair without a declared quota gets unlimited.
        """
        with self._sessions() as session:
            identity = rbac.resolve(session, actor)
            providers = {p.id: p for p in session.exec(select(Provider))}
            pairs = session.exec(
                select(Tenant.code, System.provider_id)
                .join(System, col(System.tenant_id) == col(Tenant.id))
                .where(
                    col(System.status).not_in(("deleted",)), col(System.provider_id).is_not(None)
                )
                .distinct()
            ).all()
            wanted = []
            for tenant, provider_id in pairs:
                provider = providers[provider_id]
                rbac.authorize(identity, "request.provision", tenant)
                wanted.append((tenant, provider, quota_set(session, tenant, provider.name)))
        done: list[tuple[str, str, ProviderError | None]] = []
        for tenant, provider, limits in sorted(wanted, key=lambda w: (w[1].name, w[0])):
            try:
                _set_quotas(self._drivers(provider), tenant, limits)
            except ProviderError as exc:
                done.append((tenant, provider.name, exc))
                continue
            done.append((tenant, provider.name, None))
        if done:
            summary = [[t, p, e.code if e else None] for t, p, e in done]
            self._audit(actor, "quota.push", "estate", {"pairs": summary})
        return done

    def _audit(self, actor: str, action: str, subject: str, payload: dict[str, Any]) -> None:
        with transaction(self._sessions) as session:
            audit.append(
                session,
                at=self._clock(),
                actor=actor,
                action=action,
                subject=subject,
                payload=payload,
            )

    def _offboard(
        self, order: _Order, driver: Provisioning | None, actor: str
    ) -> list[ApplyOutcome]:
        """After a department's last system on a provider is deleted, undo onboarding.

        The department stays onboarded (project, group, quotas kept) while it has other
        systems there or while the estate declares its quota on that provider.
        """
        tenant = order.ref.tenant
        with self._sessions() as session:
            declared = session.exec(
                select(Quota).where(Quota.tenant == tenant, Quota.provider == order.provider.name)
            ).first()
            others = session.exec(
                select(System)
                .join(Tenant, col(Tenant.id) == col(System.tenant_id))
                .where(
                    Tenant.code == tenant,
                    System.provider_id == order.provider.id,
                    col(System.status).not_in(("deleted",)),
                )
            ).first()
        if declared is not None or others is not None or not isinstance(driver, Offboarding):
            return []
        try:
            outcomes = driver.offboard(tenant)
        except ProviderError as exc:
            outcomes = [ApplyOutcome("tenant", tenant, "failed", None, exc)]
        self._audit(
            actor,
            "tenant.offboard",
            f"{tenant}@{order.provider.name}",
            {"outcomes": [[o.kind, o.name, o.action, o.resource_id] for o in outcomes]},
        )
        return outcomes

    def repair(
        self,
        tenant: str,
        system: str,
        *,
        actor: str,
        prune: bool = False,
        dry_run: bool = False,
    ) -> RepairResult:
        """Re-apply a Ready system's declared state (and its department's quota).

        The plan comes from the open drift of the last sync; the driver's apply does the
        undoing (recreate, restore, re-tag, drop undeclared rules). Unmanaged resources in
        the department's project are removed only with ``prune``. Same role as
        provisioning: the request that declared the state was approved already.
        """
        order, plan = self._repair_plan(tenant, system, actor, prune)
        if dry_run or plan.empty:
            return RepairResult(plan, (), dry_run)
        driver = self._drivers(order.provider)
        try:
            _set_quotas(driver, order.ref.tenant, order.quota)
            outcomes = list(driver.apply(order.ref, desired_from_json(order.desired_json)))
        except ProviderError as exc:
            outcomes = [ApplyOutcome("system", order.ref.system, "failed", None, exc)]
        for step in plan.to_remove:
            if not isinstance(driver, Pruning):
                raise NothingToRepair(
                    tenant,
                    system,
                    f"provider {order.provider.name} cannot remove unmanaged resources",
                    f"云平台 {order.provider.name} 不支持删除未纳管资源",
                )
            outcomes.append(driver.remove_unmanaged(step.kind, step.resource_id))
        now = self._clock()
        with transaction(self._sessions) as session:
            request = session.get(Request, order.request_id)
            assert request is not None
            _remember(session, order, request, outcomes, now, actor)
            audit.append(
                session,
                at=now,
                actor=actor,
                action="system.repair",
                subject=f"{tenant}/{system}",
                payload={
                    "request": order.request_id,
                    "plan": plan.as_json(),
                    "prune": prune,
                    "outcomes": [[o.kind, o.name, o.action, o.resource_id] for o in outcomes],
                },
            )
        return RepairResult(plan, tuple(outcomes))

    def _repair_plan(
        self, tenant_code: str, system_name: str, actor: str, prune: bool
    ) -> tuple[_Order, RepairPlan]:
        with self._sessions() as session:
            identity = rbac.resolve(session, actor)
            rbac.authorize(identity, "request.provision", tenant_code)
            found = session.exec(
                select(System, Tenant, Provider)
                .join(Tenant, col(Tenant.id) == col(System.tenant_id))
                .join(Provider, col(Provider.id) == col(System.provider_id))
                .where(Tenant.code == tenant_code, System.name == system_name)
            ).first()
            if found is None:
                raise NothingToRepair(
                    tenant_code, system_name, "no such provisioned system", "没有该已开通的系统"
                )
            system, tenant, provider = found
            request = session.exec(
                select(Request)
                .where(Request.system_id == system.id, Request.state == "Ready")
                .order_by(col(Request.id).desc())
            ).first()
            if system.status != "ready" or request is None or request.action != "apply":
                raise NothingToRepair(
                    tenant_code,
                    system_name,
                    f"the system is {system.status}; only a ready system is repaired",
                    f"系统状态为 {system.status}，只有已就绪的系统可以修复",
                )
            plan = repair_plan(
                session,
                provider_id=provider.id or 0,
                provider=provider.name,
                tenant_id=tenant.id or 0,
                tenant=tenant.code,
                system_id=system.id or 0,
                system=system.name,
                prune=prune,
            )
            return _order(session, request, tenant, provider), plan

    def _start(self, request_id: int, actor: str, holder: str, lease: timedelta) -> _Order:
        now = self._clock()
        with transaction(self._sessions) as session:
            identity = rbac.resolve(session, actor)
            request = session.exec(
                select(Request).where(Request.id == request_id).with_for_update()
            ).first()
            if request is None:
                raise RequestNotFound(request_id)
            tenant = session.get(Tenant, request.tenant_id)
            assert tenant is not None
            rbac.authorize(identity, "request.provision", tenant.code)
            working: State = "Deleting" if request.action == "delete" else "Provisioning"
            if request.state not in _STARTABLE:
                raise IllegalTransition(request_id, request.state, working)
            facts = dict(request.plan.get("govcloud", {}))
            provider = session.exec(
                select(Provider).where(Provider.name == facts.get("provider"))
            ).first()
            if provider is None:
                raise IllegalTransition(request_id, request.state, f"{working} (no provider)")
            if not claims.claim(session, request_id, holder, now, lease):
                session.refresh(request)
                raise claims.RequestClaimed(
                    request_id, request.claimed_by or "?", request.claimed_until
                )
            session.refresh(request)
            request.attempts += 1
            request.retry_at = None
            if request.state != working:
                transition(session, request, working, actor=identity.name, at=now)
            self._hold_system(session, request, tenant, provider, now)
            return _order(session, request, tenant, provider)

    def _hold_system(
        self, session: Session, request: Request, tenant: Tenant, provider: Provider, now: datetime
    ) -> None:
        system = session.exec(
            select(System).where(System.tenant_id == tenant.id, System.name == request.system_name)
        ).first()
        spec = request.spec
        values: dict[str, Any] = {
            "provider_id": provider.id,
            "level": int(spec.get("classifiedProtection", 1)),
            "data_classification": str(spec.get("dataClassification", "general")),
            "xinchuang": bool(spec.get("xinchuang", False)),
            "status": "deleting" if request.action == "delete" else "provisioning",
            "updated_at": now,
        }
        if request.action == "apply":
            values["spec_hash"] = request.spec_hash
            values["records"] = stored_records(SystemRequestSpec.model_validate(spec))
        if system is None:
            assert tenant.id is not None
            system = System(tenant_id=tenant.id, name=request.system_name, created_at=now, **values)
        else:
            for key, value in values.items():
                setattr(system, key, value)
        session.add(system)
        session.flush()
        request.system_id = system.id
        session.add(request)
        if request.action == "apply" and provider.address_pool and provider.id is not None:
            # the subnet the plan allocated becomes the system's until it is deleted
            for item in request.plan.get("govcloud", {}).get("desired", []):
                if item.get("kind") == "network" and item.get("spec", {}).get("cidr"):
                    addresses.hold(
                        session,
                        provider_id=provider.id,
                        tenant_id=tenant.id or 0,
                        system=request.system_name,
                        cidr=str(item["spec"]["cidr"]),
                        at=now,
                    )

    def _finish(
        self,
        order: _Order,
        outcomes: Sequence[ApplyOutcome],
        actor: str,
        events: Sequence[str] = (),
        holder: str | None = None,
    ) -> ProvisionResult:
        now = self._clock()
        with transaction(self._sessions) as session:
            request = session.exec(
                select(Request).where(Request.id == order.request_id).with_for_update()
            ).one()
            for outcome in outcomes:
                _record_outcome(session, order.request_id, outcome, now)
            failed = [o for o in outcomes if not o.ok]
            deleting = order.action == "delete"
            if holder is None or request.claimed_by == holder:
                request.claimed_by, request.claimed_until = None, None
            request.retry_at = _retry_at(request.attempts, failed, now)
            _remember(session, order, request, outcomes, now, actor)
            done: State = "Deleted" if deleting else "Ready"
            to: State = "Failed" if failed else done
            if to == "Deleted":
                quotas.release_system(session, order.ref.tenant, order.ref.system, now)
                if order.provider.id is not None:
                    addresses.release(
                        session,
                        provider_id=order.provider.id,
                        tenant_id=request.tenant_id,
                        system=order.ref.system,
                    )
                if order.provider.id is not None and request.system_id is not None:
                    forget_system(
                        session,
                        provider_id=order.provider.id,
                        system_id=request.system_id,
                        at=now,
                        actor=actor,
                    )
                budgets.release_system(session, order.ref.tenant, order.ref.system, now)
            system = session.get(System, request.system_id)
            if system is not None:
                system.status = to.lower()
                system.updated_at = now
                session.add(system)
            reason = "; ".join(
                f"{o.kind}/{o.name}: {o.error.describe('en')}"
                + (" (retryable)" if o.error.temporary else "")
                for o in failed
                if o.error is not None
            )
            transition(
                session,
                request,
                to,
                actor=actor,
                at=now,
                reason=reason or None,
                payload={
                    "outcomes": [[o.kind, o.name, o.action, o.resource_id] for o in outcomes[:500]],
                    "engine": order.provider.engine,
                    # the engine's event stream (Pulumi), kept on the request's history
                    **({"engine_events": list(events[:2000])} if events else {}),
                },
            )
            return ProvisionResult(order.request_id, to, tuple(outcomes))


def _retry_at(attempts: int, failed: Sequence[ApplyOutcome], now: datetime) -> datetime | None:
    """When the reconciler may retry: only when every error was temporary."""
    errors = [o.error for o in failed if o.error is not None]
    if not failed or len(errors) < len(failed) or not all(e.temporary for e in errors):
        return None
    after = [e.retry_after for e in errors if e.retry_after is not None]
    return now + claims.backoff(attempts, max(after) if after else None)


def _remember(
    session: Session,
    order: _Order,
    request: Request,
    outcomes: Sequence[ApplyOutcome],
    now: datetime,
    actor: str,
) -> None:
    """Record what the cloud now holds as applied: the baseline drift is judged against."""
    if order.provider.id is None:
        return
    record_applied(
        session,
        provider_id=order.provider.id,
        system_id=request.system_id,
        system=order.ref,
        desired=desired_from_json(order.desired_json),
        outcomes=outcomes,
        at=now,
        actor=actor,
    )


def _order(session: Session, request: Request, tenant: Tenant, provider: Provider) -> _Order:
    facts = dict(request.plan.get("govcloud", {}))
    return _Order(
        request.id or 0,
        request.action,
        provider,
        SystemRef(
            tenant=tenant.code,
            system=request.system_name,
            request_id=str(request.id),
            level=int(request.spec.get("classifiedProtection", 1)),
        ),
        list(facts.get("desired", [])),
        quota_set(session, tenant.code, provider.name),
    )


def quota_set(session: Session, tenant: str, provider: str) -> QuotaSet:
    """The estate's limits for ``tenant`` on ``provider`` (none declared: unlimited)."""
    row = session.exec(
        select(Quota).where(Quota.tenant == tenant, Quota.provider == provider)
    ).first()
    if row is None:
        return QuotaSet()
    return QuotaSet(
        vcpu=row.vcpu,
        memory_gib=row.memory_gib,
        storage_gib=row.storage_gib,
        public_ips=row.public_ips,
        namespaces=row.namespaces,
    )


def _record_outcome(
    session: Session, request_id: int, outcome: ApplyOutcome, now: datetime
) -> None:
    row = session.exec(
        select(RequestOutcome).where(
            RequestOutcome.request_id == request_id,
            RequestOutcome.kind == outcome.kind,
            RequestOutcome.name == outcome.name,
        )
    ).first()
    error = outcome.error
    values: dict[str, Any] = {
        "action": outcome.action,
        "resource_id": outcome.resource_id,
        "error": error.describe("en") if error else None,
        "retryable": bool(error and error.temporary),
        "at": now,
    }
    if row is None:
        row = RequestOutcome(request_id=request_id, kind=outcome.kind, name=outcome.name, **values)
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.attempt += 1
    session.add(row)
