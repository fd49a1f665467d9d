"""Stored policy results: batched writes of verdicts and reading them back as verdicts.

A pass's messages are the rule's fixed pass text, so they are not stored (most results
of a province are passes); :func:`verdict_of` rebuilds them from the rule. Fields longer
than the column are cut at 255 characters, which only ever shortens a location path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from sqlmodel import Session, col, select

from controlplane.db import table_of
from controlplane.db.tables_compliance import PolicyResult
from policies import BoundRule, Enforcement, Outcome, Severity, Verdict, get_rule

__all__ = ["BATCH", "COLUMNS", "ResultWriter", "result_values", "stored_results", "verdict_of"]

BATCH = 5000
_FIELD_MAX = 255


COLUMNS = (
    "run_id",
    "evaluated_at",
    "rule_id",
    "subject_kind",
    "subject_id",
    "system",
    "tenant",
    "outcome",
    "severity",
    "enforcement",
    "field",
    "message_zh",
    "message_en",
    "missing",
    "high_risk",
    "waiver_id",
    "deferred",
)


def result_values(run_id: int, at: Any, v: Verdict) -> tuple[Any, ...]:
    """One verdict as the values of ``COLUMNS``, in order (``at``: the stored timestamp)."""
    passed = v.outcome is Outcome.PASS
    return (
        run_id,
        at,
        v.rule_id,
        v.subject_kind,
        v.subject_id,
        v.system,
        v.tenant,
        str(v.outcome),
        str(v.severity),
        str(v.enforcement),
        v.field[:_FIELD_MAX] if v.field else None,
        None if passed else v.message_zh,
        None if passed else v.message_en,
        v.missing[:_FIELD_MAX] if v.missing else None,
        v.high_risk,
        v.waiver_id,
        v.deferred,
    )


class ResultWriter:
    """Buffers verdicts of one run and writes them ``BATCH`` rows at a time.

    Half a million results per province run: rows go to the driver in bulk — ``COPY`` on
    PostgreSQL, one ``executemany`` on SQLite — inside the session's transaction, not row
    by row through statement compilation. The timestamp goes through its column type's
    own bind processing (so it is stored exactly as an ORM insert stores it), once per
    distinct value: a run's verdicts share it. The other values the drivers take as they
    are (a bool is 0/1 in SQLite, as SQLAlchemy stores it); a column added later that
    needs conversion is refused here rather than stored differently.
    """

    def __init__(self, session: Session, run_id: int) -> None:
        self._session = session
        self._run_id = run_id
        self._rows: list[tuple[Any, ...]] = []
        self.written = 0
        dialect = session.connection().dialect
        table = table_of(PolicyResult)
        processors = {
            name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in COLUMNS
        }
        converted = {name for name, p in processors.items() if p is not None}
        if not converted <= {"evaluated_at", "high_risk", "deferred"}:
            raise TypeError(f"policy_result columns need conversion: {sorted(converted)}")
        stamp = processors["evaluated_at"]
        self._stamp: Callable[[Any], Any] = stamp if stamp is not None else (lambda v: v)
        self._last: tuple[Any, Any] = (None, None)
        self._postgresql = dialect.name == "postgresql"
        names = ", ".join(COLUMNS)
        if self._postgresql:
            self._statement = f"COPY {table.name} ({names}) FROM STDIN"
        else:
            marks = ", ".join("?" * len(COLUMNS))
            self._statement = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"

    def add(self, verdict: Verdict) -> None:
        at = verdict.evaluated_at
        if at is not self._last[0]:
            self._last = (at, self._stamp(at))
        self._rows.append(result_values(self._run_id, self._last[1], verdict))
        if len(self._rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._rows:
            return
        driver = self._session.connection().connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        try:
            if self._postgresql:
                with cursor.copy(self._statement) as copy:
                    for row in self._rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self._statement, self._rows)
        finally:
            cursor.close()
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
