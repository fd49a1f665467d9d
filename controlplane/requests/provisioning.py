"""Provisioning: hand an approved request's desired resources to its provider's driver.

``provision(request_id)`` moves an Approved (or Failed, to retry) request to
Provisioning — or Deleting for a deletion — and commits that before calling the cloud,
so a crash leaves a visible in-flight request that the next call resumes. The driver
call is idempotent (resources are found by their govcloud tags), so resuming never
duplicates cloud resources. Each resource's outcome is recorded (Ready, or Failed with
the provider's error and whether it is worth retrying); the request becomes Ready
(Deleted) when every resource succeeded, Failed otherwise.

The database is never held open across the cloud call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from controlplane import budgets, quotas, rbac
from controlplane.db.engine import transaction
from controlplane.db.models import Provider, Request, System, Tenant
from controlplane.db.tables_requests import RequestOutcome
from controlplane.inventory.applied import record_applied
from controlplane.records import stored_records
from controlplane.requests.planned import desired_from_json
from controlplane.requests.service import RequestNotFound, transition
from controlplane.requests.states import IllegalTransition, State
from controlplane.timeutil import Clock
from providers import ApplyOutcome, ProviderError, Provisioning, SystemRef
from tenants import SystemRequestSpec

__all__ = ["ProvisionResult", "Provisioner"]

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
class _Order:
    """Everything the cloud call needs, read in the first transaction."""

    request_id: int
    action: str
    provider: Provider
    ref: SystemRef
    desired_json: list[dict[str, object]]


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

    def provision(self, request_id: int, *, actor: str) -> ProvisionResult:
        order = self._start(request_id, actor)
        engine: Provisioning | None = None
        try:
            engine = self._drivers(order.provider)
            if order.action == "delete":
                outcomes = engine.delete(order.ref)
            else:
                outcomes = engine.apply(order.ref, desired_from_json(order.desired_json))
        except ProviderError as exc:
            outcomes = [
                ApplyOutcome(str(d["kind"]), str(d["name"]), "failed", None, exc)
                for d in order.desired_json
            ] or [ApplyOutcome("system", order.ref.system, "failed", None, exc)]
        events = engine.events if isinstance(engine, Journaled) else ()
        return self._finish(order, outcomes, actor, events)

    def _start(self, request_id: int, actor: str) -> _Order:
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
            if request.state != working:
                transition(session, request, working, actor=identity.name, at=now)
            self._hold_system(session, request, tenant, provider, now)
            return _Order(
                request_id,
                request.action,
                provider,
                SystemRef(
                    tenant=tenant.code,
                    system=request.system_name,
                    request_id=str(request_id),
                    level=int(request.spec.get("classifiedProtection", 1)),
                ),
                list(facts.get("desired", [])),
            )

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

    def _finish(
        self,
        order: _Order,
        outcomes: Sequence[ApplyOutcome],
        actor: str,
        events: Sequence[str] = (),
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
            if order.provider.id is not None:
                # what the cloud now holds as applied: the baseline drift is judged against
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
            done: State = "Deleted" if deleting else "Ready"
            to: State = "Failed" if failed else done
            if to == "Deleted":
                quotas.release_system(session, order.ref.tenant, order.ref.system, now)
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
