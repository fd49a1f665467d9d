"""The request lifecycle: apply, delete, approve, reject, list and show.

``apply`` records a request (spec, spec hash, requester, plan) and moves it as far as it
can go at once: Submitted → Admitted (quota and yearly cost reserved; over budget judged
against everything the department holds or has reserved, :mod:`controlplane.budgets`)
or Denied → PendingApproval (the estate's chain) or Approved (no step applies). Every transition is a ``RequestEvent``
and an audit event in the same transaction. Re-applying the spec a system already has
(or is already asking for) records nothing and says so. Provisioning is
:mod:`controlplane.requests.provisioning`.

Every operation resolves the acting principal and checks it with :mod:`controlplane.rbac`
here, in the service, so no caller can skip it.
"""

from __future__ import annotations

import json
import marshal
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from controlplane import audit, budgets, quotas, rbac
from controlplane.db.clouds import tier_clouds
from controlplane.db.engine import transaction
from controlplane.db.models import Request, RequestEvent, System, Tenant
from controlplane.db.substring import contains
from controlplane.db.tables_requests import ApprovalStep, RequestApproval, RequestOutcome
from controlplane.i18n import Lang
from controlplane.inventory.repair import STEPS_CHUNK, RepairStep, steps_of_systems
from controlplane.requests.approvals import AUTO_APPROVER, ChainStep, applicable_steps
from controlplane.requests.planned import BatchPlanner, BatchPlanning, Planner, PlanSummary
from controlplane.requests.reads import request_provider
from controlplane.requests.states import REFUSED, TRANSITIONS, IllegalTransition, State
from controlplane.timeutil import Clock
from tenants import ManifestError, ParsedRequest, ResourceAmounts, without_cycle_collection

__all__ = [
    "ApplyResult",
    "PlannedFile",
    "RequestDetail",
    "RequestNotFound",
    "RequestService",
    "SelfApproval",
    "transition",
]


class RequestNotFound(LookupError):
    def __init__(self, request_id: int) -> None:
        self.request_id = request_id
        super().__init__(f"request #{request_id} not found")

    def describe(self, lang: Lang = "en") -> str:
        return f"申请 #{self.request_id} 不存在" if lang == "zh" else str(self)


class SelfApproval(rbac.PermissionDenied):
    """An approver may never decide on their own request."""


APPLY_BATCH = 500
"""Documents of one file recorded per transaction by :meth:`RequestService.apply_all`."""


@dataclass(frozen=True, slots=True)
class _Document:
    """What recording needs of a parsed document (not its located tree)."""

    name: str
    spec_hash: str
    level: int

    @classmethod
    def of(cls, parsed: ParsedRequest) -> _Document:
        spec = parsed.request.spec
        return cls(parsed.name, parsed.spec_hash(), spec.classified_protection)


@dataclass(frozen=True, slots=True)
class _Current:
    """The columns of a system's current request that ``apply`` judges a document by."""

    id: int
    tenant_id: int
    system_name: str
    action: str
    state: str
    spec_hash: str
    system_id: int | None

    @classmethod
    def of(cls, row: Request) -> _Current:
        assert row.id is not None
        return cls(
            row.id,
            row.tenant_id,
            row.system_name,
            row.action,
            row.state,
            row.spec_hash,
            row.system_id,
        )


_CURRENT_COLUMNS = (
    col(Request.id),
    col(Request.tenant_id),
    col(Request.system_name),
    col(Request.action),
    col(Request.state),
    col(Request.spec_hash),
    col(Request.system_id),
)


@dataclass(frozen=True)
class _Prepared:
    """A document planned and ready to record; ``reserves``: the yearly cost its budget
    reservation will hold if it is admitted (``None``: it holds none)."""

    document: _Document
    tenant: Tenant
    plan: PlanSummary
    spec: dict[str, Any]
    stored: dict[str, Any]
    reserves: Decimal | None


