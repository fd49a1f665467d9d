"""``Govcloud``: the one door every caller goes through, with the role table as its lock.

Each public method names its action (:data:`controlplane.rbac.RULES`). Before the method
body runs, the action is checked against the actor's roles without reading anything;
where the action is tenant-scoped, the body then holds a department to its own tenant —
lists, counts, reports and exports are narrowed to it, and naming another tenant is
refused. Errors leave as :class:`~controlplane.errors.GovcloudError`
(:func:`~controlplane.facade.errors.translate`), and a refused mutation is written to
the audit log.
"""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Concatenate, ParamSpec, TypeVar

from controlplane import rbac
from controlplane.db.models import Tenant
from controlplane.errors import GovcloudError
from controlplane.estate.schema import parse_estate
from controlplane.facade.errors import InvalidInput, NotFound, translate
from controlplane.facade.models import (
    AdjustmentInfo,
    ApplyInfo,
    ApprovalInfo,
    AuditEventInfo,
    AuditRunInfo,
    AvailabilityInfo,
    EstateInfo,
    EventInfo,
    FlavorInfo,
    GapAckInfo,
    ImageInfo,
    OutcomeInfo,
    ProviderInfo,
    ProviderStateInfo,
    QuotaPushInfo,
    RateCardInfo,
    RateInfo,
    RequestDetailInfo,
    RequestInfo,
    RevisionInfo,
    SystemInfo,
    TenantInfo,
    ViolationInfo,
    WaiverInfo,
)
from controlplane.facade.paging import (
    DEFAULT_LIMIT,
    Page,
    bad_token,
    check_limit,
    decode_token,
    encode_token,
    keyset,
)
from controlplane.facade.query import field_getters, parse_query, parse_sort, split_query
from tenants import ParsedRequest, load_requests, load_yaml_documents

if TYPE_CHECKING:
    # Result types only: each area's module is imported when its method first runs.
    from pydantic import BaseModel

    from controlplane.app import App
    from controlplane.audit_checkpoints import Checkpoint
    from controlplane.audit_verify import AuditReport
    from controlplane.auth import IssuedToken, TokenInfo
    from controlplane.billing import Month
    from controlplane.billing.statements import Statement
    from controlplane.bills.service import RunResult, StatementView
    from controlplane.budget_alerts import BudgetAlertInfo
    from controlplane.estate.schema import EstateDocument
    from controlplane.estate.service import EstateApplyResult
    from controlplane.inventory import DriftView, ResourceView
    from controlplane.inventory.sync import SyncReport
    from controlplane.metering.coverage import MonthCoverage
    from controlplane.metering.service import CollectResult, ImportResult
    from controlplane.overview import Overview
    from controlplane.planning import Plan
    from controlplane.rbac import Action, Identity
    from controlplane.requests import ApplyResult, ProvisionResult
    from controlplane.requests.provisioning import RepairResult
    from controlplane.scheduler.service import JobRunInfo, JobSummary, RunOrder
    from infra.export import ExportedProject
    from policies import Severity, WaiverScope
    from policies.reports import ComplianceReport

__all__ = ["Govcloud", "Manifest", "action_of", "public_actions"]

P = ParamSpec("P")
R = TypeVar("R")

_ACTION_ATTR = "__govcloud_action__"


