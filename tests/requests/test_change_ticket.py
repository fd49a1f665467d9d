"""Manifest labels and annotations: stored with the request, change tickets for 等保 3+.

Cases: ``metadata.annotations.changeTicket`` reaches the policy view MLPS-L3-CHG-01
reads (and is absent without the annotation); ``apply`` stores the manifest's labels
and annotations on the request it records (SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime

from controlplane.app import App
from controlplane.planning.admission import plan_view
from controlplane.requests import request_service
from tenants import load_requests
from tests.governance.support import CataloguePlanner, apply_estate, manifest_text


def _with_meta(text: str) -> str:
    return text.replace(
        "metadata: {name: portal, tenant: hrss}",
        "metadata: {name: portal, tenant: hrss, labels: {tier: web},"
        " annotations: {changeTicket: CHG-2026-7}}",
    )


def test_change_ticket_reaches_the_policy_view() -> None:
    (parsed,) = load_requests(_with_meta(manifest_text(level=3)), name="m.yaml")
    (plain,) = load_requests(manifest_text(level=3), name="m.yaml")
    at = datetime(2026, 3, 1, tzinfo=UTC)
    ticketed = plan_view(
        parsed.request, as_of=at, province="p", images={}, site=None, is_update=True
    )
    assert ticketed.change_ticket == "CHG-2026-7"
    bare = plan_view(plain.request, as_of=at, province="p", images={}, site=None, is_update=True)
    assert bare.change_ticket is None
    assert parsed.spec_hash() == plain.spec_hash()


def test_apply_stores_labels_and_annotations(app: App) -> None:
    apply_estate(app)
    (parsed,) = load_requests(_with_meta(manifest_text(level=2)), name="m.yaml")
    result = request_service(app, CataloguePlanner(app)).apply(parsed, actor="local-operator")
    assert result.request is not None
    assert result.request.plan["metadata"] == {
        "labels": {"tier": "web"},
        "annotations": {"changeTicket": "CHG-2026-7"},
    }
