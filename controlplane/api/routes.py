"""``/api/v1/…``: one route per facade method, JSON in and out.

Routes only translate HTTP to facade calls: they parse manifests (located errors name
the ``source`` the client sends, so they read exactly as the CLI prints them), decode
paths and queries, and encode results with :func:`~controlplane.api.encode.to_json`.
Lists take ``limit`` and ``continue`` and answer ``{"items", "continue", "total"}``; they
filter with ``q`` (the facade's ``query``) and order by ``sort`` (any field, ``-field``
descending).
Authorisation is the facade's: no route decides who may do what.
"""

from __future__ import annotations

import io
import tempfile
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from controlplane.api.encode import to_json
from controlplane.auth import parse_duration
from controlplane.billing import Month
from controlplane.errors import InvalidInput
from controlplane.facade import DEFAULT_LIMIT, MAX_LIMIT, Govcloud, Manifest
from policies import Severity, WaiverScope
from policies.reports import render_json, render_markdown

__all__ = ["router"]

router = APIRouter()


def _caller(request: Request) -> Govcloud:
    facade: Govcloud = request.app.state.authenticate(request)
    return facade


Caller = Annotated[Govcloud, Depends(_caller)]


class PageQuery:
    """``limit`` and ``continue`` of a list request, as the facade's keyword arguments."""

    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        continue_: Annotated[str | None, Query(alias="continue")] = None,
    ) -> None:
        self.limit = limit
        self.continue_token = continue_

    def kwargs(self) -> dict[str, Any]:
        return {"limit": self.limit, "continue_token": self.continue_token}


Paging = Annotated[PageQuery, Depends()]

#: ``q``: the facade's ``query`` filter (``text``, ``field:value``, ``!`` negates), as on
#: every list; a malformed one is the facade's ``InvalidInput``.
Filter = Annotated[
    str | None, Query(alias="q", max_length=1000, description="filter: text, field:value, !negates")
]


