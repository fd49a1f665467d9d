"""The continuous policy audit as a ``govcloud serve`` job, with a controllable clock.

Cases: a waiver expiring at a given instant still covers its finding at an audit job
that fires before that instant, and the first audit job that fires after it turns the
finding back into an open violation on the same episode — nobody runs ``policy audit``.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from controlplane.app import App
from controlplane.compliance import StaticRoles, waiver_service
from controlplane.db.tables_compliance import PolicyViolation
from controlplane.scheduler.catalog import catalog
from controlplane.scheduler.daemon import Replica, ReplicaOptions
from policies import WaiverScope
from tests.conftest import FakeClock

from .conftest import Inventory


def _episode(app: App) -> PolicyViolation:
    with app.sessions() as session:
        [row] = session.exec(
            select(PolicyViolation).where(col(PolicyViolation.rule_id) == "DATA-IMP-02")
        ).all()
        return row


def test_an_expired_waiver_lapses_at_the_next_audit_job(
    app: App, sample: Inventory, clock: FakeClock
) -> None:
    specs = [s for s in catalog([], {"policy-audit": {"every": 600}}) if s.name == "policy-audit"]
    replica = Replica(app, ReplicaOptions(name="replica-a"), specs=lambda: specs)
    waivers = waiver_service(app, StaticRoles({"sec-lead": ["approver"], "ops": ["operator"]}))
    expires = clock() + timedelta(hours=1)
    asked = waivers.request(
        rule_id="DATA-IMP-02", scope=WaiverScope.RESOURCE, target="vol-plain",
        reason="迁移排期 / migration scheduled", expires_at=expires, requester="ops",
    )  # fmt: skip
    waivers.approve(asked.id or 0, approver="sec-lead")

    def fire() -> None:
        replica.lead_once()
        assert replica.run_job_once() == "policy-audit"

    try:
        fire()  # t0
        waived = _episode(app)
        assert (waived.state, waived.waiver_id) == ("waived", f"W-{asked.id}")
        clock.now = expires - timedelta(seconds=1)
        fire()  # missed firings coalesced into one, at 59:59 — the waiver still holds
        assert _episode(app).state == "waived"
        clock.now = expires + timedelta(seconds=1)
        fire()  # the firing due at t0 + 1h (= the expiry), run just after it
        lapsed = _episode(app)
        assert (lapsed.id, lapsed.state, lapsed.waiver_id) == (waived.id, "open", None)
    finally:
        replica.election.release()
