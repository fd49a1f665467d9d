"""Audit runs stored in the database, on SQLite and PostgreSQL.

Cases: a run stores every result, passes included, and its totals equal an independent
count of the stored rows; a city overlay's tighter parameter applies to that city's
department only; the run is in the audit log; a second run resolves fixed findings
(``passed``) and vanished subjects (``absent``), keeps still-failing ones open on the
same row with ``last_seen`` moved on, and a finding that fails again opens a new
episode; a finding that can no longer be evaluated stays open; results written in bulk
(COPY / executemany) are stored exactly as an ORM insert stores them (a typed equality
query on the timestamp finds every one); an unchanged re-audit writes no result row yet
answers for every result of its run, at its own time, a changed subject's results are
replaced (the earlier run still answers with the old verdict) and a vanished subject's
end; one resource id on two clouds keeps both results run after run; rows that runs
wrote before the upgrade to result intervals stay each with its own run; a first audit
into the empty tables (the results' and the violations' indexes and foreign keys
dropped and built again after the load) leaves each table's definition as it was, and
one that fails after the rebuild leaves no row and the same definitions; a subject's stored digest is ``digest_of`` its
stored rows. (An estate without policies audits against the
level floor: test_level_floor.py.)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import bindparam, func, text
from sqlmodel import col, select

from controlplane.app import App
from controlplane.compliance import ComplianceService, compliance_service
from controlplane.compliance.store import COLUMNS, digest_of, held_at
from controlplane.config import Settings
from controlplane.db import migrate
from controlplane.db.models import AuditEvent, System
from controlplane.db.tables_compliance import PolicyResult, PolicySubjectDigest, PolicyViolation
from controlplane.db.types import UTCDateTime
from tests.conftest import FakeClock
from tests.controlplane.dbdump import definitions

from .conftest import Inventory, log_sink


def _rows(app: App, run_id: int) -> list[PolicyResult]:
    with app.sessions() as session:
        return list(session.exec(select(PolicyResult).where(held_at(run_id))))


def _violations(app: App, rule: str, subject: str) -> list[PolicyViolation]:
    with app.sessions() as session:
        query = (
            select(PolicyViolation)
            .where(col(PolicyViolation.rule_id) == rule)
            .where(col(PolicyViolation.subject_id) == subject)
            .order_by(col(PolicyViolation.id))
        )
        return list(session.exec(query))


def test_run_stores_every_result_with_totals(app: App, sample: Inventory) -> None:
    run = compliance_service(app).audit(actor="ops")
    assert run.id is not None
    rows = _rows(app, run.id)
    counts = Counter(r.outcome for r in rows)
    assert len(rows) == run.results > 0
    assert (counts["pass"], counts["fail"], counts["waived"]) == (run.passed, run.failed, 0)
    assert counts["not_evaluable"] == run.not_evaluable
    assert counts["not_applicable"] == run.not_applicable
    assert run.resources == 8  # 6 resources + 2 system records
    by = {(r.rule_id, r.subject_id): r for r in rows}
    ok = by["CSL-LOG-01", "logs-ok"]
    short = by["CSL-LOG-01", "logs-short"]
    assert (ok.outcome, ok.system, ok.tenant) == ("pass", "sso-portal", "hrss")
    assert ok.evaluated_at == app.clock() and ok.message_en is None  # pass text not stored
    assert (short.outcome, short.severity, short.field) == (
        "fail",
        "high",
        "log_sink.retention_days",
    )
    assert short.high_risk and "CSL-LOG-01" in (short.message_zh or "")
    assert by["MLPS-L1-NET-02", "sg-web"].outcome == "fail"
    # paperwork of systems that went live today is within its grace period: no violation
    deferred = {(r.rule_id, r.subject_id) for r in rows if r.deferred}
    assert ("MLPS-L2-GOV-01", "hrss/sso-portal") in deferred
    assert all(
        r.outcome in ("fail", "not_evaluable") and r.subject_kind == "system"
        for r in rows
        if r.deferred
    )
    # every other failing result opened exactly one violation
    failing = {
        (r.rule_id, r.subject_id, r.field) for r in rows if r.outcome == "fail" and not r.deferred
    }
    with app.sessions() as session:
        opened = list(session.exec(select(PolicyViolation)))
    assert {(v.rule_id, v.subject_id, v.field) for v in opened} == failing
    assert run.opened == len(failing) and all(v.state == "open" for v in opened)
    with app.sessions() as session:
        event = session.exec(
            select(AuditEvent).where(col(AuditEvent.action) == "policy.audit")
        ).one()
    assert event.subject == f"policy-audit-run/{run.id}"
    assert event.payload["outcomes"]["fail"] == run.failed


def test_bulk_results_store_values_as_the_orm_does(app: App, sample: Inventory) -> None:
    run = compliance_service(app).audit(actor="ops")
    with app.sessions() as session:
        query = (
            select(func.count())
            .select_from(PolicyResult)
            .where(col(PolicyResult.evaluated_at) == app.clock())
            .where(col(PolicyResult.high_risk).is_(False) | col(PolicyResult.high_risk))
        )
        assert session.exec(query).one() == run.results > 0


def test_city_overlay_tightens_only_its_city(app: App, sample: Inventory) -> None:
    run = compliance_service(app).audit()
    assert run.id is not None
    by = {(r.rule_id, r.subject_id): r for r in _rows(app, run.id)}
    # 200 days: enough for the provincial baseline (180), not for city-a's overlay (365)
    assert by["CSL-LOG-01", "logs-ok"].outcome == "pass"
    edu = by["CSL-LOG-01", "edu-logs"]
    assert (edu.outcome, edu.tenant) == ("fail", "city-a-edu")
    assert "365" in (edu.message_en or "")


def test_second_run_updates_the_lifecycle(app: App, sample: Inventory, clock: FakeClock) -> None:
    service = compliance_service(app)
    first = service.audit()
    opened_at = app.clock()
    sample.update("logs-short", retention_days=365)  # fixed
    sample.delete("sg-web")  # gone from the inventory
    clock.advance(hours=1)
    second = service.audit()
    assert second.id is not None and first.id is not None

    [fixed] = _violations(app, "CSL-LOG-01", "logs-short")
    assert (fixed.state, fixed.resolution) == ("resolved", "passed")
    assert fixed.resolved_at == app.clock() and fixed.last_run_id == second.id
    [gone] = _violations(app, "MLPS-L1-NET-02", "sg-web")
    assert (gone.state, gone.resolution) == ("resolved", "absent")
    [still] = _violations(app, "DATA-IMP-02", "vol-plain")
    assert still.state == "open" and still.resolved_at is None
    assert (still.opened_at, still.last_seen_at) == (opened_at, app.clock())
    assert (still.opened_run_id, still.last_run_id) == (first.id, second.id)
    resolved = service.violations(state="resolved")
    assert second.resolved == len(resolved) >= 2 and second.opened == 0

    sample.update("logs-short", retention_days=30)  # broken again: a new episode
    clock.advance(hours=1)
    third = service.audit()
    episodes = _violations(app, "CSL-LOG-01", "logs-short")
    assert [v.state for v in episodes] == ["resolved", "open"]
    assert episodes[1].opened_run_id == third.id and third.opened == 1


def test_not_evaluable_keeps_the_violation_open(app: App, sample: Inventory) -> None:
    service = compliance_service(app)
    service.audit()
    sample.update("vol-plain", encrypted=None)  # the input is gone: proves nothing
    service.audit()
    [violation] = _violations(app, "DATA-IMP-02", "vol-plain")
    assert violation.state == "open"
    results = [
        v for v in service.results() if (v.rule_id, v.subject_id) == ("DATA-IMP-02", "vol-plain")
    ]
    assert [str(v.outcome) for v in results] == ["not_evaluable"]
    assert results[0].missing == "volume.encrypted"


def _written_by(app: App, run_id: int) -> int:
    with app.sessions() as session:
        query = select(func.count()).select_from(PolicyResult)
        return session.exec(query.where(col(PolicyResult.run_id) == run_id)).one()


def _as_of(service: ComplianceService, run_id: int) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for v in service.results(run_id):
        found.setdefault((v.rule_id, v.subject_id), []).append(str(v.outcome))
    return found


def test_unchanged_results_are_kept_not_rewritten(
    app: App, sample: Inventory, clock: FakeClock
) -> None:
    service = compliance_service(app)
    first = service.audit()
    clock.advance(hours=1)
    second = service.audit()  # nothing changed
    assert first.id is not None and second.id is not None
    assert _written_by(app, first.id) == first.results == second.results
    assert _written_by(app, second.id) == 0
    again = service.results(second.id)
    assert [replace(v, evaluated_at=None) for v in again] == [
        replace(v, evaluated_at=None) for v in service.results(first.id)
    ]
    assert {v.evaluated_at for v in again} == {second.started_at}

    sample.update("logs-short", retention_days=365)  # fixed: only its results change
    sample.delete("sg-web")  # gone: its results end with the second run
    clock.advance(hours=1)
    third = service.audit()
    assert third.id is not None
    before, after = _as_of(service, second.id), _as_of(service, third.id)
    assert before["CSL-LOG-01", "logs-short"] == ["fail"]
    assert after["CSL-LOG-01", "logs-short"] == ["pass"]
    assert ("MLPS-L1-NET-02", "sg-web") in before and not any(s == "sg-web" for _, s in after)
    rewritten = [v for v in service.results(third.id) if v.subject_id == "logs-short"]
    assert _written_by(app, third.id) == len(rewritten) > 0
    assert {k: o for k, o in before.items() if k[1] not in ("logs-short", "sg-web")} == {
        k: o for k, o in after.items() if k[1] != "logs-short"
    }
    assert sum(len(o) for o in after.values()) == third.results


def test_one_id_on_two_clouds_keeps_both_results(
    app: App, sample: Inventory, clock: FakeClock
) -> None:
    with app.sessions() as session:
        system = session.exec(select(System).where(col(System.name) == "edu-portal")).one()
    assert system.id is not None
    sample.resource(system.id, "log_sink", "logs-ok", log_sink(30), "city-a")  # a twin id
    service = compliance_service(app)
    runs = []
    for _ in range(3):
        runs.append(service.audit())
        clock.advance(hours=1)
    for run in runs:
        assert run.id is not None
        twins = sorted(
            str(v.outcome)
            for v in service.results(run.id)
            if v.subject_id == "logs-ok" and v.rule_id == "CSL-LOG-01"
        )
        assert twins == ["fail", "pass"] and run.results == runs[0].results


def test_rows_written_per_run_before_the_upgrade_stay_with_their_run(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    app = App(Settings(tmp_path / "home", database_url), clock=clock)
    try:
        migrate.upgrade(app.engine, "resource_list_order")  # every run wrote every row
        with app.engine.begin() as connection:
            for run in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO policy_audit_run (id, started_at, actor, resources,"
                        " rules_bound, results, passed, failed, waived, not_applicable,"
                        " not_evaluable, opened, resolved)"
                        " VALUES (:id, :at, 'ops', 1, 1, 1, 1, 0, 0, 0, 0, 0, 0)"
                    ).bindparams(bindparam("at", type_=UTCDateTime())),
                    {"id": run, "at": clock() + timedelta(hours=run)},
                )
                connection.execute(
                    text(
                        "INSERT INTO policy_result (run_id, evaluated_at, rule_id,"
                        " subject_kind, subject_id, outcome, severity, enforcement,"
                        " high_risk, deferred)"
                        " VALUES (:id, :at, 'CSL-LOG-01', 'log_sink', 'logs', :outcome,"
                        " 'high', 'enforce', false, false)"
                    ).bindparams(bindparam("at", type_=UTCDateTime())),
                    {"id": run, "at": clock(), "outcome": ("fail", "pass")[run - 1]},
                )
        app.init()
        service = compliance_service(app)
        assert [str(v.outcome) for v in service.results(1)] == ["fail"]
        assert [str(v.outcome) for v in service.results(2)] == ["pass"]
    finally:
        app.close()


def _result_schema(app: App) -> list[str]:
    return definitions(app.engine, "policy_result")


class _ClockStopped(Exception):
    """Raised by the clock when the run asks for its finishing time."""


def test_a_first_audit_into_the_empty_table_keeps_its_indexes(
    app: App, sample: Inventory, clock: FakeClock
) -> None:
    before = _result_schema(app)
    assert sum("CREATE INDEX" in s for s in before) == 2
    violations_before = definitions(app.engine, "policy_violation")
    assert sum("CREATE INDEX" in s for s in violations_before) == 4
    times = iter([clock()])

    def stops() -> datetime:
        return next(times, None) or _stop()

    failing = ComplianceService(app.sessions, stops, lambda: None)
    with pytest.raises(_ClockStopped):  # after every row is written and indexed
        failing.audit()
    assert _result_schema(app) == before
    assert definitions(app.engine, "policy_violation") == violations_before
    with app.sessions() as session:
        assert session.exec(select(func.count()).select_from(PolicyResult)).one() == 0
        assert session.exec(select(func.count()).select_from(PolicyViolation)).one() == 0
    service = compliance_service(app)
    first = service.audit()
    assert _result_schema(app) == before
    assert definitions(app.engine, "policy_violation") == violations_before
    assert first.id is not None and _written_by(app, first.id) == first.results > 0
    assert first.opened > 0
    with app.sessions() as session:  # the rebuilt indexes hold the loaded rows
        by_system = select(func.count()).where(col(PolicyResult.system) == "sso-portal")
        assert session.exec(by_system.select_from(PolicyResult)).one() == len(
            service.results(first.id, system="sso-portal")
        )
        open_ones = select(func.count()).where(col(PolicyViolation.state) == "open")
        assert session.exec(open_ones.select_from(PolicyViolation)).one() == len(
            service.violations(state="open")
        )


def _stop() -> datetime:
    raise _ClockStopped


def test_stored_digests_are_those_of_the_stored_rows(app: App, sample: Inventory) -> None:
    # the writer digests each result's text once per shared result object; the digest
    # must stay digest_of(rows), or runs stored before would all be rewritten
    run = compliance_service(app).audit()
    assert run.id is not None
    by_subject: dict[tuple[str, str], list[tuple[object, ...]]] = {}
    for row in sorted(_rows(app, run.id), key=lambda r: r.id or 0):
        values = tuple(getattr(row, name) for name in COLUMNS)
        by_subject.setdefault((row.subject_kind, row.subject_id), []).append(values)
    with app.sessions() as session:
        stored = {
            (d.subject_kind, d.subject_id): d.digest
            for d in session.exec(select(PolicySubjectDigest))
        }
    assert stored == {key: digest_of(rows) for key, rows in by_subject.items()}
