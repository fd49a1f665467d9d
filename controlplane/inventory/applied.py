"""What govcloud applied: the desired side of drift, recorded by provisioning.

Owns ``record_applied`` — called by the provisioning service in the transaction that
stores an apply or delete result — which keeps one ``AppliedResource`` row per cloud
resource govcloud holds (spec as applied; deleted resources forgotten). Inventory sync
compares observed specs against these rows ("changed") and reports rows without a live
resource ("missing").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from controlplane import audit
from controlplane.db.tables_inventory import AppliedResource
from controlplane.inventory.compare import plain_spec
from providers import ApplyOutcome, DesiredResource, SystemRef

__all__ = ["forget_system", "record_applied"]

_HELD = frozenset({"created", "updated", "unchanged"})
_GONE = frozenset({"deleted", "absent"})


def _forget_replaced(
    session: Session, provider_id: int, system_id: int | None, outcome: ApplyOutcome
) -> int:
    """Drop the record of an earlier resource this one replaced (same system, kind, name)."""
    stale = session.exec(
        select(AppliedResource).where(
            col(AppliedResource.provider_id) == provider_id,
            col(AppliedResource.system_id) == system_id,
            col(AppliedResource.kind) == outcome.kind,
            col(AppliedResource.name) == outcome.name,
            col(AppliedResource.resource_id) != outcome.resource_id,
        )
    ).all()
    for row in stale:
        session.delete(row)
    return len(stale)


def forget_system(
    session: Session, *, provider_id: int, system_id: int, at: datetime, actor: str
) -> int:
    """Forget everything applied for a system deleted cleanly.

    A driver's delete reports the resources it removed, but parts that go with them (a
    group's rules, a subnet) are not reported one by one: without this they would stay
    "desired" and show as ``missing`` after a clean delete.
    """
    rows = session.exec(
        select(AppliedResource).where(
            col(AppliedResource.provider_id) == provider_id,
            col(AppliedResource.system_id) == system_id,
        )
    ).all()
    for row in rows:
        session.delete(row)
    if rows:
        audit.append(
            session,
            at=at,
            actor=actor,
            action="inventory.forgotten",
            subject=str(system_id),
            payload={"provider_id": provider_id, "rows": len(rows)},
        )
    session.flush()
    return len(rows)


def record_applied(
    session: Session,
    *,
    provider_id: int,
    system_id: int | None,
    system: SystemRef,
    desired: Sequence[DesiredResource],
    outcomes: Sequence[ApplyOutcome],
    at: datetime,
    actor: str,
) -> int:
    """Remember what ``outcomes`` left in the cloud; returns how many rows changed.

    Outcomes the driver added on its own (a namespace, a default-deny policy) are held
    with an empty spec: they can go missing but have no keys to drift on.
    """
    specs = {(item.kind, item.name): plain_spec(item.spec) for item in desired}
    changed = 0
    for outcome in outcomes:
        if outcome.resource_id is None:
            continue
        row = session.exec(
            select(AppliedResource).where(
                col(AppliedResource.provider_id) == provider_id,
                col(AppliedResource.kind) == outcome.kind,
                col(AppliedResource.resource_id) == outcome.resource_id,
            )
        ).first()
        if outcome.action in _GONE:
            if row is not None:
                session.delete(row)
                changed += 1
            continue
        if outcome.action not in _HELD:
            continue
        spec = {**specs.get((outcome.kind, outcome.name), {}), **plain_spec(outcome.facts)}
        changed += _forget_replaced(session, provider_id, system_id, outcome)
        if row is None:
            row = AppliedResource(
                provider_id=provider_id,
                kind=outcome.kind,
                resource_id=outcome.resource_id,
                name=outcome.name,
            )
        elif (row.spec, row.system_id, row.name, row.request_id) == (
            spec,
            system_id,
            outcome.name,
            system.request_id,
        ):
            continue
        row.system_id, row.name, row.request_id = system_id, outcome.name, system.request_id
        row.spec, row.applied_at = spec, at
        session.add(row)
        changed += 1
    if changed:
        audit.append(
            session,
            at=at,
            actor=actor,
            action="inventory.applied",
            subject=f"{system.tenant}/{system.system}",
            payload={"provider_id": provider_id, "request": system.request_id, "rows": changed},
        )
    session.flush()
    return changed