@dataclass(frozen=True, slots=True)
class _Packed:
    """A :class:`_Prepared` kept small until its batch is recorded: the spec and plan to
    store, compressed, and the plan's facts without its document."""

    document: _Document
    tenant: Tenant
    plan: PlanSummary
    packed: bytes
    reserves: Decimal | None

    @classmethod
    def of(cls, ready: _Prepared) -> _Packed:
        # marshal: the records are JSON values, and it is some 5x faster than json both
        # ways; zlib's fastest level keeps a fifth (8 KB of a plan's 40 KB)
        values = (ready.spec, ready.stored)
        try:
            data = marshal.dumps(values)
        except ValueError:  # a str/dict subclass (an enum…): as the JSON column sees it
            data = marshal.dumps(json.loads(json.dumps(values)))
        packed = zlib.compress(data, 1)
        return cls(
            ready.document,
            ready.tenant,
            replace(ready.plan, document={}, desired=()),
            packed,
            ready.reserves,
        )

    def unpack(self) -> tuple[dict[str, Any], dict[str, Any]]:
        spec, stored = marshal.loads(zlib.decompress(self.packed))
        return spec, stored


@dataclass(frozen=True)
class _BatchReads:
    """What every record of a batch reads, read once for the batch: the estate's
    approval chain and the ids of the systems the documents name (recording creates no
    system, so neither changes within the batch)."""

    chain: Sequence[ChainStep]
    systems: dict[tuple[int, str], int]

    @classmethod
    def of(cls, session: Session, batch: Sequence[_Packed]) -> _BatchReads:
        names: dict[int, set[str]] = {}
        for p in batch:
            assert p.tenant.id is not None
            names.setdefault(p.tenant.id, set()).add(p.document.name)
        systems: dict[tuple[int, str], int] = {}
        ids = sorted(names)
        for start in range(0, len(ids), 500):
            rows = session.execute(
                sa.select(col(System.id), col(System.tenant_id), col(System.name)).where(
                    col(System.tenant_id).in_(ids[start : start + 500])
                )
            ).all()
            for sid, tid, name in rows:
                if name in names[tid] and sid is not None:
                    systems[tid, name] = sid
        return cls(_chain(session), systems)


def _chain(session: Session) -> list[ChainStep]:
    return [
        ChainStep(s.name, s.position, s.role, s.condition)
        for s in session.exec(select(ApprovalStep)).all()
    ]


@dataclass(frozen=True)
class ApplyResult:
    """What ``apply``/``delete`` did: a new request, or nothing (``noop`` says why)."""

    request: Request | None
    noop: bool = False
    message_zh: str = ""
    message_en: str = ""
    quota_error: quotas.QuotaExceeded | None = None

    def describe(self, lang: Lang = "en") -> str:
        return self.message_zh if lang == "zh" else self.message_en


@dataclass(frozen=True)
class PlannedFile:
    """The documents of one file, checked and planned, ready for
    :meth:`RequestService.record_file` (what :meth:`RequestService.plan_file` returns).

    It holds no parsed document: once a file is planned its located trees are not
    needed, and a caller that drops them records a file of 10,000 in the memory of a
    batch. Each item is a no-op already decided or a document to record, in file order.
    """

    identity: rbac.Identity
    items: list[_Packed | ApplyResult | None]


@dataclass(frozen=True)
class RequestDetail:
    request: Request
    tenant: str
    events: Sequence[RequestEvent]
    approvals: Sequence[RequestApproval]
    outcomes: Sequence[RequestOutcome] = field(default_factory=tuple)


