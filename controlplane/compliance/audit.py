"""Continuous audit: run every bound rule over the inventory and store every result.

:class:`ComplianceService` binds the estate's policy per scope (tenant, then sector,
then city overlay, then the provincial baseline), streams the inventory through
:func:`policies.audit_results` with the approved waivers, stores each result — passes included —
in batches (a subject's results only when they changed since the last run: a run's
results are those it wrote and those it found unchanged, see
:mod:`controlplane.compliance.store`), and updates the violation lifecycle, all in one transaction: a run is stored
whole or not at all. It also answers the questions asked of stored results: runs,
results of a run, violations, and the per-测评单元 report of one system.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from controlplane import audit as audit_log
from controlplane.compliance.binding import resolve_policy
from controlplane.compliance.lifecycle import ViolationTracker
from controlplane.compliance.store import ResultWriter, stored_results
from controlplane.compliance.views import AuditScope, Inventory, provider_facts, scope_for
from controlplane.compliance.waivers import approved_waivers
from controlplane.db.engine import bulk_sessions, transaction
from controlplane.db.models import Provider, Resource, System, Tenant
from controlplane.db.tables_compliance import AuditRun, PolicyViolation
from controlplane.timeutil import Clock
from policies import (
    BoundPacks,
    EstatePolicy,
    Outcome,
    Verdict,
    WaiverBook,
    WaiverScope,
    audit_results,
)
from policies.reports import ComplianceReport, build_report

__all__ = ["ComplianceService", "NoAuditRun", "SystemNotFound"]

PolicySource = Callable[[], Mapping[str, Any] | None]

_OUTCOME_COLUMNS = {
    Outcome.PASS: "passed",
    Outcome.FAIL: "failed",
    Outcome.WAIVED: "waived",
    Outcome.NOT_APPLICABLE: "not_applicable",
    Outcome.NOT_EVALUABLE: "not_evaluable",
}


class NoAuditRun(LookupError):
    """Nothing has been audited yet."""


class SystemNotFound(LookupError):
    """No system of that name (or the name is ambiguous without a tenant)."""


@dataclass
class _Bindings:
    """Per-scope and per-level bindings (the level picks the 等保 floor), once per run."""

    policy: EstatePolicy
    cache: dict[tuple[AuditScope, int | None], BoundPacks]

    def for_scope(self, scope: AuditScope, level: int | None) -> BoundPacks:
        bound = self.cache.get((scope, level))
        if bound is None:
            bound = self.policy.for_scope(
                level=level, tenant=scope.tenant, city=scope.city, sector=scope.sector
            )
            self.cache[(scope, level)] = bound
        return bound


class ComplianceService:
    """Audit runs, stored results, violations and reports over one database."""

    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, policy_source: PolicySource
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._policy_source = policy_source

    def policy(self) -> EstatePolicy:
        """The estate's bindings as applied (the level floor alone if it binds none)."""
        return resolve_policy(self._policy_source())

    def audit(self, *, actor: str = "scheduler", now: datetime | None = None) -> AuditRun:
        """Audit the whole inventory once; returns the stored run with its totals."""
        at = now or self._clock()
        bindings = _Bindings(self.policy(), {})
        # one bulk-writing transaction: on SQLite with a page cache that holds what the
        # run writes (bulk_sessions)
        with bulk_sessions(self._sessions) as sessions, transaction(sessions) as session:
            run = AuditRun(started_at=at, actor=actor)
            session.add(run)
            session.flush()
            assert run.id is not None
            book = WaiverBook(approved_waivers(session))
            writer = ResultWriter(session, run.id, at)
            tracker = ViolationTracker(session, run.id, at)
            resources = 0
            grace = bindings.policy.paperwork_grace
            for view, scope in Inventory(session).views():
                resources += 1
                system = view.system
                bound = bindings.for_scope(scope, system.level if system else None)
                results = audit_results(view, bound, at, book, grace)
                tracker.observe(view, results)
                writer.add(view, results)
            writer.finish()
            tracker.finish()
            run.resources = resources
            run.rules_bound = len(set().union(*(b.rules for b in bindings.cache.values())))
            counts = writer.outcomes
            run.results = sum(counts.values())
            for outcome, column in _OUTCOME_COLUMNS.items():
                setattr(run, column, counts[outcome.value])
            run.opened, run.resolved = tracker.opened, tracker.resolved
            run.finished_at = max(self._clock(), at)
            session.add(run)
            summary = run_summary(run)
            if bindings.policy.opt_out is not None:
                summary["baselineOptOut"] = bindings.policy.opt_out.to_record()
            audit_log.append(
                session,
                at=at,
                actor=actor,
                action="policy.audit",
                subject=f"policy-audit-run/{run.id}",
                payload=summary,
            )
            return run

    def runs(self, limit: int = 20) -> list[AuditRun]:
        with self._sessions() as session:
            query = select(AuditRun).order_by(col(AuditRun.id).desc()).limit(limit)
            return list(session.exec(query))

    def latest_run(self) -> AuditRun | None:
        runs = self.runs(1)
        return runs[0] if runs else None

    def results(
        self, run_id: int | None = None, *, system: str | None = None, tenant: str | None = None
    ) -> list[Verdict]:
        """Stored results of a run (the latest by default) as verdicts."""
        chosen = run_id if run_id is not None else self._latest_id()
        with self._sessions() as session:
            return list(stored_results(session, chosen, system=system, tenant=tenant))

    def violations(
        self,
        *,
        state: str | None = None,
        system: str | None = None,
        tenant: str | None = None,
        after_id: int | None = None,
        limit: int | None = None,
    ) -> list[PolicyViolation]:
        """Violations by id (of one tenant when ``tenant``); a page starts after ``after_id``
        and holds at most ``limit``."""
        with self._sessions() as session:
            query = select(PolicyViolation).order_by(col(PolicyViolation.id)).limit(limit)
            if after_id is not None:
                query = query.where(col(PolicyViolation.id) > after_id)
            if state is not None:
                query = query.where(col(PolicyViolation.state) == state)
            if system is not None:
                query = query.where(col(PolicyViolation.system) == system)
            if tenant is not None:
                query = query.where(col(PolicyViolation.tenant) == tenant)
            return list(session.exec(query))

    def report(
        self, system: str, *, tenant: str | None = None, run_id: int | None = None
    ) -> ComplianceReport:
        """The per-测评单元 report of one system from a run's stored results."""
        chosen = run_id if run_id is not None else self._latest_id()
        policy = self.policy()
        with self._sessions() as session:
            row, owner = self._system(session, system, tenant)
            host = session.get(Provider, row.provider_id) if row.provider_id else None
            scope = scope_for(owner, provider_facts(host) if host else None)
            bound = policy.for_scope(
                level=row.level, tenant=scope.tenant, city=scope.city, sector=scope.sector
            )
            results = list(stored_results(session, chosen, system=row.name, tenant=owner.code))
            resource_ids = set(
                session.exec(select(Resource.resource_id).where(col(Resource.system_id) == row.id))
            )
            waivers = [
                w
                for w in approved_waivers(session)
                if (w.scope is WaiverScope.SYSTEM and w.target == row.name)
                or (w.scope is WaiverScope.TENANT and w.target == owner.code)
                or (w.scope is WaiverScope.RESOURCE and w.target in resource_ids)
            ]
        audited = [rule_id for rule_id, b in bound.rules.items() if b.spec.mode.audit]
        return build_report(
            results,
            generated_at=self._clock(),
            system=row.name,
            waivers=waivers,
            rules=audited,
            opt_out=policy.opt_out,
        )

    def _latest_id(self) -> int:
        run = self.latest_run()
        if run is None or run.id is None:
            raise NoAuditRun("no audit has run yet: run `govcloud policy audit` / 尚未执行审计")
        return run.id

    @staticmethod
    def _system(session: Session, name: str, tenant: str | None) -> tuple[System, Tenant]:
        query = select(System, Tenant).join(Tenant).where(col(System.name) == name)
        if tenant is not None:
            query = query.where(col(Tenant.code) == tenant)
        found = list(session.exec(query))
        if not found:
            raise SystemNotFound(f"no system {name!r} / 没有信息系统 {name}")
        if len(found) > 1:
            owners = ", ".join(sorted(t.code for _, t in found))
            raise SystemNotFound(
                f"system {name!r} exists in several tenants ({owners}): name one with --tenant"
            )
        return found[0]


def run_summary(run: AuditRun) -> dict[str, Any]:
    """The figures of one run, JSON-ready."""
    return {
        "run": run.id,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "resources": run.resources,
        "rules_bound": run.rules_bound,
        "results": run.results,
        "outcomes": {str(o): getattr(run, c) for o, c in _OUTCOME_COLUMNS.items()},
        "violations": {"opened": run.opened, "resolved": run.resolved},
    }
