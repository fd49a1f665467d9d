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

``steps_of_systems`` reads the steps of many systems at once (a re-applied file of
Ready systems), ``system_steps`` is its one-system case. Pure over the rows it is given
plus one query per table; executing a plan is
``controlplane.requests.provisioning.Provisioner.repair``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import Session, col, select

from controlplane.db.tables_inventory import Drift
from controlplane.inventory.compare import QUOTA_KIND, TAGS_KEY

__all__ = [
    "STEPS_CHUNK",
    "RepairAction",
    "RepairPlan",
    "RepairStep",
    "repair_plan",
    "steps_of_systems",
    "system_steps",
]

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


STEPS_CHUNK = 900
"""Systems per query of :func:`steps_of_systems` (every IN list stays under SQLite's
former limit of 999 parameters)."""


def steps_of_systems(
    session: Session, systems: Iterable[tuple[int, int, int]], *, prune: bool = False
) -> dict[int, tuple[RepairStep, ...]]:
    """The steps of many systems, each given as (provider id, tenant id, system id), by
    system id (every one given has an entry; empty: nothing drifted), read in one query
    per :data:`STEPS_CHUNK` systems.

    A system's steps: the open drift on its provider of the system itself, and of its
    department (no system) that is quota or unmanaged — a department's quota and strays
    concern every system of it; ordered by kind, name and id (by the database, so each
    system's rows keep the order a query of its own would give them).
    """
    where = {system_id: (provider_id, tenant_id) for provider_id, tenant_id, system_id in systems}
    found: dict[int, list[RepairStep]] = {system_id: [] for system_id in where}
    ids = sorted(where)
    for start in range(0, len(ids), STEPS_CHUNK):
        chunk = ids[start : start + STEPS_CHUNK]
        # (provider id, tenant id) → the chunk's systems of that department on that provider
        departments: dict[tuple[int, int | None], list[int]] = {}
        for system_id in chunk:
            departments.setdefault(where[system_id], []).append(system_id)
        providers = sorted({where[system_id][0] for system_id in chunk})
        tenants = sorted({where[system_id][1] for system_id in chunk})
        rows = session.exec(
            select(Drift)
            .where(
                col(Drift.provider_id).in_(providers),
                col(Drift.resolved_at).is_(None),
                col(Drift.system_id).in_(chunk)
                | (
                    col(Drift.system_id).is_(None)
                    & col(Drift.tenant_id).in_(tenants)
                    & ((col(Drift.kind) == QUOTA_KIND) | (col(Drift.drift) == "unmanaged"))
                ),
            )
            .order_by(col(Drift.kind), col(Drift.name), col(Drift.id))
        ).all()
        for row in rows:
            if row.system_id is None:  # a department's row: every system of it here
                owners = departments.get((row.provider_id, row.tenant_id), [])
            elif where[row.system_id][0] == row.provider_id:
                owners = [row.system_id]
            else:  # the system's row on a provider not its own (another one's of the chunk)
                owners = []
            if owners:
                step = _step(row, prune=prune)
                for system_id in owners:
                    found[system_id].append(step)
    return {system_id: tuple(steps) for system_id, steps in found.items()}


def system_steps(
    session: Session, *, provider_id: int, tenant_id: int, system_id: int, prune: bool = False
) -> tuple[RepairStep, ...]:
    """The steps for one system: its open drift, its department's quota and strays (the
    one-system case of :func:`steps_of_systems`)."""
    steps = steps_of_systems(session, [(provider_id, tenant_id, system_id)], prune=prune)
    return steps[system_id]


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
