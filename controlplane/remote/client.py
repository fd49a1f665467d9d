"""``RemoteGovcloud``: the facade's interface, over the HTTP API of a running server.

Same method names and keyword arguments as :class:`controlplane.facade.Govcloud`, the
same result types decoded from the API's JSON (:mod:`.decode`), and the same
:class:`~controlplane.errors.GovcloudError` subclasses decoded from problem+json (code,
exit code, HTTP status, both languages, details). Manifests travel as text with the
client's file name, so a located error reads exactly as the local one. Authorisation is
the server's: this class decides nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import httpx

from controlplane.errors import (
    Conflict,
    GovcloudError,
    InvalidInput,
    NotFound,
    ProviderFailure,
    Unauthenticated,
)
from controlplane.facade.models import (
    AdjustmentInfo,
    ApplyInfo,
    AuditEventInfo,
    AuditRunInfo,
    AvailabilityInfo,
    EstateInfo,
    GapAckInfo,
    ProviderInfo,
    ProviderStateInfo,
    QuotaPushInfo,
    RequestDetailInfo,
    RequestInfo,
    SystemInfo,
    TenantInfo,
    ViolationInfo,
    WaiverInfo,
)
from controlplane.facade.paging import DEFAULT_LIMIT, MAX_LIMIT, Page
from controlplane.remote.decode import PlanRecord, decode, decode_page

if TYPE_CHECKING:
    from controlplane.audit_checkpoints import Checkpoint
    from controlplane.audit_verify import AuditReport
    from controlplane.auth import IssuedToken, TokenInfo
    from controlplane.billing import Month
    from controlplane.bills.service import RunResult, StatementView
    from controlplane.budget_alerts import BudgetAlertInfo
    from controlplane.estate.service import EstateApplyResult
    from controlplane.facade.govcloud import RepairReport
    from controlplane.inventory import DriftView, ResourceView
    from controlplane.inventory.sync import SyncReport
    from controlplane.metering.coverage import MonthCoverage
    from controlplane.metering.service import CollectResult, ImportResult
    from controlplane.overview import Overview
    from controlplane.requests import ProvisionResult
    from controlplane.scheduler.service import JobRunInfo, JobSummary
    from infra.export import ExportedProject
    from policies import Severity, WaiverScope
    from providers.types import ApplyOutcome

__all__ = ["RemoteGovcloud", "RemoteIdentity", "RemoteProviderError"]

T = TypeVar("T")

#: problem+json ``code`` → the error class the facade raised on the server.
_ERRORS: dict[str, type[GovcloudError]] = {
    cls.code: cls
    for cls in (GovcloudError, InvalidInput, NotFound, Conflict, ProviderFailure, Unauthenticated)
}


def _forbidden() -> type[GovcloudError]:
    from controlplane.rbac import PermissionDenied  # only when the server refused

    return PermissionDenied


@dataclass(frozen=True)
class RemoteIdentity:
    """Who the server says this caller is (``GET /whoami``)."""

    name: str
    roles: frozenset[str]
    tenant: str | None
    impersonator: str | None


@dataclass(frozen=True)
class RemoteProviderError:
    """A cloud's refusal as the server reported it (code, temporary, both languages)."""

    code: str
    message_zh: str
    message_en: str
    temporary: bool = False

    def describe(self, lang: str = "en") -> str:
        return self.message_zh if lang == "zh" else self.message_en


def problem_error(status: int, body: Mapping[str, Any] | None) -> GovcloudError:
    """The facade's error from a problem document (any other answer: a generic error)."""
    if not body or "code" not in body:
        return GovcloudError(
            f"服务器返回 HTTP {status}", f"the server answered HTTP {status}", http_status=status
        )
    code = str(body["code"])
    cls = _forbidden() if code == "forbidden" else _ERRORS.get(code, GovcloudError)
    error = cls.__new__(cls)
    Exception.__init__(error, body.get("message_en", ""))
    error.message_zh = str(body.get("message_zh", ""))
    error.message_en = str(body.get("message_en", ""))
    error.details = tuple(str(d) for d in body.get("details") or ())
    error.exit_code = int(body.get("exit_code", 1))
    error.http_status = int(body.get("status", status))
    if isinstance(error, ProviderFailure):
        error.retryable = status == 503
    error.source = _source(body)
    return error