def _ok(value: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(to_json(value), status)


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise InvalidInput(
            f"月份须为 YYYY-MM，收到 {text!r}",
            f"month must be YYYY-MM, got {text!r}",
            details=("path.month",),
        ) from exc


class ManifestBody(BaseModel):
    """A YAML manifest and the name its located errors should use (a file name)."""

    manifest: str = Field(max_length=2_000_000)
    source: str = Field(default="<api>", max_length=512)


def _requests(body: ManifestBody) -> Manifest:
    """Parsed by the facade after its role check: nobody learns anything before it."""
    return Manifest(body.manifest, body.source)


# ---- who am I -----------------------------------------------------------------------


@router.get("/whoami", tags=["auth"])
def whoami(g: Caller) -> JSONResponse:
    """The principal this request acts as (and who is impersonating it, if anyone)."""
    me = g.identity
    return _ok(
        {
            "name": me.name,
            "roles": sorted(me.roles),
            "tenant": me.tenant,
            "impersonator": me.impersonator,
        }
    )


# ---- estate, providers, tenants -----------------------------------------------------


@router.get("/estate", tags=["estate"])
def estate(g: Caller) -> JSONResponse:
    return _ok(g.estate())


@router.post("/estate/apply", tags=["estate"])
def apply_estate(g: Caller, body: ManifestBody, dry_run: bool = False) -> JSONResponse:
    result = g.apply_estate(Manifest(body.manifest, body.source), dry_run=dry_run)
    return _ok({"name": result.name, "dry_run": result.dry_run, "revision": result.revision,
                "changes": result.changes, "counts": result.counts()})  # fmt: skip


@router.post("/estate/quotas/push", tags=["estate"])
def push_quotas(g: Caller) -> JSONResponse:
    """Set the estate's quotas on the clouds where departments run systems."""
    return _ok(g.push_quotas())


@router.get("/providers", tags=["estate"])
def providers(
    g: Caller,
    page: Paging,
    tier: str | None = None,
    sort: str = "name",
    query: Filter = None,
) -> JSONResponse:
    return _ok(g.providers(tier=tier, sort=sort, query=query, **page.kwargs()))


@router.get("/providers/{name}", tags=["estate"])
def provider(g: Caller, name: str) -> JSONResponse:
    return _ok(g.provider(name))


@router.post("/providers/{name}/sync", tags=["inventory"])
def sync_provider(g: Caller, name: str) -> JSONResponse:
    return _ok(g.sync_provider(name))


@router.post("/systems/{tenant}/{system}/repair", tags=["inventory"])
def repair_system(
    g: Caller,
    tenant: str,
    system: str,
    dry_run: bool = False,
    prune_unmanaged: bool = False,
    sync: bool = True,
) -> JSONResponse:
    return _ok(
        g.repair_system(tenant, system, prune=prune_unmanaged, dry_run=dry_run, sync_first=sync)
    )


@router.get("/provider-states", tags=["estate"])
def provider_states(g: Caller) -> JSONResponse:
    """Every provider's connection state: its latest health probe."""
    return _ok(g.provider_states())


@router.get("/overview/{month}", tags=["estate"])
def overview(g: Caller, month: str, tenant: str | None = None) -> JSONResponse:
    """Per tier and per cloud: health, capacity, open violations, pending approvals and the
    month's spend against budget (a department: its own figures)."""
    return _ok(g.overview(_month(month), tenant=tenant))


@router.get("/tenants", tags=["estate"])
def tenants(
    g: Caller,
    page: Paging,
    city: str | None = None,
    sort: str = "code",
    query: Filter = None,
) -> JSONResponse:
    return _ok(g.tenants(city=city, sort=sort, query=query, **page.kwargs()))


@router.get("/tenants/{code}", tags=["estate"])
def tenant(g: Caller, code: str) -> JSONResponse:
    return _ok(g.tenant(code))


@router.get("/systems", tags=["estate"])
def systems(
    g: Caller,
    page: Paging,
    tenant: str | None = None,
    sort: str = "name",
    query: Filter = None,
) -> JSONResponse:
    """Information systems with their 等保 level and provider (a department: its own)."""
    return _ok(g.systems(tenant=tenant, sort=sort, query=query, **page.kwargs()))


# ---- requests -----------------------------------------------------------------------


@router.post("/plans", tags=["requests"])
def plan(g: Caller, body: ManifestBody) -> JSONResponse:
    """Plan every document (nothing changes); ``exit_code`` as ``govcloud plan`` exits."""
    plans = g.plan(_requests(body))
    return _ok({"exit_code": max(p.exit_code for p in plans), "plans": plans})


@router.post("/requests", tags=["requests"])
def apply(g: Caller, body: ManifestBody) -> JSONResponse:
    return _ok(g.apply(_requests(body)))


@router.post("/requests/delete", tags=["requests"])
def delete(g: Caller, body: ManifestBody) -> JSONResponse:
    return _ok(g.delete(_requests(body)))


@router.get("/requests", tags=["requests"])
def requests(
    g: Caller,
    page: Paging,
    tenant: str | None = None,
    state: str | None = None,
    provider: str | None = None,
    tier: str | None = None,
    sort: str = "id",
    query: Filter = None,
) -> JSONResponse:
    """Requests; ``provider``/``tier``: of the cloud(s) their plan placed them on."""
    found = g.requests(tenant=tenant, state=state, provider=provider, tier=tier, sort=sort,
                       query=query, **page.kwargs())  # fmt: skip
    return _ok(found)


@router.get("/requests/{request_id}", tags=["requests"])
def request(g: Caller, request_id: int) -> JSONResponse:
    return _ok(g.request(request_id))


class Decision(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)


class Rejection(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/requests/{request_id}/approve", tags=["requests"])
def approve(g: Caller, request_id: int, body: Decision) -> JSONResponse:
    return _ok(g.approve(request_id, reason=body.reason))


@router.post("/requests/{request_id}/reject", tags=["requests"])
def reject(g: Caller, request_id: int, body: Rejection) -> JSONResponse:
    return _ok(g.reject(request_id, reason=body.reason))


@router.post("/requests/{request_id}/provision", tags=["requests"])
def provision(g: Caller, request_id: int) -> JSONResponse:
    result = g.provision(request_id)
    return _ok({"request_id": result.request_id, "state": result.state,
                "outcomes": result.outcomes, "failed": len(result.failed)})  # fmt: skip


# ---- inventory ----------------------------------------------------------------------


@router.get("/resources", tags=["inventory"])
def resources(
    g: Caller,
    page: Paging,
    tenant: str | None = None,
    provider: str | None = None,
    kind: str | None = None,
    managed: bool | None = None,
    include_deleted: bool = False,
    sort: str = "name",
    query: Filter = None,
    count: bool = True,
) -> JSONResponse:
    """Resources as last observed, in pages (``continue`` from the previous page);
    ``count=false`` skips counting ``total`` (null) on large inventories."""
    found = g.resources(
        tenant=tenant,
        provider=provider,
        kind=kind,
        managed=managed,
        include_deleted=include_deleted,
        query=query,
        sort=sort,
        count=count,
        **page.kwargs(),
    )
    return _ok(found)


@router.get("/drift", tags=["inventory"])
def drift(
    g: Caller,
    page: Paging,
    provider: str | None = None,
    tier: str | None = None,
    tenant: str | None = None,
    include_resolved: bool = False,
    sort: str = "first_seen",
    query: Filter = None,
) -> JSONResponse:
    return _ok(
        g.drift(
            provider=provider,
            tier=tier,
            tenant=tenant,
            include_resolved=include_resolved,
            query=query,
            sort=sort,
            **page.kwargs(),
        )
    )


# ---- policy -------------------------------------------------------------------------


@router.get("/policy/rules", tags=["policy"])
def policy_rules(
    g: Caller,
    level: Annotated[int | None, Query(ge=1, le=4)] = None,
    pack: str | None = None,
    severity: Severity | None = None,
) -> JSONResponse:
    return _ok(g.policy_rules(level=level, pack=pack, severity=severity))


@router.post("/policy/audits", tags=["policy"])
def audit_policies(g: Caller) -> JSONResponse:
    return _ok(g.audit_policies())


@router.get("/policy/violations", tags=["policy"])
def violations(
    g: Caller,
    page: Paging,
    state: str | None = None,
    system: str | None = None,
    tenant: str | None = None,
    provider: str | None = None,
    tier: str | None = None,
    sort: str = "id",
    query: Filter = None,
) -> JSONResponse:
    """Violations; ``provider``/``tier``: of the cloud(s) they are on (their resource's,
    else their system's)."""
    return _ok(
        g.violations(
            state=state,
            system=system,
            tenant=tenant,
            provider=provider,
            tier=tier,
            sort=sort,
            query=query,
            **page.kwargs(),
        )
    )


@router.get("/policy/reports/{system}", tags=["policy"])
def policy_report(
    g: Caller,
    system: str,
    tenant: str | None = None,
    format: Literal["json", "md", "data"] = "json",
    lang: Literal["zh", "en"] = "zh",
) -> Response:
    """One system's per-测评单元 report, as JSON or Markdown (``data``: the report's
    values, from which a client renders any format itself)."""
    built = g.policy_report(system, tenant=tenant)
    if format == "data":
        return _ok(built)
    if format == "md":
        return Response(render_markdown(built, lang), media_type="text/markdown; charset=utf-8")
    return Response(render_json(built, lang), media_type="application/json")


@router.get("/waivers", tags=["policy"])
def waivers(
    g: Caller,
    page: Paging,
    state: str | None = None,
    tenant: str | None = None,
    sort: str = "id",
    query: Filter = None,
) -> JSONResponse:
    return _ok(g.waivers(state=state, tenant=tenant, sort=sort, query=query, **page.kwargs()))


class WaiverAsk(BaseModel):
    rule_id: str = Field(max_length=32)
    scope: WaiverScope
    target: str = Field(max_length=128)
    reason: str = Field(min_length=1, max_length=2000)
    expires_at: datetime | None = None


@router.post("/waivers", tags=["policy"])
def request_waiver(g: Caller, body: WaiverAsk) -> JSONResponse:
    row = g.request_waiver(
        rule_id=body.rule_id,
        scope=body.scope,
        target=body.target,
        reason=body.reason,
        expires_at=body.expires_at,
    )
    return _ok(row, 201)


@router.post("/waivers/{waiver_id}/approve", tags=["policy"])
def approve_waiver(g: Caller, waiver_id: int) -> JSONResponse:
    return _ok(g.approve_waiver(waiver_id))


# ---- metering -----------------------------------------------------------------------


class Collect(BaseModel):
    until: datetime | None = None
    providers: list[str] = Field(default_factory=list, max_length=1000)


@router.post("/meter/collect", tags=["metering"])
def collect_usage(g: Caller, body: Collect) -> JSONResponse:
    return _ok(g.collect_usage(until=body.until, providers=body.providers))


class UsageFile(BaseModel):
    csv: str = Field(max_length=50_000_000)
    source: str = Field(default="<api>", max_length=512)


@router.post("/meter/imports", tags=["metering"])
def import_usage(g: Caller, body: UsageFile) -> JSONResponse:
    return _ok(g.import_usage(body.source, text=body.csv))


@router.get("/meter/coverage/{month}", tags=["metering"])
def coverage(g: Caller, month: str) -> JSONResponse:
    return _ok(g.coverage(_month(month)))


class GapAck(BaseModel):
    provider: str
    reason: str = Field(min_length=1, max_length=1000)
    month: str | None = None
    start: datetime | None = None
    end: datetime | None = None


@router.post("/meter/acknowledgements", tags=["metering"])
def acknowledge(g: Caller, body: GapAck) -> JSONResponse:
    """Acknowledge every open gap of a month, or one [start, end) window."""
    if body.month is not None and body.start is None and body.end is None:
        return _ok(g.acknowledge_month(_month(body.month), body.provider, reason=body.reason))
    if body.month is None and body.start is not None and body.end is not None:
        return _ok([g.acknowledge_gap(body.provider, body.start, body.end, reason=body.reason)])
    raise InvalidInput(
        "须给出 month，或同时给出 start 和 end",
        "give either month or both start and end",
        details=("body.month", "body.start", "body.end"),
    )


class Availability(BaseModel):
    provider: str
    month: str
    percent: str
    evidence: str = Field(min_length=1, max_length=1000)


@router.post("/meter/availability", tags=["metering"])
def record_availability(g: Caller, body: Availability) -> JSONResponse:
    try:
        percent = Decimal(body.percent)
    except InvalidOperation as exc:
        raise InvalidInput(
            f"{body.percent!r} 不是数字", f"{body.percent!r} is not a number", details=("percent",)
        ) from exc
    return _ok(
        g.record_availability(body.provider, _month(body.month), percent, evidence=body.evidence)
    )


# ---- bills --------------------------------------------------------------------------


@router.post("/bills/{month}/run", tags=["bills"])
def run_bills(g: Caller, month: str) -> JSONResponse:
    return _ok(g.run_bills(_month(month)))


@router.get("/bills/{month}", tags=["bills"])
def bills(
    g: Caller,
    page: Paging,
    month: str,
    tenant: str | None = None,
    sort: str = "tenant",
    query: Filter = None,
) -> JSONResponse:
    return _ok(g.bills(_month(month), tenant=tenant, sort=sort, query=query, **page.kwargs()))


class Confirm(BaseModel):
    tenant: str | None = None


@router.post("/bills/{month}/confirm", tags=["bills"])
def confirm_bills(g: Caller, month: str, body: Confirm) -> JSONResponse:
    return _ok({"confirmed": g.confirm_bills(_month(month), tenant=body.tenant)})


@router.post("/bills/{month}/finalize", tags=["bills"])
def finalize_bills(g: Caller, month: str) -> JSONResponse:
    return _ok({"finalized": g.finalize_bills(_month(month))})


class Adjustment(BaseModel):
    tenant: str
    amount: str
    reason: str = Field(min_length=1, max_length=2000)
    approver: str
    relates_to: str
    provider: str = ""
    evidence: str = ""


@router.post("/bills/adjustments", tags=["bills"])
def adjust_bill(g: Caller, body: Adjustment) -> JSONResponse:
    try:
        amount = Decimal(body.amount)
    except InvalidOperation as exc:
        raise InvalidInput(
            f"{body.amount!r} 不是金额", f"{body.amount!r} is not an amount", details=("amount",)
        ) from exc
    row = g.adjust_bill(
        body.tenant,
        amount,
        reason=body.reason,
        approver=body.approver,
        relates_to=_month(body.relates_to),
        provider=body.provider,
        evidence=body.evidence,
    )
    return _ok(row, 201)


_EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "json": "application/json",
}


@router.get("/bills/{month}/export", tags=["bills"])
def export_bills(
    g: Caller,
    month: str,
    format: Literal["csv", "xlsx", "pdf", "json"],
    tenant: str | None = None,
    lang: Literal["zh", "en"] = "zh",
) -> Response:
    """The month's statements as a file (a department gets its own only)."""
    out = io.BytesIO()
    statements = g.export_bills(_month(month), format, out, tenant=tenant, lang=lang)
    name = f"bills-{month}{'-' + tenant if tenant else ''}.{format}"
    return Response(
        out.getvalue(),
        media_type=_EXPORT_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            # which statements the file holds (tenant codes), for clients that count them
            "X-Govcloud-Statements": ",".join(s.tenant for s in statements),
        },
    )


