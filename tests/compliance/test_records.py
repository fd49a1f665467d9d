"""等保 records as data: admission warns, the continuous audit counts them after go-live.

On SQLite and PostgreSQL, with mlps-l3 bound and a controllable clock:
- a request carrying complete, current records (filing, grading evidence, assessment,
  boundary approval, data-security officer, risk assessment) on a provider with its own
  assessment and an image with digest and signature is admitted with no warning, and
  provisioning stores the records with the system;
- each missing or expired fact (one test per fact) is admitted with a deferred warning
  naming its rule and manifest field; the audit inside the 30-day grace period after
  go-live reports it without opening a violation, and the audit after the grace period
  opens a violation naming the same rule and field;
- a configured grace period (``paperworkGraceDays``) is honoured;
- estate-held facts (the image's signature, the provider's assessment) warn at admission;
- malformed or future-dated records are refused with located errors;
- a plan's policy view reads the records off the validated spec with the same facts
  as from the records stored with the system (each fact present or absent, no records,
  an internal-only system).
"""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import col, select

from controlplane.app import App
from controlplane.compliance import compliance_service
from controlplane.db.models import System
from controlplane.db.tables_compliance import PolicyViolation
from controlplane.estate.schema import parse_estate
from controlplane.planning import Plan, PlanService
from controlplane.records import planned_record_facts, stored_records, system_record_facts
from controlplane.requests import provisioner, request_service
from controlplane.requests.from_plan import PlanServicePlanner
from tenants import ManifestError, load_requests, load_yaml_documents
from tests.conftest import FakeClock

HERE = Path(__file__).with_name("records")
ESTATE = HERE / "estate.yaml"
COMPLETE: dict[str, Any] = yaml.safe_load((HERE / "complete.yaml").read_text(encoding="utf-8"))
ACTOR = "local-operator"


def _estate(edit: Any = None) -> str:
    """The estate's text after ``edit`` changed its parsed document in place."""
    doc = yaml.safe_load(ESTATE.read_text(encoding="utf-8"))
    if edit is not None:
        edit(doc["spec"])
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def _apply_estate(app: App, text: str | None = None) -> None:
    body = text if text is not None else ESTATE.read_text(encoding="utf-8")
    app.estate.apply(
        parse_estate(load_yaml_documents(body, "estate.yaml"), "estate.yaml"), actor="ops"
    )


def _manifest(**records: Any) -> str:
    """The complete manifest with ``records`` changed (None removes a fact)."""
    doc = deepcopy(COMPLETE)
    for key, value in records.items():
        if value is None:
            doc["spec"]["records"].pop(key)
        else:
            doc["spec"]["records"][key] = value
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def _plan(app: App, text: str) -> Plan:
    [parsed] = load_requests(text, name="sso-portal.yaml")
    return PlanService(app.sessions, app.clock).plan(parsed, principal="ops")


def _provision(app: App, text: str) -> None:
    [parsed] = load_requests(text, name="sso-portal.yaml")
    planner = PlanServicePlanner(PlanService(app.sessions, app.clock, app.settings))
    result = request_service(app, planner).apply(parsed, actor=ACTOR)
    assert result.request is not None and result.request.id is not None
    assert result.request.state == "Approved", result.request.state
    outcome = provisioner(app).provision(result.request.id, actor=ACTOR)
    assert outcome.state == "Ready", outcome


def _violations(app: App, rule: str) -> list[PolicyViolation]:
    with app.sessions() as session:
        query = select(PolicyViolation).where(col(PolicyViolation.rule_id) == rule)
        return [v for v in session.exec(query) if v.subject_kind == "system"]