def _source(body: Mapping[str, Any]) -> Exception | None:
    """The area's own error the server translated, where the CLI words it itself: a
    refused manifest (located problems) or a refused waiver (reasons)."""
    if body.get("problems"):
        from tenants.errors import Location, ManifestError, Problem

        return ManifestError(
            Problem(
                None if p["location"] is None else Location(**p["location"]),
                p["path"],
                p["message"],
                p.get("expected"),
                p.get("found"),
            )
            for p in body["problems"]
        )
    if body.get("reasons"):
        from policies import WaiverRefused

        return WaiverRefused([(str(zh), str(en)) for zh, en in body["reasons"]])
    return None


def _params(**values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        out[key] = str(value).lower() if isinstance(value, bool) else value
    return out


def _paging(limit: int, continue_token: str | None) -> dict[str, Any]:
    return _params(limit=limit, **{"continue": continue_token})


class RemoteGovcloud:
    """Everything govcloud does, asked of the server at ``server`` with ``token``."""

    def __init__(
        self,
        server: str,
        token: str,
        *,
        ca: str | None = None,
        impersonate: str | None = None,
        lang: str = "en",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": lang}
        if impersonate:
            headers["Impersonate-User"] = impersonate
        self.server = server
        self._http = httpx.Client(
            base_url=f"{server.rstrip('/')}/api/v1",
            headers=headers,
            verify=ca if ca else True,
            timeout=httpx.Timeout(300.0, connect=10.0),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    # ---- the wire ---------------------------------------------------------------------

    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            answer = self._http.request(method, path, **kw)
        except httpx.TransportError as exc:
            raise GovcloudError(
                f"无法连接服务器 {self.server}：{exc}",
                f"cannot reach the server {self.server}: {exc}",
                exit_code=1,
                http_status=503,
            ) from exc
        if answer.status_code >= 400:
            try:
                body = answer.json()
            except ValueError:
                body = None
            raise problem_error(answer.status_code, body if isinstance(body, dict) else None)
        return answer

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        return self._call(method, path, **kw).json()

    def _get(self, path: str, **params: Any) -> Any:
        return self._json("GET", path, params=_params(**params))

    def _post(self, path: str, body: Any = None, **params: Any) -> Any:
        return self._json("POST", path, json=body or {}, params=_params(**params))

    def _page(self, item: type[T], path: str, params: Mapping[str, Any]) -> Page[T]:
        return decode_page(item, self._json("GET", path, params=dict(params)))

    @staticmethod
    def _manifest(requests: Any) -> dict[str, str]:
        from controlplane.facade.govcloud import Manifest

        if not isinstance(requests, Manifest):
            raise TypeError("a remote call sends the manifest's text: pass a Manifest")
        return {"manifest": requests.text, "source": requests.source}

    # ---- who am I -----------------------------------------------------------------------

    @property
    def identity(self) -> RemoteIdentity:
        me = self._get("/whoami")
        return RemoteIdentity(me["name"], frozenset(me["roles"]), me["tenant"], me["impersonator"])

    # ---- estate, providers, tenants -----------------------------------------------------

    def estate(self) -> EstateInfo:
        return EstateInfo.model_validate(self._get("/estate"))

    def apply_estate(self, document: Any, *, dry_run: bool = False) -> EstateApplyResult:
        from controlplane.estate.service import Change, EstateApplyResult

        found = self._post("/estate/apply", self._manifest(document), dry_run=dry_run)
        return EstateApplyResult(
            name=found["name"],
            changes=decode(tuple[Change, ...], found["changes"]),
            dry_run=found["dry_run"],
            revision=found["revision"],
        )

    def push_quotas(self) -> list[QuotaPushInfo]:
        return [QuotaPushInfo.model_validate(q) for q in self._post("/estate/quotas/push")]

    def providers(self, *, tier: str | None = None, sort: str = "name",
                  limit: int = DEFAULT_LIMIT, continue_token: str | None = None,
                  query: str | None = None) -> Page[ProviderInfo]:  # fmt: skip
        params = _params(tier=tier, sort=sort, q=query) | _paging(limit, continue_token)
        return self._page(ProviderInfo, "/providers", params)

    def provider(self, name: str) -> ProviderInfo:
        return ProviderInfo.model_validate(self._get(f"/providers/{_seg(name)}"))

    def sync_provider(self, name: str) -> SyncReport:
        from controlplane.inventory.sync import SyncReport

        return decode(SyncReport, self._post(f"/providers/{_seg(name)}/sync"))

    def provider_states(self) -> list[ProviderStateInfo]:
        return [ProviderStateInfo.model_validate(p) for p in self._get("/provider-states")]

    def overview(self, month: Month, *, tenant: str | None = None) -> Overview:
        from controlplane.overview import Overview

        return decode(Overview, self._get(f"/overview/{month}", tenant=tenant))

    def tenants(self, *, city: str | None = None, sort: str = "code",
                limit: int = DEFAULT_LIMIT, continue_token: str | None = None,
                query: str | None = None) -> Page[TenantInfo]:  # fmt: skip
        params = _params(city=city, sort=sort, q=query) | _paging(limit, continue_token)
        return self._page(TenantInfo, "/tenants", params)

    def tenant(self, code: str) -> TenantInfo:
        return TenantInfo.model_validate(self._get(f"/tenants/{_seg(code)}"))

    def systems(self, *, tenant: str | None = None, sort: str = "name",
                limit: int = DEFAULT_LIMIT, continue_token: str | None = None,
                query: str | None = None) -> Page[SystemInfo]:  # fmt: skip
        params = _params(tenant=tenant, sort=sort, q=query) | _paging(limit, continue_token)
        return self._page(SystemInfo, "/systems", params)

    # ---- requests -----------------------------------------------------------------------

    def plan(self, requests: Any) -> list[PlanRecord]:
        found = self._post("/plans", self._manifest(requests))
        return [PlanRecord(p) for p in found["plans"]]

    def apply(self, requests: Any) -> list[ApplyInfo]:
        return [
            ApplyInfo.model_validate(a) for a in self._post("/requests", self._manifest(requests))
        ]

    def delete(self, requests: Any) -> list[ApplyInfo]:
        found = self._post("/requests/delete", self._manifest(requests))
        return [ApplyInfo.model_validate(a) for a in found]

    def requests(self, *, tenant: str | None = None, state: str | None = None,
                 provider: str | None = None, tier: str | None = None, sort: str = "id",
                 limit: int = DEFAULT_LIMIT, continue_token: str | None = None,
                 query: str | None = None) -> Page[RequestInfo]:  # fmt: skip
        params = _params(tenant=tenant, state=state, provider=provider, tier=tier, sort=sort,
                         q=query)  # fmt: skip
        return self._page(RequestInfo, "/requests", params | _paging(limit, continue_token))

    def request(self, request_id: int) -> RequestDetailInfo:
        return RequestDetailInfo.model_validate(self._get(f"/requests/{int(request_id)}"))

    def approve(self, request_id: int, *, reason: str | None = None) -> RequestInfo:
        found = self._post(f"/requests/{int(request_id)}/approve", {"reason": reason})
        return RequestInfo.model_validate(found)

    def reject(self, request_id: int, *, reason: str) -> RequestInfo:
        found = self._post(f"/requests/{int(request_id)}/reject", {"reason": reason})
        return RequestInfo.model_validate(found)

    def provision(self, request_id: int) -> ProvisionResult:
        from controlplane.requests import ProvisionResult

        found = self._post(f"/requests/{int(request_id)}/provision")
        return ProvisionResult(
            request_id=found["request_id"],
            state=found["state"],
            outcomes=[_outcome(o) for o in found["outcomes"]],
        )

    def repair_system(self, tenant: str, system: str, *, prune: bool = False,
                      dry_run: bool = False, sync_first: bool = True) -> RepairReport:  # fmt: skip
        from controlplane.facade.govcloud import RepairReport
        from controlplane.inventory.repair import RepairPlan, RepairStep
        from controlplane.requests.provisioning import RepairResult

        found = self._post(f"/systems/{_seg(tenant)}/{_seg(system)}/repair", dry_run=dry_run,
                           prune_unmanaged=prune, sync=sync_first)  # fmt: skip
        steps = tuple(
            RepairStep(s["action"], s["kind"], s["name"], s["resourceId"], tuple(s["keys"]))
            for s in found["plan"]
        )
        plan = RepairPlan(found["tenant"], found["system"], found["provider"], steps)
        outcomes = [
            _outcome({**o, "error": None if o["error"] is None else {
                "code": o["error"], "message_zh": o.get("message_zh") or o["error"],
                "message_en": o.get("message_en") or o["error"]}})
            for o in found["outcomes"]
        ]  # fmt: skip
        result = RepairResult(plan, outcomes, bool(found["dry_run"]))
        return RepairReport(result, found["drift_left"])

    # ---- inventory ----------------------------------------------------------------------

    def resources(self, *, tenant: str | None = None, provider: str | None = None,
                  kind: str | None = None, managed: bool | None = None,
                  include_deleted: bool = False, limit: int = DEFAULT_LIMIT,
                  continue_token: str | None = None, query: str | None = None,
                  sort: str = "name", count: bool = True) -> Page[ResourceView]:  # fmt: skip
        from controlplane.inventory import ResourceView

        params = _params(tenant=tenant, provider=provider, kind=kind, managed=managed,
                         include_deleted=include_deleted, q=query, sort=sort,
                         count=count) | _paging(limit, continue_token)  # fmt: skip
        return self._page(ResourceView, "/resources", params)

    def drift(self, *, provider: str | None = None, tier: str | None = None,
              tenant: str | None = None, include_resolved: bool = False,
              limit: int = DEFAULT_LIMIT, continue_token: str | None = None,
              query: str | None = None, sort: str = "first_seen") -> Page[DriftView]:  # fmt: skip
        from controlplane.inventory import DriftView

        params = _params(provider=provider, tier=tier, tenant=tenant,
                         include_resolved=include_resolved, q=query, sort=sort)  # fmt: skip
        return self._page(DriftView, "/drift", params | _paging(limit, continue_token))

    # ---- policy -------------------------------------------------------------------------

    def policy_rules(self, *, level: int | None = None, pack: str | None = None,
                     severity: Severity | None = None) -> list[dict[str, Any]]:  # fmt: skip
        sev = None if severity is None else getattr(severity, "value", severity)
        found: list[dict[str, Any]] = self._get(
            "/policy/rules", level=level, pack=pack, severity=sev
        )
        return found

    def audit_policies(self) -> AuditRunInfo:
        return AuditRunInfo.model_validate(self._post("/policy/audits"))

    def violations(self, *, state: str | None = None, system: str | None = None,
                   tenant: str | None = None, provider: str | None = None,
                   tier: str | None = None, sort: str = "id", limit: int = DEFAULT_LIMIT,
                   continue_token: str | None = None,
                   query: str | None = None) -> Page[ViolationInfo]:  # fmt: skip
        params = _params(state=state, system=system, tenant=tenant, provider=provider,
                         tier=tier, sort=sort, q=query)  # fmt: skip
        return self._page(
            ViolationInfo, "/policy/violations", params | _paging(limit, continue_token)
        )

    def policy_report(self, system: str, *, tenant: str | None = None) -> Any:
        from policies.reports import ComplianceReport

        found = self._get(f"/policy/reports/{_seg(system)}", tenant=tenant, format="data")
        return decode(ComplianceReport, found)

    def waivers(self, *, state: str | None = None, tenant: str | None = None, sort: str = "id",
                limit: int = DEFAULT_LIMIT, continue_token: str | None = None,
                query: str | None = None) -> Page[WaiverInfo]:  # fmt: skip
        params = _params(state=state, tenant=tenant, sort=sort, q=query)
        return self._page(WaiverInfo, "/waivers", params | _paging(limit, continue_token))

    def request_waiver(self, *, rule_id: str, scope: WaiverScope, target: str, reason: str,
                       expires_at: datetime | None) -> WaiverInfo:  # fmt: skip
        body = {"rule_id": rule_id, "scope": getattr(scope, "value", scope), "target": target,
                "reason": reason, "expires_at": expires_at.isoformat() if expires_at else None}  # fmt: skip
        return WaiverInfo.model_validate(self._post("/waivers", body))

    def approve_waiver(self, waiver_id: int) -> WaiverInfo:
        return WaiverInfo.model_validate(self._post(f"/waivers/{int(waiver_id)}/approve"))

    # ---- metering -----------------------------------------------------------------------

    def collect_usage(self, *, until: datetime | None = None,
                      providers: Sequence[str] = ()) -> list[CollectResult]:  # fmt: skip
        from controlplane.metering.service import CollectResult

        body = {"until": until.isoformat() if until else None, "providers": list(providers)}
        return decode(list[CollectResult], self._post("/meter/collect", body))

    def import_usage(self, source: str, *, text: str | None = None) -> ImportResult:
        from controlplane.metering.service import ImportResult

        if text is None:
            text = _read_usage(source)
        found = self._post("/meter/imports", {"csv": text, "source": source})
        return decode(ImportResult, found)

    def coverage(self, month: Month) -> MonthCoverage:
        from controlplane.metering.coverage import MonthCoverage

        return decode(MonthCoverage, self._get(f"/meter/coverage/{month}"))

    def acknowledge_gap(self, provider: str, start: datetime, end: datetime, *,
                        reason: str) -> GapAckInfo:  # fmt: skip
        body = {"provider": provider, "reason": reason, "start": start.isoformat(),
                "end": end.isoformat()}  # fmt: skip
        return GapAckInfo.model_validate(self._post("/meter/acknowledgements", body)[0])

    def acknowledge_month(self, month: Month, provider: str, *, reason: str) -> list[GapAckInfo]:
        body = {"provider": provider, "reason": reason, "month": str(month)}
        return [GapAckInfo.model_validate(a) for a in self._post("/meter/acknowledgements", body)]

    def record_availability(self, provider: str, month: Month, percent: Decimal, *,
                            evidence: str) -> AvailabilityInfo:  # fmt: skip
        body = {"provider": provider, "month": str(month), "percent": str(percent),
                "evidence": evidence}  # fmt: skip
        return AvailabilityInfo.model_validate(self._post("/meter/availability", body))

    # ---- bills --------------------------------------------------------------------------

    def run_bills(self, month: Month) -> RunResult:
        from controlplane.bills.service import RunResult

        return decode(RunResult, self._post(f"/bills/{month}/run"))

    def bills(self, month: Month, *, tenant: str | None = None, limit: int = DEFAULT_LIMIT,
              continue_token: str | None = None, query: str | None = None,
              sort: str = "tenant") -> Page[StatementView]:  # fmt: skip
        from controlplane.bills.service import StatementView

        params = _params(tenant=tenant, q=query, sort=sort) | _paging(limit, continue_token)
        return self._page(StatementView, f"/bills/{month}", params)

    def confirm_bills(self, month: Month, *, tenant: str | None = None) -> list[str]:
        found: list[str] = self._post(f"/bills/{month}/confirm", {"tenant": tenant})["confirmed"]
        return found

    def finalize_bills(self, month: Month) -> list[str]:
        found: list[str] = self._post(f"/bills/{month}/finalize")["finalized"]
        return found

    def adjust_bill(self, tenant: str, amount: Decimal, *, reason: str, approver: str,
                    relates_to: Month, provider: str = "", evidence: str = "",
                    ) -> AdjustmentInfo:  # fmt: skip
        body = {"tenant": tenant, "amount": str(amount), "reason": reason, "approver": approver,
                "relates_to": str(relates_to), "provider": provider, "evidence": evidence}  # fmt: skip
        return AdjustmentInfo.model_validate(self._post("/bills/adjustments", body))

    def export_bills(self, month: Month, fmt: str, out: IO[bytes] | Path | str, *,
                     tenant: str | None = None, lang: str = "zh") -> list[str]:  # fmt: skip
        """Write the file the server made; the tenants whose statements it holds."""
        params = _params(format=fmt, tenant=tenant, lang=lang)
        answer = self._call("GET", f"/bills/{month}/export", params=params)
        if isinstance(out, str | Path):
            Path(out).write_bytes(answer.content)
        else:
            out.write(answer.content)
        held = answer.headers.get("X-Govcloud-Statements", "")
        return [code for code in held.split(",") if code]

    # ---- audit, infrastructure, tokens --------------------------------------------------

    def verify_audit(self) -> AuditReport:
        from controlplane.audit_verify import AuditReport

        return decode(AuditReport, self._get("/audit/verify"))

    def audit_log(self, *, sort: str = "-seq", limit: int = DEFAULT_LIMIT,
                  continue_token: str | None = None,
                  query: str | None = None) -> Page[AuditEventInfo]:  # fmt: skip
        params = _params(sort=sort, q=query) | _paging(limit, continue_token)
        return self._page(AuditEventInfo, "/audit/events", params)

    def checkpoint_audit(self) -> Checkpoint | None:
        from controlplane.audit_checkpoints import Checkpoint

        found = self._post("/audit/checkpoints")["checkpoint"]
        return None if found is None else decode(Checkpoint, found)

    def rotate_audit_key(self) -> tuple[str, str]:
        found = self._post("/audit/keys/rotate")
        return found["old_key"], found["new_key"]

    def export_infra(self, system: str, *, directory: Path,
                     provider: str | None = None) -> ExportedProject:  # fmt: skip
        from infra.export import ExportedProject

        found = self._get(f"/infra/{_seg(system)}/export", provider=provider)
        directory.mkdir(parents=True, exist_ok=True)
        files = []
        for name, text in sorted(found["files"].items()):
            path = directory / Path(name).name
            path.write_text(text, encoding="utf-8")
            files.append(path)
        return ExportedProject(project=found["project"], stack=found["stack"],
                               directory=directory, files=tuple(files))  # fmt: skip

    def create_token(self, principal: str, *, expires_in: timedelta | None) -> IssuedToken:
        from controlplane.auth import IssuedToken, TokenInfo

        expires = None if expires_in is None else f"{int(expires_in.total_seconds() // 60)}m"
        found = self._post("/tokens", {"principal": principal, "expires": expires})
        token = found.pop("token")
        return IssuedToken(token=token, info=decode(TokenInfo, found))

    def budget_alerts(
        self, *, tenant: str | None = None, year: int | None = None
    ) -> list[BudgetAlertInfo]:
        from controlplane.budget_alerts import BudgetAlertInfo

        found = self._get("/budget/alerts", tenant=tenant, year=year)
        return decode(list[BudgetAlertInfo], found)

    def project_budgets(self, *, thresholds: Sequence[int] | None = None) -> list[BudgetAlertInfo]:
        from controlplane.budget_alerts import BudgetAlertInfo

        body = {"thresholds": list(thresholds) if thresholds is not None else None}
        found = self._post("/budget/projections", body)
        return decode(list[BudgetAlertInfo], found)

    def job_list(self, *, sort: str = "name", limit: int = DEFAULT_LIMIT,
                 continue_token: str | None = None,
                 query: str | None = None) -> Page[JobSummary]:  # fmt: skip
        from controlplane.scheduler.service import JobSummary

        params = _params(sort=sort, q=query) | _paging(limit, continue_token)
        return self._page(JobSummary, "/jobs", params)

    def job_runs(self, *, job: str | None = None, sort: str = "-due_at",
                 limit: int = DEFAULT_LIMIT, continue_token: str | None = None,
                 query: str | None = None) -> Page[JobRunInfo]:  # fmt: skip
        from controlplane.scheduler.service import JobRunInfo

        params = _params(job=job, sort=sort, q=query) | _paging(limit, continue_token)
        return self._page(JobRunInfo, "/job-runs", params)

    def jobs(self) -> list[JobSummary]:
        """Every job: the pages of ``GET /jobs`` (one list route, paged like every list)."""
        found: list[JobSummary] = []
        token: str | None = None
        while True:
            page = self.job_list(limit=MAX_LIMIT, continue_token=token)
            found.extend(page.items)
            if page.continue_token is None:
                return found
            token = page.continue_token

    def job(self, name: str, *, limit: int = 20) -> tuple[JobSummary, list[JobRunInfo]]:
        from controlplane.scheduler.service import JobRunInfo, JobSummary

        found = self._get(f"/jobs/{_seg(name)}", limit=limit)
        return decode(JobSummary, found["job"]), decode(list[JobRunInfo], found["recent"])

    def run_job(self, name: str) -> JobRunInfo:
        from controlplane.scheduler.service import JobRunInfo

        return decode(JobRunInfo, self._post(f"/jobs/{_seg(name)}/run"))

    def tokens(self, *, principal: str | None = None) -> list[TokenInfo]:
        from controlplane.auth import TokenInfo

        return decode(list[TokenInfo], self._get("/tokens", principal=principal))

    def revoke_token(self, token_id: str) -> TokenInfo:
        from controlplane.auth import TokenInfo

        found = self._json("DELETE", f"/tokens/{_seg(token_id)}")
        return decode(TokenInfo, found)


def _seg(value: str) -> str:
    """One path segment, escaped (a name with ``/`` stays one segment)."""
    from urllib.parse import quote

    return quote(value, safe="")


def _outcome(value: Mapping[str, Any]) -> ApplyOutcome:
    """A provisioning outcome; its provider error stays the server's words."""
    from providers.types import ApplyOutcome

    error = value.get("error")
    said: Any = None if error is None else RemoteProviderError(
        code=str(error["code"]), message_zh=str(error["message_zh"]),
        message_en=str(error["message_en"]), temporary=bool(error.get("temporary", False)),
    )  # fmt: skip
    return ApplyOutcome(
        kind=value["kind"],
        name=value["name"],
        action=value["action"],
        resource_id=value.get("resource_id"),
        error=said,
        changes=tuple(value.get("changes") or ()),
        facts=dict(value.get("facts") or {}),
    )


def _read_usage(source: str) -> str:
    """A usage file read here, decoded as the server would read it."""
    return Path(source).read_text(encoding="utf-8-sig")