# ---- infrastructure as code ---------------------------------------------------------


@router.get("/infra/{system}/export", tags=["infra"])
def export_infra(g: Caller, system: str, provider: str | None = None) -> JSONResponse:
    """A system's standalone Pulumi project: its stack and every file's text."""
    with tempfile.TemporaryDirectory(prefix="govcloud-export-") as scratch:
        project = g.export_infra(system, directory=Path(scratch), provider=provider)
        files = {p.name: p.read_text(encoding="utf-8") for p in project.files}
    return _ok({"project": project.project, "stack": project.stack, "files": files})


# ---- audit and tokens ---------------------------------------------------------------


@router.get("/audit/verify", tags=["audit"])
def verify_audit(g: Caller) -> JSONResponse:
    return _ok(g.verify_audit())


@router.get("/audit/events", tags=["audit"])
def audit_log(g: Caller, page: Paging, sort: str = "-seq", query: Filter = None) -> JSONResponse:
    """The audit log's events, newest first (``sort``: seq or -seq)."""
    return _ok(g.audit_log(sort=sort, query=query, **page.kwargs()))


@router.post("/audit/checkpoints", tags=["audit"])
def checkpoint_audit(g: Caller) -> JSONResponse:
    """Sign the current head into the checkpoint file(s) now."""
    return _ok({"checkpoint": g.checkpoint_audit()})