def transition(
    session: Session,
    request: Request,
    to: State,
    *,
    actor: str,
    at: datetime,
    reason: str | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Move ``request`` to ``to``: one RequestEvent and one audit event, same transaction.

    A request not yet stored is created in ``Submitted`` (its first event).
    """
    current = cast(State, request.state) if request.id is not None else None
    if to not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(request.id or 0, str(current), to)
    request.state = to
    request.updated_at = at
    session.add(request)
    session.flush()
    assert request.id is not None
    session.add(
        RequestEvent(
            request_id=request.id,
            at=at,
            from_state=current,
            to_state=to,
            actor=actor,
            reason=reason,
        )
    )
    audit.append(
        session,
        at=at,
        actor=actor,
        action=f"request.{to.lower()}",
        subject=f"request/{request.id}",
        payload={
            "system": request.system_name,
            "action": request.action,
            "from": current,
            "to": to,
            "reason": reason,
            **(payload or {}),
        },
    )


class RequestService:
    """Requests over one database, acting for principals resolved from the estate."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock, planner: Planner) -> None:
        self._sessions = sessions
        self._clock = clock
        self._planner = planner

    # ---- apply / delete -----------------------------------------------------------

    def apply_all(self, parsed: Sequence[ParsedRequest], *, actor: str) -> list[ApplyResult]:
        """:meth:`apply` each document of a file in order, the file as one unit:
        :meth:`plan_file` then :meth:`record_file` (see them), every result kept."""
        return list(self.record_file(self.plan_file(parsed, actor=actor)))

    def plan_file(self, parsed: Sequence[ParsedRequest], *, actor: str) -> PlannedFile:
        """Check and plan every document of a file; nothing is written.

        A refused document (an unknown department, a pool with no room…) refuses the
        file: it raises before anything is recorded. Each document is planned as if
        applied alone after the ones before it (the department's budget sees the
        reservations the earlier documents of the file take). What is kept of each is
        what recording needs, its spec and plan compressed as they will be stored.
        """
        if not parsed:
            return PlannedFile(rbac.Identity("", frozenset()), [])
        # with a file's parsed documents alive, each collection the reads' rows trigger
        # walks all of them (two thirds of planning 10,000 unchanged documents' file);
        # the session's few cycles are collected once the collector resumes
        with without_cycle_collection(), self._sessions() as session:
            identity = rbac.resolve(session, actor)
            tenants = _tenants(session, parsed)
            for code in sorted(tenants):
                rbac.authorize(identity, "request.apply", code)
            currents = _current_requests(session, [(tenants[p.tenant], p.name) for p in parsed])
            repairs = _repairs(session, currents.values())
        planner: Planner = self._planner
        if isinstance(planner, BatchPlanning):
            planner = planner.batch(parsed)
        items: list[_Packed | ApplyResult | None] = []
        with without_cycle_collection():  # plans are acyclic; see tenants.located
            for item in parsed:
                tenant = tenants[item.tenant]
                assert tenant.id is not None
                current = currents.get((tenant.id, item.name))
                steps = repairs.get(current.id, ()) if current is not None else ()
                ready = self._prepare(item, tenant, current, steps, actor, planner)
                if isinstance(ready, _Prepared):
                    if isinstance(planner, BatchPlanner):
                        planner.recorded(item.tenant, item.name, ready.reserves)
                    items.append(_Packed.of(ready))
                else:
                    items.append(ready)
        return PlannedFile(identity, items)

    def record_file(self, planned: PlannedFile) -> Iterator[ApplyResult]:
        """Record a planned file, :data:`APPLY_BATCH` documents per transaction, and
        yield each batch's results, in file order, once the batch has committed.

        Each batch is recorded only as the iteration reaches it: iterate to the end.
        Each batch first locks, in the one global order (quota rows, then the
        departments' budget locks, then the audit chain; each sorted), everything its
        documents will touch, so concurrent appliers wait for each other instead of
        deadlocking. A batch commits whole or not at all: after a crash the batches
        committed are kept, and applying the file again finds their specs already
        requested (no-ops) and records only the rest. A batch's plans are given up as
        it is recorded (``planned`` is emptied as it goes), so a caller that keeps only
        what it needs of each result holds a file of 10,000 in the memory of a batch.
        """
        items, identity = planned.items, planned.identity
        for start in range(0, len(items), APPLY_BATCH):
            chunk = items[start : start + APPLY_BATCH]
            items[start : start + APPLY_BATCH] = [None] * len(chunk)
            todo = [p for p in chunk if isinstance(p, _Packed)]
            done: dict[int, ApplyResult] = {}
            if todo:
                now = self._clock()
                # the batch's records are freed by reference counting; the rows the
                # session tracks, by the collector once the batch is done
                with without_cycle_collection(), transaction(self._sessions) as session:
                    _lock_ahead(session, todo)
                    known = _BatchReads.of(session, todo)
                    for p in todo:
                        spec, stored = p.unpack()
                        done[id(p)] = self._record_in(
                            session,
                            p.document,
                            spec,
                            p.tenant,
                            p.plan,
                            identity,
                            "apply",
                            stored,
                            now,
                            known,
                        )
            del todo
            for item in chunk:
                if item is not None:
                    yield done.pop(id(item)) if isinstance(item, _Packed) else item
            del chunk, done

    def _prepare(
        self,
        parsed: ParsedRequest,
        tenant: Tenant,
        current: _Current | None,
        repairs: tuple[RepairStep, ...],
        actor: str,
        planner: Planner,
    ) -> _Prepared | ApplyResult:
        """What :meth:`apply` would record for ``parsed`` (planned, nothing written), or
        the no-op it is; ``repairs``: the open drift of its system (:func:`_repairs`)."""
        if (
            current is not None
            and current.action == "apply"
            and (current.spec_hash == parsed.spec_hash())
            and not repairs
        ):
            return _unchanged(parsed, current)
        plan = planner.plan(parsed, principal=actor)
        meta = parsed.request.metadata
        document = {
            **plan.stored(),
            "metadata": {"labels": dict(meta.labels), "annotations": dict(meta.annotations)},
        }
        if repairs:
            # the same spec on a drifted system: an update whose plan is the undoing
            document = {**document, "repair": [step.as_json() for step in repairs]}
        reserves = plan.monthly_price * 12 if plan.admitted and plan.provider else None
        spec = parsed.request.spec.canonical()
        return _Prepared(_Document.of(parsed), tenant, plan, spec, document, reserves)

    def apply(
        self, parsed: ParsedRequest, *, actor: str, planner: Planner | None = None
    ) -> ApplyResult:
        """Record and advance a create/update request, or say it changes nothing."""
        with self._sessions() as session:
            identity = rbac.resolve(session, actor)
            tenant = _tenant(session, parsed)
            rbac.authorize(identity, "request.apply", tenant.code)
            row = _current_request(session, tenant, parsed.name)
            current = _Current.of(row) if row is not None else None
            repairs = _repairs(session, [current] if current is not None else [])
        steps = repairs.get(current.id, ()) if current is not None else ()
        ready = self._prepare(parsed, tenant, current, steps, actor, planner or self._planner)
        if not isinstance(ready, _Prepared):
            return ready
        return self._record(
            ready.document, ready.spec, tenant, ready.plan, identity, "apply", ready.stored
        )

    def delete(self, parsed: ParsedRequest, *, actor: str) -> ApplyResult:
        """Record a deletion of the system ``parsed`` names (a no-op when it is gone)."""
        with self._sessions() as session:
            identity = rbac.resolve(session, actor)
            tenant = _tenant(session, parsed)
            rbac.authorize(identity, "request.delete", tenant.code)
            current = _current_request(session, tenant, parsed.name)
        if current is None or current.action == "delete":
            state = current.state if current else "absent"
            return ApplyResult(
                None,
                noop=True,
                message_zh=f"系统 {parsed.name} 不存在或已在删除（{state}），未做任何更改",
                message_en=f"system {parsed.name} is absent or already being deleted ({state}); "
                "nothing changed",
            )
        stored = dict(current.plan)
        facts = dict(stored.get("govcloud", {}))
        plan_doc = {
            "action": "delete",
            "replaces": current.id,
            "govcloud": {
                **facts,
                "exitStatus": 0,
                "overBudget": False,
                "delete": [f"{d['kind']}/{d['name']}" for d in facts.get("desired", [])],
            },
        }
        summary = PlanSummary(
            exit_status=0,
            provider=facts.get("provider"),
            amounts=ResourceAmounts(),
            monthly_price=Decimal(0),
            over_budget=False,
            desired=(),
        )
        spec = parsed.request.spec.canonical()
        document = _Document.of(parsed)
        return self._record(document, spec, tenant, summary, identity, "delete", plan_doc)

    def _record(
        self,
        document: _Document,
        spec: dict[str, Any],
        tenant: Tenant,
        plan: PlanSummary,
        identity: rbac.Identity,
        action: str,
        plan_doc: dict[str, Any],
    ) -> ApplyResult:
        with transaction(self._sessions) as session:
            return self._record_in(
                session, document, spec, tenant, plan, identity, action, plan_doc, self._clock()
            )

    def _record_in(
        self,
        session: Session,
        document: _Document,
        spec: dict[str, Any],
        tenant: Tenant,
        plan: PlanSummary,
        identity: rbac.Identity,
        action: str,
        plan_doc: dict[str, Any],
        now: datetime,
        known: _BatchReads | None = None,
    ) -> ApplyResult:
        """Record one request in the caller's transaction (``known``: what the batch
        has read for all its documents at once)."""
        quota_error: quotas.QuotaExceeded | None = None
        assert tenant.id is not None
        if known is not None:
            system_id = known.systems.get((tenant.id, document.name))
        else:
            system = session.exec(
                select(System).where(System.tenant_id == tenant.id, System.name == document.name)
            ).first()
            system_id = system.id if system else None
        request = Request(
            tenant_id=tenant.id,
            system_id=system_id,
            system_name=document.name,
            action=action,
            state="Submitted",
            spec=spec,
            spec_hash=document.spec_hash,
            requester=identity.name,
            plan=plan_doc,
            created_at=now,
            updated_at=now,
        )
        session.add(request)
        session.flush()
        assert request.id is not None
        if plan.admitted and action == "apply" and plan.provider:
            try:
                with session.begin_nested():
                    quotas.reserve(
                        session,
                        request_id=request.id,
                        tenant=tenant.code,
                        provider=plan.provider,
                        system=document.name,
                        amounts=plan.amounts,
                        now=now,
                    )
            except quotas.QuotaExceeded as exc:
                quota_error = exc
        check: budgets.BudgetCheck | None = None
        if plan.admitted and action == "apply" and quota_error is None:
            # judged here, under the department's budget lock, not at plan time
            check = budgets.reserve(
                session,
                request_id=request.id,
                tenant=tenant.code,
                system=document.name,
                annual=plan.monthly_price * 12,
                budget=tenant.budget,
                synced_annual=plan.synced_annual,
                now=now,
            )
        _first_event(session, request, actor=identity.name, at=now)
        if not plan.admitted or quota_error is not None:
            reasons = [quota_error.describe("en")] if quota_error else list(plan.reasons)
            transition(
                session,
                request,
                "Denied",
                actor="govcloud:admission",
                at=now,
                reason="; ".join(reasons) or "denied by policy",
            )
        else:
            transition(
                session,
                request,
                "Admitted",
                actor="govcloud:admission",
                at=now,
                payload={
                    "provider": plan.provider,
                    "specHash": request.spec_hash,
                    "budget": check.to_record() if check else None,
                },
            )
            # the plan's view can only be lower than the locked one (same synced cost,
            # fewer reservations), so either saying "over" sends the request to finance
            over_budget = plan.over_budget or (check is not None and check.over_budget)
            chain = known.chain if known is not None else _chain(session)
            self._open_approvals(session, request, document.level, over_budget, now, chain)
        return _outcome(request, quota_error)

    def _open_approvals(
        self,
        session: Session,
        request: Request,
        level: int,
        over_budget: bool,
        now: datetime,
        chain: Sequence[ChainStep],
    ) -> None:
        steps = applicable_steps(
            chain,
            level=level,
            over_budget=over_budget,
        )
        assert request.id is not None
        if not steps:
            transition(
                session,
                request,
                "Approved",
                actor=AUTO_APPROVER,
                at=now,
                reason="no approval step of the estate's chain applies",
            )
            return
        for step in steps:
            session.add(
                RequestApproval(
                    request_id=request.id, step=step.name, position=step.position, role=step.role
                )
            )
        transition(
            session,
            request,
            "PendingApproval",
            actor="govcloud:approvals",
            at=now,
            payload={"steps": [s.name for s in steps]},
        )

    # ---- decisions ----------------------------------------------------------------

    def approve(self, request_id: int, *, actor: str, reason: str | None = None) -> Request:
        """Decide the request's next pending step as approved (all done: Approved)."""
        return self._decide(request_id, actor=actor, approve=True, reason=reason)

    def reject(self, request_id: int, *, actor: str, reason: str) -> Request:
        """Reject at the request's next pending step; the quota it held is given back."""
        return self._decide(request_id, actor=actor, approve=False, reason=reason)

    def _decide(self, request_id: int, *, actor: str, approve: bool, reason: str | None) -> Request:
        now = self._clock()
        verb: rbac.Action = "request.approve" if approve else "request.reject"
        with transaction(self._sessions) as session:
            identity = rbac.resolve(session, actor)
            request, tenant = _load(session, request_id, lock=True)
            rbac.authorize(identity, verb, tenant)
            if request.requester == identity.name:
                raise SelfApproval(
                    identity.name,
                    verb,
                    f"主体 {identity.name} 不能审批自己提交的申请 #{request_id}",
                    f"principal {identity.name} may not decide on their own request #{request_id}",
                )
            if request.state != "PendingApproval":
                raise IllegalTransition(
                    request_id, request.state, "Approved" if approve else "Rejected"
                )
            step = session.exec(
                select(RequestApproval)
                .where(
                    RequestApproval.request_id == request_id, RequestApproval.status == "pending"
                )
                .order_by(col(RequestApproval.position))
            ).first()
            assert step is not None, "a PendingApproval request has a pending step"
            if step.role not in identity.roles:
                raise rbac.PermissionDenied(
                    identity.name,
                    verb,
                    f"审批环节 {step.step} 需要 {step.role} 角色，主体 {identity.describe()} 不具备",
                    f"approval step {step.step} is decided by the {step.role} role, which "
                    f"{identity.describe()} does not hold",
                )
            step.status = "approved" if approve else "rejected"
            step.decided_by, step.decided_at, step.reason = identity.name, now, reason
            session.add(step)
            session.flush()
            if not approve:
                quotas.release(session, request_id, now)
                budgets.release(session, request_id, now)
            audit.append(
                session,
                at=now,
                actor=identity.name,
                action=f"request.step.{step.status}",
                subject=f"request/{request_id}",
                payload={"step": step.step, "role": step.role, "reason": reason},
            )
            remaining = session.exec(
                select(RequestApproval).where(
                    RequestApproval.request_id == request_id, RequestApproval.status == "pending"
                )
            ).first()
            if not approve:
                transition(session, request, "Rejected", actor=identity.name, at=now, reason=reason)
            elif remaining is None:
                transition(session, request, "Approved", actor=identity.name, at=now, reason=reason)
            return request

    # ---- reads --------------------------------------------------------------------

    def list(
        self,
        *,
        actor: str,
        tenant: str | None = None,
        state: str | None = None,
        provider: str | None = None,
        tier: str | None = None,
        matches: Sequence[tuple[str, bool]] = (),
        after_id: int | None = None,
        limit: int | None = None,
    ) -> list[tuple[Request, str]]:
        """Requests the principal may see (a department: only its own tenant's), by id;
        a page starts after ``after_id`` and holds at most ``limit``. ``provider`` (exact)
        and ``tier`` narrow to the cloud(s) the plan placed the request on
        (:func:`~controlplane.requests.reads.request_provider`); each of ``matches``
        (``(text, invert)``) keeps requests whose cloud's name contains ``text`` (or not)."""
        placed = request_provider()
        with self._sessions() as session:
            identity = rbac.resolve(session, actor)
            rbac.authorize(identity, "request.list", tenant)
            query = select(Request, Tenant.code).join(
                Tenant, col(Tenant.id) == col(Request.tenant_id)
            )
            if identity.scoped():
                query = query.where(Tenant.code == identity.tenant)
            if tenant is not None:
                query = query.where(Tenant.code == tenant)
            if state is not None:
                query = query.where(Request.state == state)
            if provider is not None:
                query = query.where(placed == provider)
            if tier is not None:
                query = query.where(placed.in_(tier_clouds(tier)))
            for text, invert in matches:
                query = query.where(contains([placed], text, invert=invert))
            if after_id is not None:
                query = query.where(col(Request.id) > after_id)
            rows = session.exec(query.order_by(col(Request.id)).limit(limit)).all()
            return [(r, code) for r, code in rows]

    def show(self, request_id: int, *, actor: str) -> RequestDetail:
        with self._sessions() as session:
            identity = rbac.resolve(session, actor)
            request, tenant = _load(session, request_id)
            rbac.authorize(identity, "request.show", tenant)
            events = session.exec(
                select(RequestEvent)
                .where(RequestEvent.request_id == request_id)
                .order_by(col(RequestEvent.id))
            ).all()
            approvals = session.exec(
                select(RequestApproval)
                .where(RequestApproval.request_id == request_id)
                .order_by(col(RequestApproval.position))
            ).all()
            outcomes = session.exec(
                select(RequestOutcome)
                .where(RequestOutcome.request_id == request_id)
                .order_by(col(RequestOutcome.id))
            ).all()
            return RequestDetail(request, tenant, list(events), list(approvals), list(outcomes))


def _first_event(session: Session, request: Request, *, actor: str, at: datetime) -> None:
    assert request.id is not None
    session.add(
        RequestEvent(
            request_id=request.id, at=at, from_state=None, to_state="Submitted", actor=actor
        )
    )
    audit.append(
        session,
        at=at,
        actor=actor,
        action="request.submitted",
        subject=f"request/{request.id}",
        payload={
            "system": request.system_name,
            "action": request.action,
            "specHash": request.spec_hash,
        },
    )


def _unchanged(parsed: ParsedRequest, current: _Current) -> ApplyResult:
    return ApplyResult(
        None,
        noop=True,
        message_zh=f"系统 {parsed.name} 已是该规格（申请 #{current.id}，{current.state}），未做任何更改",
        message_en=f"system {parsed.name} already has this spec (request #{current.id}, "
        f"{current.state}); nothing changed",
    )


def _tenants(session: Session, parsed: Sequence[ParsedRequest]) -> dict[str, Tenant]:
    """The departments the documents name, by code; every unknown one is refused, located."""
    codes = sorted({p.tenant for p in parsed})
    found: dict[str, Tenant] = {}
    for start in range(0, len(codes), 2000):
        rows = session.exec(select(Tenant).where(col(Tenant.code).in_(codes[start : start + 2000])))
        found.update((t.code, t) for t in rows.all())
    problems = [
        p.document.problem(
            ("metadata", "tenant"),
            f"unknown tenant {p.tenant!r}",
            expected="a tenant code of the estate",
            found=p.tenant,
        )
        for p in parsed
        if p.tenant not in found
    ]
    if problems:
        raise ManifestError(problems)
    return found


def _current_requests(
    session: Session, systems: Sequence[tuple[Tenant, str]]
) -> dict[tuple[int, str], _Current]:
    """:func:`_current_request` of many systems at once, by (tenant id, system name): the
    columns ``apply`` judges by, not the stored specs and plans (a re-applied file of
    10,000 would otherwise load every plan it recorded)."""
    out: dict[tuple[int, str], _Current] = {}
    by_tenant: dict[int, set[str]] = {}
    for tenant, name in systems:
        assert tenant.id is not None
        by_tenant.setdefault(tenant.id, set()).add(name)
    ids = sorted(by_tenant)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            sa.select(*_CURRENT_COLUMNS)
            .where(
                col(Request.tenant_id).in_(ids[start : start + 500]),
                col(Request.state).not_in(REFUSED),
            )
            .order_by(col(Request.id))
        ).all()
        for row in rows:  # by id: the latest of each system is the one kept
            current = _Current(*row)
            if current.system_name in by_tenant[current.tenant_id]:
                out[current.tenant_id, current.system_name] = current
    return out


