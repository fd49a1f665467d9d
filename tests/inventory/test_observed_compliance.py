"""Compliance views over observed inventory, on SQLite and PostgreSQL.

Cases: after a sync, a server govcloud provisioned carries the request id provisioning
recorded for its cloud id (what MLPS-L3-IDS-01 reads), and a server made by hand
carries none — whatever tags either has; the hand-made one, bound to no system, is
judged by MLPS-L3-IDS-01 (fail) instead of being left ``not_evaluable``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from controlplane.compliance.views import Inventory
from policies.binding import BoundRule
from policies.engine import evaluate_resource
from policies.registry import get_rule
from policies.verdicts import Enforcement
from providers import DesiredResource

from .conftest import World, server


def test_request_id_comes_from_what_provisioning_recorded(world: World) -> None:
    (own,) = world.apply([server("web-0")])
    (rogue,) = world.sim.add_unmanaged([DesiredResource("server", "hand-made", {"vcpu": 1})])
    world.service().sync("sim-health", actor="ops")
    with world.app.sessions() as session:
        views = {v.id: v for v, _ in Inventory(session).resource_views() if v.kind == "server"}
    assert views[own.resource_id or ""].attrs["request_id"] == "req-1"
    assert views[rogue].attrs["request_id"] is None

    rule = get_rule("MLPS-L3-IDS-01")
    bound = BoundRule(rule, Enforcement.ENFORCE, rule.spec.default_params())
    (verdict,) = evaluate_resource(bound, views[rogue], datetime(2026, 3, 1, tzinfo=UTC))
    assert verdict.outcome == "fail"
