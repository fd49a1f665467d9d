"""Stored policy results: batched writes of verdicts and reading them back as verdicts.

A pass's messages are the rule's fixed pass text, so they are not stored (most results
of a province are passes); :func:`verdict_of` rebuilds them from the rule. Fields longer
than the column are cut at 255 characters, which only ever shortens a location path.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from controlplane.db import table_of
from controlplane.db.tables_compliance import PolicyResult
from policies import BoundRule, Enforcement, Outcome, Severity, Verdict, get_rule

__all__ = ["BATCH", "ResultWriter", "stored_results", "verdict_of"]

BATCH = 5000
_FIELD_MAX = 255


def _result_row(run_id: int, v: Verdict) -> dict[str, Any]:
    passed = v.outcome is Outcome.PASS
    return {
        "run_id": run_id,
        "evaluated_at": v.evaluated_at,
        "rule_id": v.rule_id,
        "subject_kind": v.subject_kind,
        "subject_id": v.subject_id,
        "system": v.system,
        "tenant": v.tenant,
        "outcome": str(v.outcome),
        "severity": str(v.severity),
        "enforcement": str(v.enforcement),
        "field": v.field[:_FIELD_MAX] if v.field else None,
        "message_zh": None if passed else v.message_zh,
        "message_en": None if passed else v.message_en,
        "missing": v.missing[:_FIELD_MAX] if v.missing else None,
        "high_risk": v.high_risk,
        "waiver_id": v.waiver_id,
        "deferred": v.deferred,
    }


class ResultWriter:
    """Buffers verdicts of one run and inserts them ``BATCH`` rows at a time."""

    def __init__(self, session: Session, run_id: int) -> None:
        self._session = session
        self._run_id = run_id
        self._rows: list[dict[str, Any]] = []
        self.written = 0

    def add(self, verdict: Verdict) -> None:
        self._rows.append(_result_row(self._run_id, verdict))
        if len(self._rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self._session.execute(insert(table_of(PolicyResult)), self._rows)
            self.written += len(self._rows)
            self._rows = []


@cache
def _pass_text(rule_id: str) -> tuple[str, str]:
    spec = get_rule(rule_id).spec
    bound = BoundRule(get_rule(rule_id), Enforcement.ENFORCE, spec.default_params())
    return bound.pass_zh, bound.pass_en


def _remediation(rule_id: str, outcome: Outcome) -> tuple[str, str]:
    if outcome not in (Outcome.FAIL, Outcome.WAIVED):
        return "", ""
    spec = get_rule(rule_id).spec
    return spec.remediation_zh, spec.remediation_en


def verdict_of(row: PolicyResult) -> Verdict:
    """A stored result as the :class:`policies.Verdict` the engine produced."""
    outcome = Outcome(row.outcome)
    if outcome is Outcome.PASS:
        zh, en = _pass_text(row.rule_id)
    else:
        zh, en = row.message_zh or "", row.message_en or ""
    fix_zh, fix_en = _remediation(row.rule_id, outcome)
    return Verdict(
        rule_id=row.rule_id,
        outcome=outcome,
        severity=Severity(row.severity),
        enforcement=Enforcement(row.enforcement),
        subject_kind=row.subject_kind,
        subject_id=row.subject_id,
        system=row.system,
        tenant=row.tenant,
        field=row.field,
        message_zh=zh,
        message_en=en,
        remediation_zh=fix_zh,
        remediation_en=fix_en,
        missing=row.missing,
        high_risk=row.high_risk,
        evaluated_at=row.evaluated_at,
        waiver_id=row.waiver_id,
        deferred=row.deferred,
    )


def stored_results(
    session: Session, run_id: int, *, system: str | None = None, tenant: str | None = None
) -> Iterator[Verdict]:
    """The results of one run, optionally of one system (and tenant), in stored order."""
    query = select(PolicyResult).where(col(PolicyResult.run_id) == run_id)
    if system is not None:
        query = query.where(col(PolicyResult.system) == system)
    if tenant is not None:
        query = query.where(col(PolicyResult.tenant) == tenant)
    for row in session.exec(query.order_by(col(PolicyResult.id))):
        yield verdict_of(row)