def _repairs(session: Session, currents: Iterable[_Current]) -> dict[int, tuple[RepairStep, ...]]:
    """The open drift of the Ready systems of ``currents``, as repair steps by request id
    (none for a request not Ready, or whose system is gone or has no provider): their
    providers, then their steps, read for :data:`STEPS_CHUNK` systems at a time."""
    ready = {c.system_id: c for c in currents if c.state == "Ready" and c.system_id is not None}
    ids = sorted(ready)
    systems: list[tuple[int, int, int]] = []
    for start in range(0, len(ids), STEPS_CHUNK):
        rows = session.execute(
            sa.select(col(System.id), col(System.provider_id)).where(
                col(System.id).in_(ids[start : start + STEPS_CHUNK])
            )
        ).all()
        systems += [(pid, ready[sid].tenant_id, sid) for sid, pid in rows if pid is not None]
    return {ready[sid].id: steps for sid, steps in steps_of_systems(session, systems).items()}


def _lock_ahead(session: Session, batch: Sequence[_Packed]) -> None:
    """Take every lock the batch's records will take, up front and in the global order
    (quota rows, budget locks, the audit chain; each sorted), so two appliers of
    overlapping files wait for each other rather than deadlock."""
    held = [p for p in batch if p.plan.admitted and p.plan.provider]
    quotas.lock_usage(session, sorted({(p.tenant.code, str(p.plan.provider)) for p in held}))
    budgets.lock_tenants(session, sorted({p.tenant.code for p in held}))
    audit.lock_chain(session)


