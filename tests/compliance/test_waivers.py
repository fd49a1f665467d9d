"""Waivers through the service, on SQLite and PostgreSQL.

Cases: a request for a critical rule, without expiry, with a past or too-distant expiry,
without a reason or for an unknown target is refused and stores nothing; approval by
the requester, by someone without the approver role, or by a principal the estate does
not record is refused and leaves the request pending; a granted waiver turns the
covered failure into ``waived`` (result and violation) and is in the audit log; once
it expires, the next run shows the failure as a violation again on the same episode.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from controlplane.app import App
from controlplane.compliance import (
    StaticRoles,
    WaiverService,
    compliance_service,
    waiver_service,
)
from controlplane.db.models import AuditEvent
from controlplane.db.tables_compliance import PolicyViolation, PolicyWaiver
from policies import Outcome, WaiverRefused, WaiverScope

from .conftest import Inventory

ROLES = StaticRoles({"sec-lead": ["approver"], "ops": ["operator"], "dept-user": ["department"]})


def _service(app: App) -> WaiverService:
    return waiver_service(app, ROLES)


def _request(app: App, **changes: object) -> PolicyWaiver:
    values: dict[str, object] = {
        "rule_id": "DATA-IMP-02",
        "scope": WaiverScope.RESOURCE,
        "target": "vol-plain",
        "reason": "加密卷迁移排期至下季度 / encrypted migration scheduled next quarter",
        "expires_at": app.clock() + timedelta(days=2),
        "requester": "ops",
    }
    values.update(changes)
    return _service(app).request(**values)  # type: ignore[arg-type]


def _waiver_count(app: App) -> int:
    with app.sessions() as session:
        return len(list(session.exec(select(PolicyWaiver))))


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"rule_id": "MLPS-L1-LOC-01"}, "cannot be waived"),
        ({"expires_at": None}, "expiry is mandatory"),
        ({"expires_at": "past"}, "in the past"),
        ({"expires_at": "far"}, "at most 366 days"),
        ({"reason": "  "}, "reason is required"),
        ({"target": "no-such-volume"}, "no resource named no-such-volume"),
        ({"rule_id": "NOPE-01"}, "no rule NOPE-01"),
    ],
)
def test_request_refused_stores_nothing(
    app: App, sample: Inventory, changes: dict[str, object], said: str
) -> None:
    if changes.get("expires_at") == "past":
        changes["expires_at"] = app.clock() - timedelta(minutes=1)
    if changes.get("expires_at") == "far":
        changes["expires_at"] = app.clock() + timedelta(days=400)
    with pytest.raises(WaiverRefused, match=said):
        _request(app, **changes)
    assert _waiver_count(app) == 0


def test_approval_refusals_leave_the_request_pending(app: App, sample: Inventory) -> None:
    asked = _request(app, requester="sec-lead")
    assert asked.id is not None
    with pytest.raises(WaiverRefused, match="cannot approve their own"):
        _service(app).approve(asked.id, approver="sec-lead")
    with pytest.raises(WaiverRefused, match="dept-user does not hold the approver role"):
        _service(app).approve(asked.id, approver="dept-user")
    # the estate's principals are the default directory; nobody is declared here
    with pytest.raises(WaiverRefused, match="cannot verify that someone holds the approver"):
        waiver_service(app).approve(asked.id, approver="someone")
    [stored] = _service(app).list()
    assert (stored.state, stored.approver, stored.approved_at) == ("requested", None, None)


def test_waived_then_expired_becomes_a_violation_again(
    app: App, sample: Inventory, clock: object
) -> None:
    audits = compliance_service(app)
    first = audits.audit()
    asked = _request(app)
    assert asked.id is not None
    granted = _service(app).approve(asked.id, approver="sec-lead")
    assert (granted.state, granted.approver) == ("approved", "sec-lead")
    with pytest.raises(WaiverRefused, match="already approved"):
        _service(app).approve(asked.id, approver="sec-lead")

    clock.advance(hours=1)  # type: ignore[attr-defined]
    audits.audit()
    [waived] = [
        v for v in audits.results() if (v.rule_id, v.subject_id) == ("DATA-IMP-02", "vol-plain")
    ]
    assert (waived.outcome, waived.waiver_id) == (Outcome.WAIVED, f"W-{asked.id}")
    with app.sessions() as session:
        [episode] = session.exec(
            select(PolicyViolation).where(col(PolicyViolation.rule_id) == "DATA-IMP-02")
        ).all()
    assert (episode.state, episode.waiver_id, episode.opened_run_id) == (
        "waived",
        f"W-{asked.id}",
        first.id,
    )

    clock.advance(days=2)  # past the expiry
    audits.audit()
    [failing] = [
        v for v in audits.results() if (v.rule_id, v.subject_id) == ("DATA-IMP-02", "vol-plain")
    ]
    assert (failing.outcome, failing.waiver_id) == (Outcome.FAIL, None)
    with app.sessions() as session:
        [again] = session.exec(
            select(PolicyViolation).where(col(PolicyViolation.rule_id) == "DATA-IMP-02")
        ).all()
        actions = [
            e.action
            for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.seq)))
            if e.action.startswith("policy.waiver")
        ]
    assert (again.id, again.state, again.waiver_id) == (episode.id, "open", None)
    assert actions == ["policy.waiver.request", "policy.waiver.approve"]


def test_system_scoped_waiver_covers_the_systems_findings(app: App, sample: Inventory) -> None:
    asked = _request(app, rule_id="MLPS-L2-GOV-01", scope=WaiverScope.SYSTEM, target="sso-portal")
    assert asked.id is not None
    _service(app).approve(asked.id, approver="sec-lead")
    compliance_service(app).audit()
    outcomes = {
        v.subject_id: v.outcome
        for v in compliance_service(app).results()
        if v.rule_id == "MLPS-L2-GOV-01"
    }
    # the filing is checked once, on the system record; its resources are bound and graded
    assert outcomes["hrss/sso-portal"] is Outcome.WAIVED
    assert {outcomes[r] for r in ("vol-good", "vol-plain", "sg-web")} == {Outcome.PASS}
