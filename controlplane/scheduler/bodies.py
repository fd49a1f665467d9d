"""What each job does: a body per job kind, acting through the facade only.

A body receives the facade of the system principal (:meth:`Govcloud.system`) and the
firing's time, and returns the detail kept on the job-run record; a
:class:`TemporaryJobError` (or a temporary provider error) makes the run ``temporary``
and the next firing backs off, any other error makes it ``failed``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from controlplane.billing import Month
from controlplane.facade import Govcloud
from controlplane.scheduler.catalog import JobSpec

__all__ = ["AuditChainBroken", "Body", "TemporaryJobError", "body_for"]

Body = Callable[[Govcloud, datetime], dict[str, Any]]


class AuditChainBroken(RuntimeError):
    """The daily verification found the audit chain altered: a loud, failed job run."""


class TemporaryJobError(RuntimeError):
    """A job that could not do its work this time, worth retrying with back-off."""


def _provider_names(gov: Govcloud) -> list[str]:
    return [p.name for p in gov.providers(limit=1000).items]


def _sync(provider: str) -> Body:
    def run(gov: Govcloud, now: datetime) -> dict[str, Any]:
        report = gov.sync_provider(provider)
        return {"observed": report.observed, "drift_open": report.drift_open,
                "seconds": round(report.seconds, 3)}  # fmt: skip

    return run


def _health(gov: Govcloud, now: datetime) -> dict[str, Any]:
    """Probe every provider (the rows availability and SLA deductions are measured on)."""
    return {"providers": {name: gov.probe_provider(name) for name in _provider_names(gov)}}


def _policy_audit(gov: Govcloud, now: datetime) -> dict[str, Any]:
    """Audit the inventory; a waiver past its expiry no longer covers its findings."""
    run = gov.audit_policies()
    return run.model_dump(mode="json")


def _meter_collect(gov: Govcloud, now: datetime) -> dict[str, Any]:
    results = gov.collect_usage(until=now)
    failed = [f"{r.provider}: {r.error}" for r in results if r.status == "failed"]
    if failed and len(failed) == len(results):
        raise TemporaryJobError("; ".join(failed))
    return {"providers": {r.provider: {"status": r.status, "new_records": r.new_records,
                                       "error": r.error} for r in results}}  # fmt: skip


def _month_close(gov: Govcloud, now: datetime) -> dict[str, Any]:
    """On the 1st: draft statements for the previous month; name its open coverage gaps."""
    previous = Month.containing(now).previous
    result = gov.run_bills(previous)
    coverage = gov.coverage(previous)
    return {"month": str(previous), "statements": result.statements,
            "changed": list(result.changed), "finalized": result.finalized,
            "open_gaps": [str(g) for g in coverage.open_gaps]}  # fmt: skip


def _audit_verify(gov: Govcloud, now: datetime) -> dict[str, Any]:
    report = gov.verify_audit()
    if not report.intact:
        raise AuditChainBroken("; ".join(b.describe("en") for b in report.breaks[:20]))
    return {"intact": True, "head": report.head, "unanchored": report.unanchored}


def _budget_alerts(thresholds: list[int] | None) -> Body:
    def run(gov: Govcloud, now: datetime) -> dict[str, Any]:
        """Project each department's year; raise an alert per threshold first crossed."""
        raised = gov.project_budgets(thresholds=thresholds)
        return {"raised": [{"tenant": a.tenant, "year": a.year, "threshold": a.threshold,
                            "projected": str(a.projected)} for a in raised]}  # fmt: skip

    return run


_BODIES: dict[str, Body] = {
    "health": _health,
    "policy-audit": _policy_audit,
    "meter-collect": _meter_collect,
    "month-close": _month_close,
    "audit-verify": _audit_verify,
}


def body_for(spec: JobSpec) -> Body:
    if spec.kind == "sync":
        assert spec.target is not None
        return _sync(spec.target)
    if spec.kind == "budget-alerts":
        return _budget_alerts(spec.options.get("thresholds"))
    return _BODIES[spec.kind]
