"""Stored policy results: batched writes of verdicts and reading them back as verdicts.

A result row holds from the run that produced it until a later run's results of the same
subject differ (see :class:`ResultWriter`); :func:`held_at` selects the rows of one run,
so "what was the verdict of rule R on subject X at run N" stays one query.

A pass's messages are the rule's fixed pass text, so they are not stored (most results
of a province are passes); :func:`verdict_of` rebuilds them from the rule. Fields longer
than the column are cut at 255 characters, which only ever shortens a location path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import cache
from hashlib import blake2b
from typing import Any

from sqlalchemy import ColumnElement, Delete, Table, Update, bindparam, delete, text, update
from sqlmodel import Session, col, select

from controlplane.db import table_of
from controlplane.db.bulk import BulkInsert, CopyText, driver_rows
from controlplane.db.deferred_indexes import DeferredIndexes, defer_indexes
from controlplane.db.tables_compliance import AuditRun, PolicyResult, PolicySubjectDigest
from policies import (
    AuditResult,
    BoundRule,
    Enforcement,
    Outcome,
    ResourceView,
    Severity,
    Verdict,
    get_rule,
)

__all__ = [
    "BATCH",
    "COLUMNS",
    "ResultWriter",
    "digest_of",
    "held_at",
    "result_values",
    "stored_results",
    "verdict_of",
]

BATCH = 5000
_FIELD_MAX = 255


COLUMNS = (
    "run_id",
    "evaluated_at",
    # the subject's own fields first: the same for all its results (see digest_of)
    "subject_kind",
    "subject_id",
    "system",
    "tenant",
    "rule_id",
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


def _stored(v: Verdict | AuditResult) -> tuple[Any, ...]:
    """The values of ``COLUMNS`` after the subject's (system and tenant included)."""
    passed = v.outcome is Outcome.PASS
    return (
        v.rule_id,
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


def result_values(run_id: int, at: Any, v: Verdict) -> tuple[Any, ...]:
    """One verdict as the values of ``COLUMNS``, in order (``at``: the stored timestamp)."""
    return (run_id, at, v.subject_kind, v.subject_id, v.system, v.tenant, *_stored(v))


def digest_of(rows: Sequence[tuple[Any, ...]]) -> str:
    """A stable digest (the same in every process) of one subject's results, each as
    built by :func:`result_values`: the run and the time are not part of it, the subject
    is the digest's key and its system and tenant are those of every result, so they are
    digested once."""
    first = rows[0] if rows else ()
    varying = [row[6:] for row in rows]
    return blake2b(repr((first[4:6], varying)).encode(), digest_size=16).hexdigest()


Subject = tuple[str, str]
_PARTS_KEPT = 65536  # results' stored values kept by object (most are a few shared ones)
_DIGEST_COLUMNS = ("subject_kind", "subject_id", "digest", "run_id")


class ResultWriter:
    """Stores one run's results: a subject's rows only when they differ from the last run.

    Half a million results per province run, most of them the same as last time. Each
    subject's results are digested; when the digest equals the stored one, nothing is
    written (its rows stay current); otherwise its current rows are superseded by this
    run and the new ones written. Subjects absent from this run have theirs superseded
    at :meth:`finish`. Rows go to the driver in bulk (:class:`BulkInsert`: ``COPY`` on
    PostgreSQL, one ``executemany`` on SQLite), ``BATCH`` at a time, inside the session's
    transaction; on PostgreSQL as ``COPY`` text (each shared result's made once) through
    one ``COPY`` left open between batches, so the server takes in the rows while the
    run evaluates the next subjects (it ends before any other statement). A first load — no result stored at all, so every row is written —
    builds the table's secondary indexes (and PostgreSQL's foreign key, checked row by
    row) once at :meth:`finish` instead (``defer_indexes``). The timestamp goes through its column type's own bind processing (so it is stored
    exactly as an ORM insert stores it); the other values the drivers take as they are
    (a bool is 0/1 in SQLite, as SQLAlchemy stores it); a column added later that needs
    conversion is refused here rather than stored differently.
    """

    def __init__(self, session: Session, run_id: int, at: datetime) -> None:
        self._session = session
        self._run_id = run_id
        #: pending rows: value tuples, or on PostgreSQL their lines of ``COPY`` text
        self._rows: list[Any] = []
        self._replaced: list[Subject] = []
        self.written = 0
        #: this run's results by outcome (its value), written or held
        self.outcomes: Counter[str] = Counter()
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
        self._stamp = stamp(at) if stamp is not None else at
        # the stamp converted once above; the other values go as the driver takes them
        # (on PostgreSQL as COPY text, each distinct value formatted once, through one
        # COPY left open while the run goes on: the server takes in the rows meanwhile)
        self._results = BulkInsert(session, table, COLUMNS, raw=COLUMNS, stream=True)
        self._copy = CopyText(session) if dialect.name == "postgresql" else None
        self._head = self._copy.fields((run_id, self._stamp)) if self._copy else ""
        self._digests = BulkInsert(session, table_of(PolicySubjectDigest), _DIGEST_COLUMNS)
        if dialect.name == "postgresql":
            # one run at a time: a second waits, then compares with what the first
            # stored (SQLite's writer lock, taken by the run's own row, does the same)
            session.execute(text("LOCK TABLE policy_subject_digest IN SHARE ROW EXCLUSIVE MODE"))
        digests = select(PolicySubjectDigest.subject_kind, PolicySubjectDigest.subject_id,
                         PolicySubjectDigest.digest)  # fmt: skip
        self._stored: dict[Subject, str] = {
            (kind, subject): digest for kind, subject, digest in driver_rows(session, digests)
        }
        self._seen: dict[Subject, str] = {}
        self._parts: dict[AuditResult, tuple[tuple[Any, ...], str, str]] = {}
        #: per (kind, system, tenant): the COPY text before and after a subject's id
        self._around: dict[tuple[str, str | None, str | None], tuple[str, str]] = {}
        # a first load (no result stored at all): every row of the run is written, so
        # the table's indexes are built once after it instead of row by row
        self._deferred: DeferredIndexes | None = None
        if not self._stored:
            self._deferred = defer_indexes(session, table.name, foreign_keys=True)

    def add(self, view: ResourceView, results: Sequence[AuditResult]) -> None:
        """The results of one subject (a resource or a system record) in this run."""
        if not results:
            return
        kind, subject, tenant = view.kind, view.id, view.tenant
        system = view.system.name if view.system is not None else None
        # a result object is shared by every subject it judged alike: its stored values,
        # their text in the digest and their COPY text are made once per object
        parts = self._parts
        found = [parts.get(r) or self._part(r) for r in results]
        self.outcomes.update([part[0][1] for part in found])
        # digest_of(rows), without building the text of each result again
        text = f"({(system, tenant)!r}, [{', '.join([part[1] for part in found])}])"
        digest = blake2b(text.encode(), digest_size=16).hexdigest()
        key = (kind, subject)
        earlier = self._seen.get(key)
        if earlier is not None:
            # the same subject twice in one run (one id on two clouds): both are its
            # results; the next run compares its own first half with both and rewrites
            self._seen[key] = blake2b(f"{earlier}{digest}".encode(), digest_size=16).hexdigest()
        else:
            self._seen[key] = digest
            stored = self._stored.get(key)
            if stored == digest:
                return  # unchanged since the last run: its rows stay current
            if stored is not None:
                self._replaced.append(key)
        if self._copy is not None:
            line = self._line(kind, subject, system, tenant)
            self._rows.extend([line + part[2] for part in found])
        else:
            head = (self._run_id, self._stamp, kind, subject, system, tenant)
            self._rows.extend([head + part[0] for part in found])
        if len(self._rows) >= BATCH:
            self.flush()

    def _line(self, kind: str, subject: str, system: str | None, tenant: str | None) -> str:
        """The ``COPY`` text of a subject's row up to its result's own fields: the run's
        and the subject's; the fields around the subject's id, shared by the resources
        of one kind in one system, are made once."""
        assert self._copy is not None
        around = self._around.get((kind, system, tenant))
        if around is None:
            if len(self._around) >= _PARTS_KEPT:
                self._around.clear()
            fields = self._copy.fields
            around = self._around[kind, system, tenant] = (
                f"{self._head}\t{fields((kind,))}\t",
                f"\t{fields((system, tenant))}\t",
            )
        return f"{around[0]}{self._copy.field(subject)}{around[1]}"

    def _part(self, result: AuditResult) -> tuple[tuple[Any, ...], str, str]:
        if len(self._parts) >= _PARTS_KEPT:
            self._parts.clear()
        values = _stored(result)
        line = f"{self._copy.fields(values)}\n" if self._copy is not None else ""
        made = self._parts[result] = (values, repr(values), line)
        return made

    def flush(self) -> None:
        """Supersede the replaced subjects' rows, then write the pending rows."""
        self._supersede(self._replaced)
        self._replaced = []
        if self._rows:
            if self._copy is not None:
                self.written += self._results.write_text("".join(self._rows), len(self._rows))
            else:
                self.written += self._results.write(self._rows)
            self._rows = []

    def finish(self) -> None:
        """Flush, supersede subjects this run no longer has, and store the new digests."""
        self.flush()
        self._results.end()
        stored, seen = self._stored, self._seen
        self._supersede([key for key in stored if key not in seen])
        table = table_of(PolicySubjectDigest)
        self._per_subject(
            delete(table), table, [key for key in stored if seen.get(key) != stored[key]]
        )
        fresh = [
            (*key, digest, self._run_id)
            for key, digest in seen.items()
            if stored.get(key) != digest
        ]
        for start in range(0, len(fresh), BATCH):
            self._digests.write(fresh[start : start + BATCH])
        if self._deferred is not None:
            self._deferred.build()
            self._deferred = None

    def _supersede(self, subjects: list[Subject]) -> None:
        table = table_of(PolicyResult)
        statement = (
            update(table)
            .where(table.c.superseded_run_id.is_(None))
            .values(superseded_run_id=self._run_id)
        )
        self._per_subject(statement, table, subjects)

    def _per_subject(
        self, statement: Update | Delete, table: Table, subjects: list[Subject]
    ) -> None:
        """``statement`` for each subject, by (kind, id), ``BATCH`` subjects a call."""
        if not subjects:
            return
        statement = statement.where(table.c.subject_kind == bindparam("kind")).where(
            table.c.subject_id == bindparam("subject")
        )
        params = [{"kind": kind, "subject": subject} for kind, subject in subjects]
        for start in range(0, len(params), BATCH):
            self._session.execute(statement, params[start : start + BATCH])


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


def verdict_of(row: PolicyResult, at: datetime | None = None) -> Verdict:
    """A stored result as the :class:`policies.Verdict` the engine produced (evaluated
    at ``at``, the reading run's time, when given; else when it was first produced)."""
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
        evaluated_at=at if at is not None else row.evaluated_at,
        waiver_id=row.waiver_id,
        deferred=row.deferred,
    )


def held_at(run_id: int) -> ColumnElement[bool]:
    """The results of run ``run_id``: produced by it or before, not yet superseded."""
    superseded = col(PolicyResult.superseded_run_id)
    return (col(PolicyResult.run_id) <= run_id) & (superseded.is_(None) | (superseded > run_id))


def stored_results(
    session: Session, run_id: int, *, system: str | None = None, tenant: str | None = None
) -> Iterator[Verdict]:
    """The results of one run, optionally of one system (and tenant), in stored order,
    each evaluated at the run's time."""
    run = session.get(AuditRun, run_id)
    if run is None:
        return
    query = select(PolicyResult).where(held_at(run_id))
    if system is not None:
        query = query.where(col(PolicyResult.system) == system)
    if tenant is not None:
        query = query.where(col(PolicyResult.tenant) == tenant)
    for row in session.exec(query.order_by(col(PolicyResult.id))):
        yield verdict_of(row, run.started_at)
