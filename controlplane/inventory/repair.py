"""Repair plans: what undoing a system's open drift means, step by step.

Owns ``RepairStep``/``RepairPlan`` and ``repair_plan``, which reads a system's open
drift (and its department's quota drift and unmanaged resources on the same provider)
and says what re-applying the declared state will do to each:

* ``missing``  → ``recreate`` (the driver creates it again from the declared spec);
* ``changed``  → ``restore`` the named keys, or ``retag`` when govcloud's marks were
  removed (the resource is adopted back by id, never duplicated);
* ``unmanaged`` attached to the system (a rule added by hand to its group) →
  ``remove`` (apply keeps exactly the declared rules);
* ``unmanaged`` in the department's project but attached to no system (a server made
  by hand) → ``report``; it becomes ``remove`` only when the operator asks to prune.

Pure over the rows it is given plus one query per table; executing a plan is
``controlplane.requests.provisioning.Provisioner.repair``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import Session, col, select

from controlplane.db.tables_inventory import Drift
from controlplane.inventory.compare import QUOTA_KIND, TAGS_KEY

__all__ = ["RepairAction", "RepairPlan", "RepairStep", "repair_plan", "system_steps"]

RepairAction = Literal["recreate", "restore", "retag", "remove", "report"]


@dataclass(frozen=True)
class RepairStep:
    """One undoing: what will be done to which resource, and why (the drift's detail)."""

    action: RepairAction
    kind: str
    name: str
    resource_id: str
    keys: tuple[str, ...] = ()
    #: Part of the system (re-applying undoes it) rather than a stray in its department.
    attached: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "kind": self.kind,
            "name": self.name,
            "resourceId": self.resource_id,
            "keys": list(self.keys),
        }

    def describe(self) -> str:
        keys = f" ({', '.join(self.keys)})" if self.keys else ""
        return f"{self.action} {self.kind}/{self.name} [{self.resource_id}]{keys}"


@dataclass(frozen=True)
class RepairPlan:
    """Every step re-applying a system's declared state takes; empty: nothing drifted."""

    tenant: str
    system: str
    provider: str
    steps: tuple[RepairStep, ...]

    @property
    def empty(self) -> bool:
        return not self.steps

    @property
    def to_remove(self) -> tuple[RepairStep, ...]:
        """Unmanaged resources the operator chose to prune (``remove`` outside the system)."""
        return tuple(s for s in self.steps if s.action == "remove" and not s.attached)

    def as_json(self) -> list[dict[str, Any]]:
        return [step.as_json() for step in self.steps]


def _step(row: Drift, *, prune: bool) -> RepairStep:
    keys = tuple(sorted((row.detail or {}).get("keys", {})))
    if row.drift == "missing":
        return RepairStep("recreate", row.kind, row.name, row.resource_id)
    if row.drift == "changed":
        action: RepairAction = "retag" if TAGS_KEY in keys else "restore"
        return RepairStep(action, row.kind, row.name, row.resource_id, keys)
    if row.system_id is not None:
        return RepairStep("remove", row.kind, row.name, row.resource_id)
    action = "remove" if prune else "report"
    return RepairStep(action, row.kind, row.name, row.resource_id, attached=False)


def system_steps(
    session: Session, *, provider_id: int, tenant_id: int, system_id: int, prune: bool = False
) -> tuple[RepairStep, ...]:
    """The steps for one system: its open drift, its department's quota and strays."""
    rows = session.exec(
        select(Drift)
        .where(
            col(Drift.provider_id) == provider_id,
            col(Drift.resolved_at).is_(None),
            (col(Drift.system_id) == system_id)
            | ((col(Drift.tenant_id) == tenant_id) & col(Drift.system_id).is_(None)),
        )
        .order_by(col(Drift.kind), col(Drift.name), col(Drift.id))
    ).all()
    return tuple(
        _step(row, prune=prune)
        for row in rows
        # a department's quota and strays concern every system of it; other drift only
        # this system's
        if row.system_id == system_id or row.kind == QUOTA_KIND or row.drift == "unmanaged"
    )


def repair_plan(
    session: Session,
    *,
    provider_id: int,
    provider: str,
    tenant_id: int,
    tenant: str,
    system_id: int,
    system: str,
    prune: bool = False,
) -> RepairPlan:
    """The plan for ``system`` (see ``system_steps``)."""
    steps = system_steps(
        session, provider_id=provider_id, tenant_id=tenant_id, system_id=system_id, prune=prune
    )
    return RepairPlan(tenant, system, provider, steps)