def action(
    name: Action,
) -> Callable[[Callable[Concatenate[Govcloud, P], R]], Callable[Concatenate[Govcloud, P], R]]:
    """Mark a facade method as doing ``name``: role check first, one error tree out."""

    def decorate(
        method: Callable[Concatenate[Govcloud, P], R],
    ) -> Callable[Concatenate[Govcloud, P], R]:
        @functools.wraps(method)
        def guarded(self: Govcloud, /, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                rbac.authorize(self.identity, name)
                self._record_impersonation(name)
                return method(self, *args, **kwargs)
            except rbac.PermissionDenied as exc:
                self._record_denial(name, exc)
                raise
            except GovcloudError:
                raise
            except Exception as exc:
                translated = translate(exc)
                if translated is None:
                    raise
                raise translated from exc

        setattr(guarded, _ACTION_ATTR, name)
        return guarded

    return decorate


def action_of(method: object) -> Action | None:
    """The action a facade method was declared with (``None``: not an action)."""
    found = getattr(method, _ACTION_ATTR, None)
    return found if isinstance(found, str) and found in rbac.RULES else None


def public_actions() -> dict[str, Action | None]:
    """Every public method of :class:`Govcloud` and the action it declares."""
    return {
        name: action_of(getattr(Govcloud, name))
        for name in dir(Govcloud)
        if not name.startswith("_")
        and callable(getattr(Govcloud, name))
        and not isinstance(getattr(Govcloud, name), type)
        and name not in _NOT_ACTIONS
    }


#: Roles that decide (approvals, budgets): never borrowed through impersonation.
_DECIDING: frozenset[rbac.Role] = frozenset({"approver", "finance"})

#: How long a sync may hold its provider's lease (a crashed sync frees it after this).
_SYNC_LEASE = timedelta(minutes=30)


def _this_process(actor: str) -> str:
    return f"{actor}/{socket.gethostname()}/{os.getpid()}"


#: Constructors, not operations: they read nothing but the actor's own declaration.
_NOT_ACTIONS = frozenset({"acting_as", "system"})


@dataclass(frozen=True)
class RepairReport:
    """A repair as planned (``dry_run``) or carried out, and the drift left for the
    system after the re-sync (``None`` when nothing was re-synced)."""

    result: RepairResult
    drift_left: int | None

    def to_record(self) -> dict[str, Any]:
        plan = self.result.plan
        return {
            "tenant": plan.tenant,
            "system": plan.system,
            "provider": plan.provider,
            "dry_run": self.result.dry_run,
            "plan": plan.as_json(),
            "outcomes": [
                {
                    "kind": o.kind,
                    "name": o.name,
                    "action": o.action,
                    "resource_id": o.resource_id,
                    "error": o.error.code if o.error else None,
                    "message_zh": o.error.describe("zh") if o.error else None,
                    "message_en": o.error.describe("en") if o.error else None,
                }
                for o in self.result.outcomes
            ],
            "drift_left": self.drift_left,
        }


@dataclass(frozen=True)
class Manifest:
    """YAML text as received, parsed by the facade only after the role check; located
    errors name ``source`` (the client's file name)."""

    text: str
    source: str = "<input>"


Requests = Sequence[ParsedRequest] | Manifest


def _parsed_requests(requests: Requests) -> Sequence[ParsedRequest]:
    if isinstance(requests, Manifest):
        return load_requests(requests.text, name=requests.source)
    return requests


def _cloud_terms(
    query: str | None, model: type[BaseModel]
) -> tuple[tuple[tuple[str, bool], ...], str | None]:
    """The ``provider:`` terms of ``query`` as ``(text, inverted)`` pairs, for a list that
    filters them in the database, and the rest of ``query`` (checked against ``model``'s
    fields, as :func:`~controlplane.facade.query.split_query` says)."""
    on_cloud, rest = split_query(query, list(model.model_fields), "provider")
    return tuple((t.value, t.invert) for t in on_cloud), rest


def _request_info(row: Any, tenant: str) -> RequestInfo:
    from controlplane.requests.reads import planned_provider

    return RequestInfo.of(row, tenant=tenant, provider=planned_provider(row.plan))


def _apply_info(result: ApplyResult, tenant: str) -> ApplyInfo:
    """What a caller is told of one document; of the plan, where the request goes and why
    it was denied (:func:`~controlplane.requests.planned.plan_outcome`)."""
    from controlplane.requests.planned import plan_outcome

    request = result.request
    return ApplyInfo(
        request=_request_info(request, tenant) if request is not None else None,
        noop=result.noop,
        message_zh=result.message_zh,
        message_en=result.message_en,
        plan=plan_outcome(request.plan) if request is not None else None,
        quota_refused=result.quota_error is not None,
    )


#: the fields a statement list filters and sorts on (flattened from its parts)
_STATEMENT_FIELDS: dict[str, Callable[[Any], object]] = {
    "tenant": lambda v: v.statement.tenant,
    "tenant_name": lambda v: v.statement.tenant_name,
    "state": lambda v: v.state,
    "total": lambda v: v.statement.total,
    "month_to_date": lambda v: v.budget.month_to_date,
    "annual_budget": lambda v: v.budget.annual_budget,
    "projected_year": lambda v: v.budget.projected_year,
    "projected_overrun": lambda v: v.budget.projected_overrun,
}


#: a job summary's last run, flattened so a filter and a sort can name it
_JOB_FIELDS: dict[str, Callable[[Any], object]] = {
    "last_state": lambda j: j.last.state if j.last is not None else None,
    "last_at": lambda j: j.last.due_at if j.last is not None else None,
}


class Govcloud:
    """Everything govcloud does, for one authenticated principal.

    Build it with :meth:`acting_as` (a principal the estate declares) or :meth:`system`
    (scheduled jobs); the HTTP API and the CLI build one per request/command.
    """

    def __init__(self, app: App, identity: Identity) -> None:
        self._app = app
        self.identity = identity

    @classmethod
    def acting_as(cls, app: App, principal: str) -> Govcloud:
        """The facade for the declared principal ``principal`` (PermissionDenied if not)."""
        with app.sessions() as session:
            return cls(app, rbac.resolve(session, principal))

    @classmethod
    def system(cls, app: App) -> Govcloud:
        """The facade for scheduled jobs, acting as :data:`rbac.SYSTEM_PRINCIPAL`."""
        return cls.acting_as(app, rbac.SYSTEM_PRINCIPAL)

    # ---- the lock ---------------------------------------------------------------------

    @property
    def _actor(self) -> str:
        return self.identity.name

    def _scope(self, name: Action, tenant: str | None) -> str | None:
        """The tenant a read for ``name`` is narrowed to (see :func:`rbac.scope_of`)."""
        return rbac.scope_of(self.identity, name, tenant)

    def _record_impersonation(self, name: Action) -> None:
        """A mutation done by one principal acting as another is recorded with both names."""
        by = self.identity.impersonator
        if by is None or name in rbac.READS:
            return
        from controlplane import audit

        with self._app.sessions() as session, session.begin():
            audit.append(
                session,
                at=self._app.clock(),
                actor=by,
                action="principal.impersonate",
                subject=f"principal/{self._actor}",
                payload={"impersonator": by, "as": self._actor, "action": name},
            )

    def _record_denial(self, name: Action, exc: rbac.PermissionDenied) -> None:
        """A refused mutation leaves a trace in the hash-chained audit log."""
        if name in rbac.READS:
            return
        from controlplane import audit

        with self._app.sessions() as session, session.begin():
            audit.append(
                session,
                at=self._app.clock(),
                actor=self._actor,
                action="authz.denied",
                subject=f"action/{name}",
                payload={
                    "action": name,
                    "reason": exc.message_en,
                    "impersonator": self.identity.impersonator,
                },
            )

    # ---- estate, providers, tenants ---------------------------------------------------

    @action("estate.show")
    def estate(self) -> EstateInfo:
        """The estate as stored: revision, providers, tenants, catalogue, rate cards."""
        service = self._app.estate
        revision = service.latest_revision()
        return EstateInfo(
            revision=RevisionInfo.of(revision) if revision else None,
            providers=tuple(ProviderInfo.of(p) for p in service.providers()),
            tenants=tuple(TenantInfo.of(t) for t in service.tenants()),
            flavors=tuple(FlavorInfo.of(f) for f in service.flavors()),
            images=tuple(ImageInfo.of(i, arches=tuple(i.arches)) for i in service.images()),
            rate_cards=tuple(
                RateCardInfo.of(card, rates=tuple(RateInfo.of(r) for r in rates))
                for card, rates in service.rate_cards()
            ),
        )

    @action("estate.apply")
    def apply_estate(
        self, document: EstateDocument | Manifest, *, dry_run: bool = False
    ) -> EstateApplyResult:
        """Make the database hold exactly ``document``; nobody grants roles to themselves."""
        if isinstance(document, Manifest):
            docs = load_yaml_documents(document.text, document.source, keep=1)
            document = parse_estate(docs, document.source)
        self._refuse_self_grant(document)
        return self._app.estate.apply(document, actor=self._actor, dry_run=dry_run)

    @action("estate.apply")
    def push_quotas(self) -> list[QuotaPushInfo]:
        """Set the estate's quotas on every provider where a department runs systems
        (after an ``apply_estate`` that changed quotas); one entry per pair."""
        return [
            QuotaPushInfo(
                tenant=tenant,
                provider=provider,
                error=error.code if error else None,
                message_zh=error.describe("zh") if error else None,
                message_en=error.describe("en") if error else None,
            )
            for tenant, provider, error in self._app.provisioner.push_quotas(actor=self._actor)
        ]

    def _refuse_self_grant(self, document: EstateDocument) -> None:
        me = self.identity
        for declared in document.estate.spec.principals:
            if declared.name != me.name:
                continue
            gained: list[str] = sorted(set(declared.roles) - me.roles)
            moved = declared.tenant != me.tenant and "department" in declared.roles
            if moved:
                gained.append(f"department@{declared.tenant}")
            if gained:
                raise rbac.PermissionDenied(
                    me.name,
                    "estate.apply",
                    f"主体 {me.describe()} 不能给自己授予角色（{', '.join(gained)}）；"
                    "须由另一位运维人员应用",
                    f"principal {me.describe()} may not grant itself roles "
                    f"({', '.join(gained)}); another operator must apply this estate",
                )

    @action("provider.list")
    def providers(
        self,
        *,
        tier: str | None = None,
        sort: str = "name",
        limit: int = DEFAULT_LIMIT,
        continue_token: str | None = None,
        query: str | None = None,
    ) -> Page[ProviderInfo]:
        """Providers; ``query`` filters by field (:mod:`controlplane.facade.query`) and
        ``sort`` may name any field (``-field``: descending), as on every list below."""
        rows = [ProviderInfo.of(p) for p in self._app.estate.providers()]
        return keyset(
            (p for p in rows if tier is None or p.tier == tier),
            {"name": lambda p: (p.name,), "tier": lambda p: (p.tier, p.name)},
            sort=sort,
            limit=limit,
            token=continue_token,
            query=query,
            fields=field_getters(ProviderInfo),
            text_fields=("name", "region", "city"),
        )

    @action("provider.list")
    def provider_states(self) -> list[ProviderStateInfo]:
        """Every provider's connection state: its latest health probe."""
        from controlplane.inventory.health import latest_probes

        with self._app.sessions() as session:
            found = latest_probes(session)
        return [
            ProviderStateInfo(name=name, reachable=None, auth_ok=None, latency_ms=None,
                              checked_at=None, error_code=None)
            if probe is None else ProviderStateInfo.of(probe, name=name)
            for name, probe in found
        ]  # fmt: skip

    @action("overview.show")
    def overview(self, month: Month, *, tenant: str | None = None) -> Overview:
        """Per tier and per cloud: health, capacity used, open violations, pending
        approvals, resources and ``month``'s spend against budget (a department: its own
        figures; naming another department is refused)."""
        from controlplane.overview import read_overview

        scope = self._scope("overview.show", tenant)
        with self._app.sessions() as session:
            return read_overview(session, month, self._app.clock(), scope)

    @action("provider.show")
    def provider(self, name: str) -> ProviderInfo:
        found = self._app.estate.provider(name)
        if found is None:
            raise NotFound(f"云平台 {name!r} 未找到", f"provider {name!r} not found")
        return ProviderInfo.of(found)

    @action("provider.sync")
    def sync_provider(self, name: str, *, holder: str | None = None) -> SyncReport:
        """Observe one provider's inventory and record drift (re-runnable). Two syncs of
        one provider never overlap: the second is refused while the first holds the
        provider's sync lease (``holder``: who holds it, by default this process)."""
        from controlplane.db import locks
        from controlplane.scheduler import leases

        holder = holder or _this_process(self._actor)
        with leases.hold(
            self._app.sessions, locks.sync_lease(name), holder, self._app.clock(), _SYNC_LEASE
        ):
            return self._app.sync.sync(name, actor=self._actor)

    @action("provider.sync")
    def probe_provider(self, name: str) -> dict[str, Any]:
        """Probe one provider's health now and store the probe (SLA availability)."""
        report = self._app.sync.probe(name, actor=self._actor)
        if report is None:
            return {"reachable": False, "auth_ok": False, "latency_ms": None}
        return {"reachable": report.reachable, "auth_ok": report.auth_ok,
                "latency_ms": report.latency_ms}  # fmt: skip

    @action("tenant.list")
    def tenants(
        self,
        *,
        city: str | None = None,
        sort: str = "code",
        limit: int = DEFAULT_LIMIT,
        continue_token: str | None = None,
        query: str | None = None,
    ) -> Page[TenantInfo]:
        rows = [TenantInfo.of(t) for t in self._app.reads.tenants(actor=self._actor)]
        return keyset(
            (t for t in rows if city is None or t.city == city),
            {"code": lambda t: (t.code,), "name": lambda t: (t.name, t.code)},
            sort=sort,
            limit=limit,
            token=continue_token,
            query=query,
            fields=field_getters(TenantInfo),
            text_fields=("code", "name", "name_en"),
        )

    @action("tenant.show")
    def tenant(self, code: str) -> TenantInfo:
        self._scope("tenant.show", code)
        return TenantInfo.of(self._app.reads.tenant(code, actor=self._actor))

    @action("system.list")
    def systems(
        self,
        *,
        tenant: str | None = None,
        sort: str = "name",
        limit: int = DEFAULT_LIMIT,
        continue_token: str | None = None,
        query: str | None = None,
    ) -> Page[SystemInfo]:
        """Information systems with their 等保 level and provider (a department: its own)."""
        scope = self._scope("system.list", tenant)
        rows = self._app.reads.systems(actor=self._actor, tenant=scope)
        return keyset(
            (SystemInfo.of(s, tenant=code, provider=provider) for s, code, provider in rows),
            {"name": lambda s: (s.name, s.tenant), "tenant": lambda s: (s.tenant, s.name)},
            sort=sort,
            limit=limit,
            token=continue_token,
            query=query,
            fields=field_getters(SystemInfo),
            text_fields=("name", "tenant", "provider"),
        )

    # ---- requests ---------------------------------------------------------------------

    def _own(self, name: Action, requests: Requests) -> Sequence[ParsedRequest]:
        parsed = _parsed_requests(requests)
        for document in parsed:
            rbac.authorize(self.identity, name, document.tenant)
        return parsed

    @action("request.plan")
    def plan(self, requests: Requests) -> list[Plan]:
        """What the requests would do: placement, resources, policy, price — nothing changes."""
        parsed = self._own("request.plan", requests)
        return self._app.plans.plan_all(parsed, principal=self._actor)

    @action("request.apply")
    def apply(self, requests: Requests) -> list[ApplyInfo]:
        """Record a request per document (an identical spec is a no-op).

        The file is planned whole first (any refused document refuses it, located), then
        its parsed documents are let go before the batches are recorded: the memory of a
        file of 10,000 is that of its plans in compact form and of one batch.
        """
        parsed = self._own("request.apply", requests)
        tenants = [p.tenant for p in parsed]
        planned = self._app.requests.plan_file(parsed, actor=self._actor)
        del parsed  # the located trees (when parsed here from a Manifest)
        # each result is made small as its batch is done: no row or plan is kept
        results = self._app.requests.record_file(planned)
        return [_apply_info(r, tenant) for r, tenant in zip(results, tenants, strict=True)]

    @action("request.delete")
    def delete(self, requests: Requests) -> list[ApplyInfo]:
        """Record a deletion of every system the documents name."""
        parsed = self._own("request.delete", requests)
        return [
            _apply_info(self._app.requests.delete(p, actor=self._actor), p.tenant) for p in parsed
        ]

    @action("request.list")
    def requests(
        self,
        *,
        tenant: str | None = None,
        state: str | None = None,
        provider: str | None = None,
        tier: str | None = None,
        sort: str = "id",
        limit: int = DEFAULT_LIMIT,
        continue_token: str | None = None,
        query: str | None = None,
    ) -> Page[RequestInfo]:
        """Requests, of one cloud (``provider``) or tier's clouds (``tier``) where their
        plan placed them; those and a ``provider:`` term of ``query`` filter in the
        database, the rest of ``query`` over what they keep."""
        scope = self._scope("request.list", tenant)
        on_cloud, query = _cloud_terms(query, RequestInfo)
        rows = self._app.requests.list(
            actor=self._actor,
            tenant=scope,
            state=state,
            provider=provider,
            tier=tier,
            matches=on_cloud,
        )
        return keyset(
            (_request_info(r, code) for r, code in rows),
            {
                "id": lambda r: (r.id,),
                "updated": lambda r: (r.updated_at, r.id),
                "tenant": lambda r: (r.tenant, r.system_name, r.id),
            },
            sort=sort,
            limit=limit,
            token=continue_token,
            query=query,
            fields=field_getters(RequestInfo),
            text_fields=("tenant", "system_name", "requester"),
        )

    @action("request.show")
    def request(self, request_id: int) -> RequestDetailInfo:
        """One request with its history, approvals and provisioning outcomes."""
        detail = self._app.requests.show(request_id, actor=self._actor)
        self._scope("request.show", detail.tenant)
        return RequestDetailInfo(
            request=_request_info(detail.request, detail.tenant),
            tenant=detail.tenant,
            spec=dict(detail.request.spec),
            plan=dict(detail.request.plan),
            events=tuple(EventInfo.of(e) for e in detail.events),
            approvals=tuple(ApprovalInfo.of(a) for a in detail.approvals),
            outcomes=tuple(OutcomeInfo.of(o) for o in detail.outcomes),
        )

    @action("request.approve")
    def approve(self, request_id: int, *, reason: str | None = None) -> RequestInfo:
        """Approve the request's next pending step (never one's own request)."""
        row = self._app.requests.approve(request_id, actor=self._actor, reason=reason)
        return _request_info(row, self._tenant_of_request(row.tenant_id))

    @action("request.reject")
    def reject(self, request_id: int, *, reason: str) -> RequestInfo:
        row = self._app.requests.reject(request_id, actor=self._actor, reason=reason)
        return _request_info(row, self._tenant_of_request(row.tenant_id))

    def _tenant_of_request(self, tenant_id: int) -> str:
        with self._app.sessions() as session:
            found = session.get(Tenant, tenant_id)
            return found.code if found is not None else ""

    @action("request.provision")
    def provision(
        self, request_id: int, *, holder: str | None = None, lease: timedelta | None = None
    ) -> ProvisionResult:
        """Hand an approved request to its provider's driver (re-run to retry or resume),
        under the request's lease: refused while another holder provisions it."""
        return self._app.provisioner.provision(
            request_id, actor=self._actor, holder=holder, lease=lease
        )

    @action("request.provision")
    def reconcile_next(
        self, *, holder: str, lease: timedelta | None = None
    ) -> ProvisionResult | None:
        """The reconciler's step: claim the oldest request that is due (Approved, a
        temporary failure past its back-off, or in flight under an expired lease) and
        provision it; ``None`` when nothing is due."""
        from controlplane.requests.claims import DEFAULT_LEASE

        lease = lease or DEFAULT_LEASE
        request_id = self._app.provisioner.claim_next(holder=holder, lease=lease)
        if request_id is None:
            return None
        return self._app.provisioner.provision(
            request_id, actor=self._actor, holder=holder, lease=lease
        )

    @action("system.repair")
    def repair_system(
        self,
        tenant: str,
        system: str,
        *,
        prune: bool = False,
        dry_run: bool = False,
        sync_first: bool = True,
    ) -> RepairReport:
        """Re-apply a Ready system's declared state, undoing the drift sync found.

        With ``sync_first`` the provider is synced before planning, so the plan reflects
        the cloud now; after a real repair it is synced again and the drift still open
        for the system is counted. Unmanaged resources are removed only with ``prune``.
        """
        from controlplane.inventory import list_drift

        provisioner, syncs = self._app.provisioner, self._app.sync
        if sync_first:
            first = provisioner.repair(tenant, system, actor=self._actor, prune=prune, dry_run=True)
            syncs.sync(first.plan.provider, actor=self._actor)
        result = provisioner.repair(tenant, system, actor=self._actor, prune=prune, dry_run=dry_run)
        if dry_run or result.plan.empty:
            return RepairReport(result, None)
        syncs.sync(result.plan.provider, actor=self._actor)
        left = sum(
            1
            for d in list_drift(self._app.sessions, provider=result.plan.provider)
            if d.tenant == tenant and d.system in (system, None)
        )
        return RepairReport(result, left)

    # ---- inventory --------------------------------------------------------------------

    @action("resource.list")
    def resources(
        self,
        *,
        tenant: str | None = None,
        provider: str | None = None,
        kind: str | None = None,
        managed: bool | None = None,
        include_deleted: bool = False,
        limit: int = DEFAULT_LIMIT,
        continue_token: str | None = None,
        query: str | None = None,
        sort: str = "name",
        count: bool = True,
    ) -> Page[ResourceView]:
        """Resources as last observed by sync, ordered by provider, tenant, system, kind,
        name (paged in the database: the list grows to hundreds of thousands).

        ``query`` filters in the database (bare text: name or resource id); ``sort`` is
        ``name`` (the list's order) or a column first (``-column``: descending); without
        ``count`` the page comes without its ``total`` (one pass over the matches less)."""
        from controlplane.inventory import ResourceFilter
        from controlplane.inventory.query import (
            MATCH_FIELDS,
            ORDER_COLUMNS,
            TextMatch,
            list_resources,
            order_value,
            resource_key,
        )

        scope = self._scope("resource.list", tenant)
        terms = parse_query(query, MATCH_FIELDS)
        order = parse_sort(sort, ORDER_COLUMNS) if sort != "name" else None
        if sort != "name" and order is None:
            raise InvalidInput(
                f"不支持的排序 {sort!r}，可选：{', '.join(ORDER_COLUMNS)}",
                f"unknown sort {sort!r}; expected one of: {', '.join(ORDER_COLUMNS)}",
                details=("sort",),
            )
        after = None
        if continue_token is not None:
            after = tuple(str(part) for part in decode_token(continue_token, sort))
        flt = ResourceFilter(
            scope,
            provider,
            kind,
            managed,
            include_deleted=include_deleted,
            limit=check_limit(limit) + 1,  # one more tells whether another page follows
            after_key=after,
            match=tuple(TextMatch(t.field, t.value, t.invert) for t in terms),
            order=order[0] if order else None,
            descending=order[1] if order else False,
            count=count,
        )
        views, total = list_resources(self._app.sessions, flt)
        shown = tuple(views[:limit])
        more = len(views) > limit
        token = None
        if more:
            key = resource_key(shown[-1])
            if order is not None:
                key = (str(order_value(shown[-1], order[0])), *key)
            token = encode_token(sort, key)
        return Page(items=shown, continue_token=token, total=total)

    @action("drift.list")
    def drift(
        self,
        *,
        provider: str | None = None,
        tier: str | None = None,
        tenant: str | None = None,
        include_resolved: bool = False,
        limit: int = DEFAULT_LIMIT,
        continue_token: str | None = None,
        query: str | None = None,
        sort: str = "first_seen",
    ) -> Page[DriftView]:
        """Drift found by sync (open unless ``include_resolved``), oldest first; of one
        cloud (``provider``, exact) or a tier's clouds (``tier``), in the database: the
        overview's drift figure of that cloud or tier is the length of this list."""
        from controlplane.inventory import DriftView, list_drift

        scope = self._scope("drift.list", tenant)
        rows = list_drift(
            self._app.sessions,
            provider=provider,
            tier=tier,
            tenant=scope,
            include_resolved=include_resolved,
        )
        return keyset(
            rows,
            {
                "first_seen": lambda d: (
                    d.first_seen,
                    d.provider,
                    d.kind,
                    d.resource_id,
                    d.drift,
                )
            },
            sort=sort,
            limit=limit,
            token=continue_token,
            query=query,
            fields=field_getters(DriftView),
            text_fields=("provider", "name", "resource_id", "tenant", "system"),
        )

    # ---- policy -----------------------------------------------------------------------

    @action("policy.list")
    def policy_rules(
        self, *, level: int | None = None, pack: str | None = None, severity: Severity | None = None
    ) -> list[dict[str, Any]]:
        """The built-in rule catalogue (code, not tenant data)."""
        from policies import list_rules

        try:
            return list_rules(level=level, pack=pack, severity=severity)
        except KeyError:
            raise NotFound(f"内置策略包 {pack!r} 未找到", f"unknown pack {pack!r}") from None

    @action("policy.audit")
    def audit_policies(self) -> AuditRunInfo:
        """Audit the whole inventory now and store every result (passes included)."""
        from controlplane.compliance import run_summary

        run = self._app.compliance.audit(actor=self._actor)
        return AuditRunInfo.model_validate(run_summary(run))

    @action("policy.violations")
    def violations(
        self,
        *,
        state: str | None = None,
        system: str | None = None,
        tenant: str | None = None,
        provider: str | None = None,
        tier: str | None = None,
        sort: str = "id",
        limit: int = DEFAULT_LIMIT,
        continue_token: str | None = None,
        query: str | None = None,
    ) -> Page[ViolationInfo]:
        """Violations, of one cloud (``provider``) or a tier's clouds (``tier``) by the
        cloud each is on; those and a ``provider:`` term of ``query`` filter in the
        database, the rest of ``query`` over what they keep."""
        from controlplane.compliance.listing import list_violations

        scope = self._scope("policy.violations", tenant)
        on_cloud, query = _cloud_terms(query, ViolationInfo)
        rows = list_violations(
            self._app.sessions,
            state=state,
            system=system,
            tenant=scope,
            provider=provider,
            tier=tier,
            matches=on_cloud,
        )
        return keyset(
            (ViolationInfo.of(v, provider=name) for v, name in rows),
            {"id": lambda v: (v.id,), "opened": lambda v: (v.opened_at, v.id)},
            sort=sort,
            limit=limit,
            token=continue_token,
            query=query,
            fields=field_getters(ViolationInfo),
            text_fields=("rule_id", "subject_id", "system", "tenant"),
        )

    @action("policy.report")
    def policy_report(self, system: str, *, tenant: str | None = None) -> ComplianceReport:
        """The per-测评单元 report of one system (a department: only its own systems)."""
        scope = self._scope("policy.report", tenant)
        return self._app.compliance.report(system, tenant=scope)

    @action("waiver.list")
    def waivers(
        self,
        *,
        state: str | None = None,
        tenant: str | None = None,
        sort: str = "id",
        limit: int = DEFAULT_LIMIT,
        continue_token: str | None = None,
        query: str | None = None,
    ) -> Page[WaiverInfo]:
        scope = self._scope("waiver.list", tenant)
        rows = self._app.waivers.list(state=state, tenant=scope)
        return keyset(
            (WaiverInfo.of(w) for w in rows),
            {"id": lambda w: (w.id,), "expires": lambda w: (w.expires_at, w.id)},
            sort=sort,
            limit=limit,
            token=continue_token,
            query=query,
            fields=field_getters(WaiverInfo),
            text_fields=("rule_id", "target", "requester"),
        )

    @action("waiver.request")
    def request_waiver(
        self,
        *,
        rule_id: str,
        scope: WaiverScope,
        target: str,
        reason: str,
        expires_at: datetime | None,
    ) -> WaiverInfo:
        """Ask to waive a rule for a system, resource or tenant (another principal approves)."""
        owner = self._app.waivers.owner(scope, target)
        if owner is not None:
            rbac.authorize(self.identity, "waiver.request", owner)
        elif self._scope("waiver.request", None) is not None:
            # A department may only waive what it owns; an unknown target is not its own.
            raise NotFound(
                f"{scope.value}:{target} 不存在或不属于部门 {self.identity.tenant}",
                f"{scope.value}:{target} does not exist or is not of tenant {self.identity.tenant}",
            )
        row = self._app.waivers.request(
            rule_id=rule_id,
            scope=scope,
            target=target,
            reason=reason,
            expires_at=expires_at,
            requester=self._actor,
        )
        return WaiverInfo.of(row)

    @action("waiver.approve")
    def approve_waiver(self, waiver_id: int) -> WaiverInfo:
        return WaiverInfo.of(self._app.waivers.approve(waiver_id, approver=self._actor))

    # ---- metering ---------------------------------------------------------------------

    @action("meter.collect")
    def collect_usage(
        self, *, until: datetime | None = None, providers: Sequence[str] = ()
    ) -> list[CollectResult]:
        return self._app.metering.collect(actor=self._actor, until=until, providers=providers)

    @action("meter.import")
    def import_usage(self, source: str, *, text: str | None = None) -> ImportResult:
        """Import a usage CSV/JSON file: ``text`` as received (``source`` names it in
        located errors and by its suffix says the format), or else the file ``source``
        on this host. A replay changes nothing."""
        return self._app.metering.import_file(source, actor=self._actor, text=text)

    @action("meter.gaps")
    def coverage(self, month: Month) -> MonthCoverage:
        return self._app.metering.coverage(month)

    @action("meter.acknowledge")
    def acknowledge_gap(
        self, provider: str, start: datetime, end: datetime, *, reason: str
    ) -> GapAckInfo:
        row = self._app.metering.acknowledge_gap(
            provider, start, end, reason=reason, actor=self._actor
        )
        return GapAckInfo.of(row)

    @action("meter.acknowledge")
    def acknowledge_month(self, month: Month, provider: str, *, reason: str) -> list[GapAckInfo]:
        rows = self._app.metering.acknowledge_month(
            month, provider, reason=reason, actor=self._actor
        )
        return [GapAckInfo.of(r) for r in rows]

    @action("meter.availability")
    def record_availability(
        self, provider: str, month: Month, percent: Decimal, *, evidence: str
    ) -> AvailabilityInfo:
        row = self._app.metering.record_availability(
            provider, month, percent, evidence=evidence, actor=self._actor
        )
        return AvailabilityInfo.of(row)

    # ---- bills ------------------------------------------------------------------------

    @action("bill.run")
    def run_bills(self, month: Month) -> RunResult:
        return self._app.bills.run(month, actor=self._actor)

    @action("bill.show")
    def bills(
        self,
        month: Month,
        *,
        tenant: str | None = None,
        limit: int = DEFAULT_LIMIT,
        continue_token: str | None = None,
        query: str | None = None,
        sort: str = "tenant",
    ) -> Page[StatementView]:
        """The month's statements with budget position (a department: its own only)."""
        scope = self._scope("bill.show", tenant)
        views = self._app.bills.show(month, scope)
        return keyset(
            views,
            {"tenant": lambda v: (v.statement.tenant,)},
            sort=sort,
            limit=limit,
            token=continue_token,
            query=query,
            fields=_STATEMENT_FIELDS,
            text_fields=("tenant", "tenant_name"),
        )

    @action("bill.confirm")
    def confirm_bills(self, month: Month, *, tenant: str | None = None) -> list[str]:
        """Mark draft statements confirmed (a department confirms its own)."""
        scope = self._scope("bill.confirm", tenant)
        return self._app.bills.confirm(month, actor=self._actor, tenant=scope)

    @action("bill.finalize")
    def finalize_bills(self, month: Month) -> list[str]:
        return self._app.bills.finalize(month, actor=self._actor)

    @action("bill.adjust")
    def adjust_bill(
        self,
        tenant: str,
        amount: Decimal,
        *,
        reason: str,
        approver: str,
        relates_to: Month,
        provider: str = "",
        evidence: str = "",
    ) -> AdjustmentInfo:
        row = self._app.bills.adjust(
            tenant,
            amount,
            reason=reason,
            approver=approver,
            relates_to=relates_to,
            actor=self._actor,
            provider=provider,
            evidence=evidence,
        )
        return AdjustmentInfo.of(row)

    @action("bill.export")
    def export_bills(
        self,
        month: Month,
        fmt: str,
        out: BinaryIO | Path | str,
        *,
        tenant: str | None = None,
        lang: str = "zh",
    ) -> list[Statement]:
        """Write the month's statements (a department: its own) as csv/xlsx/pdf/json."""
        scope = self._scope("bill.export", tenant)
        return self._app.bills.export(month, fmt, out, tenant=scope, lang=lang)

    # ---- audit ------------------------------------------------------------------------

    @action("audit.verify")
    def verify_audit(self) -> AuditReport:
        """Check the keyed audit chain against its latest signed checkpoint: altered,
        removed, reordered, re-chained or forged events and truncation."""
        return self._app.audit.verify(actor=self._actor)

    @action("infra.export")
    def export_infra(
        self, system: str, *, directory: Path, provider: str | None = None
    ) -> ExportedProject:
        """Write a system's standalone Pulumi project into ``directory`` (on this host)."""
        return self._app.exporter.export(
            system, directory=directory, actor=self._actor, provider=provider
        )

    @action("audit.list")
    def audit_log(
        self,
        *,
        sort: str = "-seq",
        limit: int = DEFAULT_LIMIT,
        continue_token: str | None = None,
        query: str | None = None,
    ) -> Page[AuditEventInfo]:
        """The audit log's events, newest first (``sort``: ``seq`` or ``-seq``), filtered
        on ``actor``, ``action`` and ``subject`` in the database."""
        from controlplane.audit_service import AUDIT_FIELDS, AuditMatch

        if sort not in ("seq", "-seq"):
            raise InvalidInput(
                f"不支持的排序 {sort!r}，可选：seq, -seq",
                f"unknown sort {sort!r}; expected one of: seq, -seq",
                details=("sort",),
            )
        check_limit(limit)
        match = [AuditMatch(t.field, t.value, t.invert)
                 for t in parse_query(query, AUDIT_FIELDS)]  # fmt: skip
        after = None
        if continue_token is not None:
            key = decode_token(continue_token, sort)
            after = key[0] if key and isinstance(key[0], int) else None
        rows, total = self._app.audit.events(
            actor=self._actor, match=match, descending=sort == "-seq", after=after,
            limit=limit + 1,
        )  # fmt: skip
        chosen = [AuditEventInfo.of(r) for r in rows[:limit]]
        more = len(rows) > limit and chosen
        return Page(
            items=tuple(chosen),
            continue_token=encode_token(sort, (chosen[-1].seq,)) if more else None,
            total=total,
        )

    @action("audit.checkpoint")
    def checkpoint_audit(self) -> Checkpoint | None:
        """Sign the current head into the checkpoint file(s); ``None`` for an empty log."""
        return self._app.audit.checkpoint(actor=self._actor)

    @action("audit.rotate")
    def rotate_audit_key(self) -> tuple[str, str]:
        """Seal with a new key from now on: (previous key id, new key id)."""
        return self._app.audit.rotate_key(actor=self._actor)

    # ---- scheduled jobs (govcloud serve) ------------------------------------------------

    @action("job.list")
    def jobs(self) -> list[JobSummary]:
        """Every job with its schedule, last finished run and next queued firing."""
        return self._app.jobs.summaries()

    @action("job.show")
    def job(self, name: str, *, limit: int = 20) -> tuple[JobSummary, list[JobRunInfo]]:
        """One job and its latest runs (newest first)."""
        return self._app.jobs.show(name, limit=check_limit(limit))

    @action("job.list")
    def job_list(
        self,
        *,
        sort: str = "name",
        limit: int = DEFAULT_LIMIT,
        continue_token: str | None = None,
        query: str | None = None,
    ) -> Page[JobSummary]:
        """:meth:`jobs` as a page, filtered and sorted like every list."""
        from controlplane.scheduler.service import JobSummary

        return keyset(
            self._app.jobs.summaries(),
            {"name": lambda j: (j.name,)},
            sort=sort,
            limit=limit,
            token=continue_token,
            query=query,
            fields=field_getters(JobSummary, _JOB_FIELDS),
            text_fields=("name", "description"),
        )

    @action("job.show")
    def job_runs(
        self,
        *,
        job: str | None = None,
        sort: str = "-due_at",
        limit: int = DEFAULT_LIMIT,
        continue_token: str | None = None,
        query: str | None = None,
    ) -> Page[JobRunInfo]:
        """Runs of every job (or of ``job``), newest first, filtered, sorted and paged in
        the database (``sort``: a run field, ``-field`` descending; ties by id)."""
        from controlplane.scheduler.service import RUN_FIELDS, RunMatch, RunOrder

        chosen = parse_sort(sort, RUN_FIELDS)
        if chosen is None:
            raise InvalidInput(
                f"不支持的排序 {sort!r}，可选：{', '.join(RUN_FIELDS)}",
                f"unknown sort {sort!r}; expected one of: {', '.join(RUN_FIELDS)}",
                details=("sort",),
            )
        check_limit(limit)
        order = RunOrder(*chosen)
        match = [RunMatch(t.field, t.value, t.invert) for t in parse_query(query, RUN_FIELDS)]
        after = None if continue_token is None else _run_key(order, continue_token, sort)
        rows, total = self._app.jobs.runs(
            job=job, match=match, order=order, after=after, limit=limit + 1
        )
        page = rows[:limit]
        more = len(rows) > limit and page
        return Page(
            items=tuple(page),
            continue_token=encode_token(sort, _run_token(order, page[-1])) if more else None,
            total=total,
        )

    @action("job.run")
    def run_job(self, name: str) -> JobRunInfo:
        """Queue a firing of ``name`` due now (a running ``govcloud serve`` takes it)."""
        return self._app.jobs.run(name, actor=self._actor)

    # ---- budget alerts ------------------------------------------------------------------

    @action("budget.project")
    def project_budgets(self, *, thresholds: Sequence[int] | None = None) -> list[BudgetAlertInfo]:
        """Project each department's yearly spend (committed + reserved) and raise an
        alert for each threshold (percent of its budget, default 80 and 100) first
        reached this budget year; returns the alerts raised now."""
        from controlplane.budget_alerts import DEFAULT_THRESHOLDS

        chosen = DEFAULT_THRESHOLDS if thresholds is None else thresholds
        try:
            return self._app.budget_alerts.raise_alerts(actor=self._actor, thresholds=chosen)
        except ValueError as exc:
            raise InvalidInput(f"预算预警阈值无效：{exc}", str(exc)) from None

    @action("budget.alerts")
    def budget_alerts(
        self, *, tenant: str | None = None, year: int | None = None
    ) -> list[BudgetAlertInfo]:
        """Budget alerts, newest first (a department: its own only)."""
        scope = self._scope("budget.alerts", tenant)
        return self._app.budget_alerts.list(tenant=scope, year=year)

    # ---- credentials and impersonation --------------------------------------------------

    @action("token.create")
    def create_token(self, principal: str, *, expires_in: timedelta | None) -> IssuedToken:
        """Issue a bearer token for a declared principal; its secret is shown only here."""
        with self._app.sessions() as session:
            rbac.resolve(session, principal)  # only declared principals get credentials
        if principal == rbac.SYSTEM_PRINCIPAL:
            raise rbac.PermissionDenied(
                self._actor,
                "token.create",
                "系统主体只在服务进程内使用，不签发令牌",
                "the system principal acts only inside the server; it gets no token",
            )
        return self._app.tokens.create(principal, expires_in=expires_in, actor=self._actor)

    @action("token.list")
    def tokens(self, *, principal: str | None = None) -> list[TokenInfo]:
        """Tokens (never their secrets) with their expiry and revocation."""
        return self._app.tokens.list(principal)

    @action("token.revoke")
    def revoke_token(self, token_id: str) -> TokenInfo:
        found = self._app.tokens.revoke(token_id, actor=self._actor)
        if found is None:
            raise NotFound(f"令牌 {token_id!r} 未找到", f"token {token_id!r} not found")
        return found

    @action("principal.impersonate")
    def impersonate(self, principal: str) -> Govcloud:
        """This caller acting as ``principal``: every mutation is audited with both names.

        An impersonator never borrows a deciding role it does not hold (approver,
        finance: 管运分离), so an operator may act as a department or an auditor but not
        approve its own work through someone else's name.
        """
        with self._app.sessions() as session:
            target = rbac.resolve(session, principal)
        borrowed = sorted((target.roles - self.identity.roles) & _DECIDING)
        if borrowed:
            raise rbac.PermissionDenied(
                self._actor,
                "principal.impersonate",
                f"主体 {self.identity.describe()} 不能以 {target.describe()} 身份操作："
                f"将借用审批角色 {', '.join(borrowed)}",
                f"principal {self.identity.describe()} may not act as {target.describe()}: "
                f"it would borrow the deciding role(s) {', '.join(borrowed)}",
            )
        return Govcloud(self._app, replace(target, impersonator=self._actor))


def _run_token(order: RunOrder, run: JobRunInfo) -> tuple[str | int, ...]:
    """The continue key after ``run``: its sort value as text or number, then its id."""
    if order.field == "id":
        return (run.id,)
    value = getattr(run, order.field)
    if isinstance(value, datetime):
        return (value.isoformat(), run.id)
    return ("" if value is None else value, run.id)


def _run_key(order: RunOrder, token: str, sort: str) -> tuple[object, int]:
    """``(value, id)`` a runs token continues after, typed like its column."""
    parts = decode_token(token, sort)
    if order.field == "id":
        if len(parts) == 1 and isinstance(parts[0], int):
            return parts[0], parts[0]
        raise bad_token("not a token")
    ident = parts[1] if len(parts) == 2 else None
    if not isinstance(ident, int):
        raise bad_token("not a token")
    value = parts[0]
    if order.field == "due_at":
        try:
            return datetime.fromisoformat(str(value)), ident
        except ValueError as exc:
            raise bad_token("not a token") from exc
    if order.field == "failures" and not isinstance(value, int):
        raise bad_token("not a token")
    return value, ident
