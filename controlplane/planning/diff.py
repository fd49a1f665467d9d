"""The diff between a system's desired resources and what exists for it.

Pure. Existing resources are matched by (kind, desired name) — the name a driver
records for a managed resource. A resource is *updated* when any key the desired spec
declares differs from the recorded spec (recorded specs may carry more keys, which
the plan does not own); existing resources nothing desires any more are *deleted*.
When placement moves a system to another provider, everything on the old one is
deleted and everything is created on the new one. Imports :mod:`providers.types` and
:func:`tenants.quick_init` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from providers.types import DesiredResource, canonical_spec, spec_record
from tenants import quick_init

__all__ = ["ChangeAction", "ExistingResource", "ResourceChange", "diff"]

ChangeAction = Literal["create", "update", "delete", "unchanged"]


@dataclass(frozen=True, slots=True)
class ExistingResource:
    """A resource recorded for the system (from the inventory)."""

    provider: str
    kind: str
    name: str
    resource_id: str
    spec: Mapping[str, object] = field(default_factory=dict)


@quick_init
@dataclass(frozen=True, slots=True)
class ResourceChange:
    action: ChangeAction
    provider: str
    kind: str
    name: str
    spec: Mapping[str, object] = field(default_factory=dict)
    changed: tuple[str, ...] = ()
    resource_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.name}"

    def to_record(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "provider": self.provider,
            "kind": self.kind,
            "name": self.name,
            "spec": spec_record(self.spec),
            "changed": list(self.changed),
            "resource_id": self.resource_id,
        }


def _same(a: object, b: object) -> bool:
    if a == b:
        return True
    # recorded specs went through JSON: compare in the canonical spelling
    return canonical_spec({"v": a}) == canonical_spec({"v": b})


def diff(
    desired: Sequence[DesiredResource], provider: str | None, existing: Iterable[ExistingResource]
) -> list[ResourceChange]:
    """Create / update / delete / unchanged, desired order first, then deletions."""
    here: dict[tuple[str, str], ExistingResource] = {}
    elsewhere: list[ExistingResource] = []
    for item in existing:
        if item.provider == provider:
            here[item.kind, item.name] = item
        else:
            elsewhere.append(item)
    changes: list[ResourceChange] = []
    if provider is not None:
        for want in desired:
            have = here.pop((want.kind, want.name), None)
            if have is None:
                changes.append(ResourceChange("create", provider, want.kind, want.name, want.spec))
                continue
            changed = tuple(
                sorted(k for k, v in want.spec.items() if not _same(v, have.spec.get(k)))
            )
            action: ChangeAction = "update" if changed else "unchanged"
            changes.append(
                ResourceChange(
                    action, provider, want.kind, want.name, want.spec, changed, have.resource_id
                )
            )
    for gone in sorted([*here.values(), *elsewhere], key=lambda r: (r.provider, r.kind, r.name)):
        changes.append(
            ResourceChange(
                "delete", gone.provider, gone.kind, gone.name, gone.spec, (), gone.resource_id
            )
        )
    return changes
