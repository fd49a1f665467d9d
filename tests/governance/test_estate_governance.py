"""The estate's governance sections: principals, quotas, approval chain.

Cases: apply stores every principal (roles, tenant), quota (limits, unlimited fields as
None) and approval step (chain order, condition); re-applying is a no-op row for row
with no audit event; changing a quota limit updates exactly that row and is audited;
each broken section is refused with a located error naming the field (unknown tenant or
provider in a quota, a department principal with no tenant, a tenant on a non-department
principal, a duplicate principal, a duplicate quota, a step with two conditions, an
unknown role) and nothing is written.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from controlplane.app import App
from controlplane.db.models import AuditEvent
from controlplane.estate.schema import EstateDocument, parse_estate
from tenants import ManifestError, load_yaml_documents
from tests.controlplane.dbdump import snapshot

from .support import GOVERNED, apply_estate


def _edited(old: str, new: str) -> EstateDocument:
    text = GOVERNED.read_text()
    assert old in text
    edited = text.replace(old, new)
    return parse_estate(load_yaml_documents(edited, "edited.yaml"), "edited.yaml")


def test_sections_are_stored(app: App) -> None:
    apply_estate(app)
    principals = {p.name: p for p in app.estate.principals()}
    assert principals["hrss-wang"].roles == ["department"]
    assert principals["hrss-wang"].tenant == "hrss"
    assert principals["bdb-zhang"].tenant is None
    quotas = {(q.tenant, q.provider): q for q in app.estate.quotas()}
    hrss = quotas["hrss", "prov-sim"]
    assert (hrss.vcpu, hrss.memory_gib, hrss.storage_gib, hrss.public_ips, hrss.namespaces) == (
        100,
        400,
        5000,
        4,
        2,
    )
    assert quotas["city-a-edu", "city-a-sim"].memory_gib is None
    chain = app.estate.approval_chain()
    assert [(s.name, s.role, s.condition) for s in chain] == [
        ("big-data-bureau", "approver", {"minLevel": 3}),
        ("finance-budget", "finance", {"overBudget": True}),
    ]


def test_reapply_is_a_no_op(app: App) -> None:
    apply_estate(app)
    before = snapshot(app.engine)
    apply_estate(app)
    assert snapshot(app.engine) == before


def test_quota_change_updates_that_row_and_is_audited(app: App) -> None:
    apply_estate(app)
    result = app.estate.apply(
        _edited(
            "{tenant: city-a-edu, provider: city-a-sim, vcpu: 16}",
            "{tenant: city-a-edu, provider: city-a-sim, vcpu: 32}",
        ),
        actor="ops-li",
    )
    assert [(c.entity, c.key, c.action, c.fields) for c in result.changes] == [
        ("quota", "city-a-edu/city-a-sim", "update", ("vcpu",))
    ]
    with app.sessions() as session:
        last = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()  # type: ignore[union-attr]
    assert last is not None and last.action == "estate.apply" and last.actor == "ops-li"
    assert ["quota", "city-a-edu/city-a-sim", "update", ["vcpu"]] in last.payload["changes"]


BROKEN = [
    (
        "{tenant: city-a-edu, provider: city-a-sim, vcpu: 16}",
        "{tenant: nobody, provider: city-a-sim, vcpu: 16}",
        "spec.quotas[1].tenant",
        "unknown tenant",
    ),
    (
        "{tenant: city-a-edu, provider: city-a-sim, vcpu: 16}",
        "{tenant: city-a-edu, provider: mars, vcpu: 16}",
        "spec.quotas[1].provider",
        "unknown provider",
    ),
    (
        "{tenant: city-a-edu, provider: city-a-sim, vcpu: 16}",
        "{tenant: hrss, provider: prov-sim, vcpu: 16}",
        "spec.quotas[1]",
        "duplicate quota",
    ),
    (
        "{name: edu-liu, roles: [department], tenant: city-a-edu}",
        "{name: edu-liu, roles: [department]}",
        "spec.principals[7]",
        "one tenant",
    ),
    (
        "{name: fin-chen, roles: [finance]}",
        "{name: fin-chen, roles: [finance], tenant: hrss}",
        "spec.principals[4].tenant",
        "only department",
    ),
    (
        "{name: bdb-wu, roles: [approver]}",
        "{name: bdb-zhang, roles: [approver]}",
        "spec.principals[3].name",
        "duplicate principal",
    ),
    (
        "{name: hrss-wang, roles: [department], tenant: hrss}",
        "{name: hrss-wang, roles: [department], tenant: hrs}",
        "spec.principals[6].tenant",
        "unknown tenant",
    ),
    (
        "when: {minLevel: 3}",
        "when: {minLevel: 3, always: true}",
        "spec.approvals[0].when",
        "exactly one condition",
    ),
    (
        "{name: audit-zhou, roles: [auditor]}",
        "{name: audit-zhou, roles: [auditer]}",
        "spec.principals[5].roles[0]",
        "",
    ),
]


@pytest.mark.parametrize(("old", "new", "path", "message"), BROKEN)
def test_broken_sections_are_located(app: App, old: str, new: str, path: str, message: str) -> None:
    apply_estate(app)
    before = snapshot(app.engine)
    with pytest.raises(ManifestError) as caught:
        app.estate.apply(_edited(old, new), actor="ops-li")
    problems = caught.value.problems
    assert any(p.path == path and message in str(p) for p in problems), [str(p) for p in problems]
    assert all(p.location is not None and p.location.line > 0 for p in problems)
    assert snapshot(app.engine) == before