def test_complete_current_records_are_admitted_without_warning(app: App, clock: FakeClock) -> None:
    _apply_estate(app)
    text = _manifest()
    plan = _plan(app, text)
    assert plan.exit_code == 0 and "mlps-l3" in plan.policy.packs
    assert plan.policy.warnings == () and plan.policy.denials == ()
    _provision(app, text)
    with app.sessions() as session:
        system = session.exec(select(System).where(col(System.name) == "sso-portal")).one()
    assert system.records["filingNumber"] == "44010043084-20001"
    assert system.records["assessment"]["conclusion"] == "符合"
    assert system.records["internetFacing"] is True
    clock.advance(days=40)
    compliance_service(app).audit()
    for rule in ("MLPS-L2-GOV-01", "MLPS-L3-GOV-02", "MLPS-L1-NET-05", "DATA-IMP-03"):
        assert _violations(app, rule) == [], rule


FACTS = [
    pytest.param(
        {"filingNumber": None}, "MLPS-L2-GOV-01", "spec.records.filingNumber", id="filing"
    ),
    pytest.param(
        {"gradingEvidence": None}, "MLPS-L2-GOV-01", "spec.records.gradingEvidence", id="grading"
    ),
    pytest.param(
        {"assessment": None}, "MLPS-L3-GOV-02", "spec.records.assessment", id="assessment"
    ),
    pytest.param(
        {
            "assessment": {
                "date": "2024-12-01",
                "agency": "广东省网络安全等级测评中心",
                "conclusion": "符合",
            }
        },
        "MLPS-L3-GOV-02",
        "spec.records.assessment.date",
        id="assessment-expired",
    ),
    pytest.param(
        {"boundaryApproval": None}, "MLPS-L1-NET-05", "spec.records.boundaryApproval", id="boundary"
    ),
    pytest.param(
        {"dataSecurityOfficer": None},
        "DATA-IMP-03",
        "spec.records.dataSecurityOfficer",
        id="officer",
    ),
    pytest.param(
        {"riskAssessedOn": None}, "DATA-IMP-03", "spec.records.riskAssessedOn", id="risk-assessment"
    ),
    pytest.param(
        {"riskAssessedOn": "2025-01-10"},
        "DATA-IMP-03",
        "spec.records.riskAssessedOn",
        id="risk-assessment-expired",
    ),
]


@pytest.mark.parametrize(("change", "rule", "field"), FACTS)
def test_missing_or_expired_fact_warns_then_violates_after_grace(
    app: App, clock: FakeClock, change: dict[str, Any], rule: str, field: str
) -> None:
    _apply_estate(app)
    text = _manifest(**change)
    plan = _plan(app, text)
    assert plan.exit_code == 0, [(v.rule_id, v.field) for v in plan.policy.denials]
    warned = [(v.rule_id, v.field, v.deferred) for v in plan.policy.warnings]
    assert warned == [(rule, field, True)]
    for message in (plan.policy.warnings[0].message_zh, plan.policy.warnings[0].message_en):
        assert rule in message and field in message

    _provision(app, text)
    service = compliance_service(app)
    clock.advance(days=29)
    service.audit()
    within = [v for v in service.results() if v.rule_id == rule and v.subject_kind == "system"]
    assert [(v.outcome, v.field, v.deferred) for v in within if v.outcome == "fail"] == [
        ("fail", field, True)
    ]
    assert _violations(app, rule) == []

    clock.advance(days=2)
    service.audit()
    [violation] = _violations(app, rule)
    assert (violation.state, violation.field) == ("open", field)
    assert rule in (violation.message_en or "") and field in (violation.message_en or "")


def test_configured_grace_period_is_honoured(app: App, clock: FakeClock) -> None:
    _apply_estate(app, _estate(lambda spec: spec["policies"].update(paperworkGraceDays=7)))
    _provision(app, _manifest(filingNumber=None))
    clock.advance(days=8)
    compliance_service(app).audit()
    [violation] = _violations(app, "MLPS-L2-GOV-01")
    assert violation.field == "spec.records.filingNumber"


def _unsigned_image(spec: dict[str, Any]) -> None:
    del spec["catalog"]["images"][0]["signature"]