@router.post("/audit/keys/rotate", tags=["audit"])
def rotate_audit_key(g: Caller) -> JSONResponse:
    old, new = g.rotate_audit_key()
    return _ok({"old_key": old, "new_key": new})


class TokenAsk(BaseModel):
    principal: str = Field(max_length=128)
    expires: str | None = Field(default="30d", description="e.g. 30d, 12h; null: never")


@router.post("/tokens", tags=["auth"])
def create_token(g: Caller, body: TokenAsk) -> JSONResponse:
    """A new token for a principal: ``token`` is in this answer only, never again."""
    ttl = parse_duration(body.expires) if body.expires else None
    issued = g.create_token(body.principal, expires_in=ttl)
    return _ok({"token": issued.token, **to_json(issued.info)}, 201)


@router.get("/tokens", tags=["auth"])
def tokens(g: Caller, principal: str | None = None) -> JSONResponse:
    return _ok(g.tokens(principal=principal))


@router.delete("/tokens/{token_id}", tags=["auth"])
def revoke_token(g: Caller, token_id: str) -> JSONResponse:
    return _ok(g.revoke_token(token_id))


# ---- scheduled jobs (govcloud serve) ------------------------------------------------


@router.get("/jobs", tags=["jobs"])
def jobs(g: Caller, page: Paging, sort: str = "name", query: Filter = None) -> JSONResponse:
    """Every job (schedule, last finished run, next queued firing) as a page, filtered and
    sorted like every list."""
    return _ok(g.job_list(sort=sort, query=query, **page.kwargs()))


