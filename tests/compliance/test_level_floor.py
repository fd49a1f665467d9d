"""The 等保 level floor in the continuous audit, on SQLite and PostgreSQL.

Cases: an estate with no ``policies:`` section still audits every system against the
packs of its own level (a level-3 system's RDP open to the internet fails
MLPS-L1-NET-02 in enforce mode; the report lists the level's rules); an advisory
opt-out is refused without its reason and 文号, and once declared it is written to the
audit log at ``estate apply``, repeated by every audit run and every report, and the
floor's rules only warn.
"""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from controlplane.app import App
from controlplane.compliance import compliance_service
from controlplane.compliance.store import held_at
from controlplane.db.models import AuditEvent
from controlplane.db.tables_compliance import PolicyResult
from controlplane.estate.schema import parse_estate
from policies.reports import render_markdown
from tenants import ManifestError, load_yaml_documents

from .conftest import ESTATE, Inventory

OPT_OUT = """\
  policies:
    levelBaseline:
      mode: advisory
      reason: 系统迁移期间按省数管局批复暂缓强制
      reference: 省数管〔2026〕12号
"""


def _estate_text(policies: str = "") -> str:
    text = ESTATE.read_text(encoding="utf-8")
    return text[: text.index("  policies:")] + policies


def _apply(app: App, text: str) -> None:
    (doc,) = load_yaml_documents(text, "estate.yaml")
    app.estate.apply(parse_estate([doc], "estate.yaml"), actor="ops")


def _populate(app: App) -> None:
    inv = Inventory(app)
    sso = inv.system("hrss", "sso-portal", 3, provider="prov-main")
    inv.resource(
        sso,
        "security_group",
        "sg-rdp",
        {"attached_ports": 1, "ingress": [{"source": "internet", "port_min": 3389}]},
        "prov-main",
    )


def _result(app: App, run_id: int, rule: str, subject: str) -> PolicyResult:
    with app.sessions() as session:
        query = (
            select(PolicyResult)
            .where(held_at(run_id))
            .where(col(PolicyResult.rule_id) == rule)
            .where(col(PolicyResult.subject_id) == subject)
        )
        return session.exec(query).one()


def _events(app: App, action: str) -> list[AuditEvent]:
    with app.sessions() as session:
        return list(session.exec(select(AuditEvent).where(col(AuditEvent.action) == action)))


def test_estate_without_policies_audits_against_the_level_floor(app: App) -> None:
    _apply(app, _estate_text())
    _populate(app)
    service = compliance_service(app)
    run = service.audit()
    assert run.id is not None
    rdp = _result(app, run.id, "MLPS-L1-NET-02", "sg-rdp")
    assert (rdp.outcome, rdp.enforcement) == ("fail", "enforce")
    assert "3389" in (rdp.message_en or "")
    report = service.report("sso-portal")
    rules = {spec.id for control in report.controls for spec in control.rules}
    assert {"MLPS-L3-NET-03", "MLPS-L1-NET-02", "MLPS-L2-PLT-01"} & rules
    assert report.opt_out is None
    assert _events(app, "policy.baseline.advisory") == []


def test_advisory_opt_out_needs_reason_and_reference() -> None:
    text = _estate_text("  policies:\n    levelBaseline: {mode: advisory}\n")
    (doc,) = load_yaml_documents(text, "estate.yaml")
    with pytest.raises(ManifestError) as caught:
        parse_estate([doc], "estate.yaml")
    paths = sorted(p.path for p in caught.value.problems)
    assert paths == [
        "spec.policies.levelBaseline.reason",
        "spec.policies.levelBaseline.reference",
    ]
    assert all(p.location is not None for p in caught.value.problems)


def test_weakening_a_floor_rule_without_opt_out_is_refused() -> None:
    text = _estate_text(
        "  policies:\n    baseline:\n      rules:\n        MLPS-L1-NET-02: {mode: warn}\n"
    )
    (doc,) = load_yaml_documents(text, "estate.yaml")
    with pytest.raises(ManifestError) as caught:
        parse_estate([doc], "estate.yaml")
    (problem,) = caught.value.problems
    assert problem.path == "spec.policies.baseline.rules.MLPS-L1-NET-02.mode"
    assert "levelBaseline" in problem.message


def test_advisory_opt_out_warns_everywhere_and_is_audited(app: App) -> None:
    _apply(app, _estate_text(OPT_OUT))
    [event] = _events(app, "policy.baseline.advisory")
    assert event.payload["reference"] == "省数管〔2026〕12号"
    assert event.subject == "estate/compliance-province"
    _populate(app)
    service = compliance_service(app)
    run = service.audit()
    assert run.id is not None
    rdp = _result(app, run.id, "MLPS-L1-NET-02", "sg-rdp")
    assert (rdp.outcome, rdp.enforcement) == ("fail", "warn")
    [audited] = _events(app, "policy.audit")
    assert audited.payload["baselineOptOut"]["reference"] == "省数管〔2026〕12号"
    report = service.report("sso-portal")
    assert report.opt_out is not None
    assert "省数管〔2026〕12号" in render_markdown(report, "zh")
    assert "advisory" in render_markdown(report, "en")