def _expired_provider_certificate(spec: dict[str, Any]) -> None:
    spec["providers"][0]["assessment"]["validUntil"] = "2026-02-01"


@pytest.mark.parametrize(
    ("edit", "rule", "field"),
    [
        pytest.param(_unsigned_image, "MLPS-L2-IMG-02", "spec.compute[0].image", id="image"),
        pytest.param(
            _expired_provider_certificate,
            "MLPS-L2-CSP-01",
            "spec.placement.provider",
            id="provider-certificate-expired",
        ),
    ],
)
def test_estate_held_facts_warn_at_admission(app: App, edit: Any, rule: str, field: str) -> None:
    _apply_estate(app, _estate(edit))
    plan = _plan(app, _manifest())
    assert plan.exit_code == 0
    warned = {(v.rule_id, v.field) for v in plan.policy.warnings}
    assert {r for r, _ in warned} == {rule}
    assert all(v.deferred for v in plan.policy.warnings)
    assert (rule, field) in warned


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"filingNumber": "4401-0043084"}, "spec.records.filingNumber"),
        ({"riskAssessedOn": "2099-01-01"}, "spec.records.riskAssessedOn"),
        (
            {"assessment": {"date": "2026-02-01", "agency": "某中心", "conclusion": "优秀"}},
            "spec.records.assessment.conclusion",
        ),
    ],
)
def test_malformed_records_are_located(change: dict[str, Any], path: str) -> None:
    with pytest.raises(ManifestError) as caught:
        load_requests(_manifest(**change), name="sso-portal.yaml")
    [problem] = caught.value.problems
    assert problem.path == path and problem.location is not None


def _provider_assessed_long_ago(spec: dict[str, Any]) -> None:
    spec["providers"][0]["assessment"]["date"] = "2025-02-01"


def _provider_certificate_lapsing(spec: dict[str, Any]) -> None:
    spec["providers"][0]["assessment"]["validUntil"] = "2026-03-20"


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        pytest.param(_provider_assessed_long_ago, "assessment.date", id="assessment-too-old"),
        pytest.param(
            _provider_certificate_lapsing, "assessment.validUntil", id="certificate-lapsed"
        ),
    ],
)
def test_provider_facts_that_lapse_after_go_live_become_violations(
    app: App, clock: FakeClock, edit: Any, field: str
) -> None:
    """The cloud's own assessment is audited continuously, not only at admission.

    A system admitted onto a compliant cloud is in violation once that cloud's
    assessment grows too old or its certificate lapses, named at the estate's field.
    """
    _apply_estate(app)
    _provision(app, _manifest())
    service = compliance_service(app)
    service.audit()
    assert _violations(app, "MLPS-L2-CSP-01") == []

    _apply_estate(app, _estate(edit))
    clock.advance(days=40)
    service.audit()
    [violation] = _violations(app, "MLPS-L2-CSP-01")
    assert violation.state == "open"
    assert violation.field == f"providers[prov-main].{field}"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({}, id="complete"),
        *[pytest.param(fact.values[0], id=fact.id) for fact in FACTS],
        pytest.param(dict.fromkeys(COMPLETE["spec"]["records"]), id="no-records"),
        pytest.param({"assessment": {**COMPLETE["spec"]["records"]["assessment"], "report": None}},
                     id="assessment-without-report"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("ingress", ["internet", "10.20.0.0/16"])
def test_planned_record_facts_are_the_stored_ones(change: dict[str, Any], ingress: str) -> None:
    doc = yaml.safe_load(_manifest(**change))
    doc["spec"]["network"]["ingress"][0]["from"] = ingress
    [parsed] = load_requests(yaml.safe_dump(doc, allow_unicode=True), name="sso-portal.yaml")
    spec = parsed.request.spec
    assert planned_record_facts(spec) == system_record_facts(stored_records(spec))