@router.get("/job-runs", tags=["jobs"])
def job_runs(
    g: Caller, page: Paging, job: str | None = None, sort: str = "-due_at", query: Filter = None
) -> JSONResponse:
    """Runs of every job (or of ``job``), newest first."""
    return _ok(g.job_runs(job=job, sort=sort, query=query, **page.kwargs()))


@router.get("/jobs/{name}", tags=["jobs"])
def job(g: Caller, name: str, limit: int = Query(20, ge=1, le=500)) -> JSONResponse:
    """One job and its latest runs, newest first."""
    summary, recent = g.job(name, limit=limit)
    return _ok({"job": to_json(summary), "recent": to_json(recent)})


@router.post("/jobs/{name}/run", tags=["jobs"])
def run_job(g: Caller, name: str) -> JSONResponse:
    """Queue a firing of the job due now (a running serve takes it)."""
    return _ok(g.run_job(name), 202)


# ---- budget alerts --------------------------------------------------------------------


class BudgetProjection(BaseModel):
    thresholds: list[int] | None = None


@router.get("/budget/alerts", tags=["budget"])
def budget_alerts(g: Caller, tenant: str | None = None, year: int | None = None) -> JSONResponse:
    """Budget alerts, newest first (a department: its own only)."""
    return _ok(g.budget_alerts(tenant=tenant, year=year))


@router.post("/budget/projections", tags=["budget"])
def project_budgets(g: Caller, body: BudgetProjection) -> JSONResponse:
    """Project each department's year now; the alerts raised by this projection."""
    return _ok(g.project_budgets(thresholds=body.thresholds))