def _tenant(session: Session, parsed: ParsedRequest) -> Tenant:
    tenant = session.exec(select(Tenant).where(Tenant.code == parsed.tenant)).first()
    if tenant is None:
        raise ManifestError(
            [
                parsed.document.problem(
                    ("metadata", "tenant"),
                    f"unknown tenant {parsed.tenant!r}",
                    expected="a tenant code of the estate",
                    found=parsed.tenant,
                )
            ]
        )
    return tenant


def _current_request(session: Session, tenant: Tenant, system: str) -> Request | None:
    """The system's latest request that took or is taking effect (refused ones don't count)."""
    return session.exec(
        select(Request)
        .where(
            Request.tenant_id == tenant.id,
            Request.system_name == system,
            col(Request.state).not_in(REFUSED),
        )
        .order_by(col(Request.id).desc())
        .limit(1)
    ).first()


def _load(session: Session, request_id: int, *, lock: bool = False) -> tuple[Request, str]:
    query = select(Request).where(Request.id == request_id)
    if lock:
        query = query.with_for_update()
    request = session.exec(query).first()
    if request is None:
        raise RequestNotFound(request_id)
    tenant = session.get(Tenant, request.tenant_id)
    assert tenant is not None
    return request, tenant.code


def _outcome(request: Request, quota_error: quotas.QuotaExceeded | None) -> ApplyResult:
    if quota_error is not None:
        return ApplyResult(
            request,
            message_zh=f"申请 #{request.id} 未准入：{quota_error.describe('zh')}",
            message_en=f"request #{request.id} denied: {quota_error.describe('en')}",
            quota_error=quota_error,
        )
    return ApplyResult(
        request,
        message_zh=f"申请 #{request.id}：{request.state}",
        message_en=f"request #{request.id}: {request.state}",
    )
