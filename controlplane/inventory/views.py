"""The resource list's read model, without the database layers that fill it.

:class:`ResourceView` is what ``govcloud get resources`` shows; :mod:`.query` reads it
through SQLAlchemy and :mod:`controlplane.facade.embedded` through the stdlib ``sqlite3``
(a command that starts fast). Imports nothing heavier than the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from providers import ObservedResource

__all__ = ["ResourceView", "resource_key"]


@dataclass(frozen=True)
class ResourceView:
    provider: str
    tenant: str | None
    system: str | None
    kind: str
    resource_id: str
    name: str
    status: str
    managed: bool
    spec: Mapping[str, Any]
    created_at: datetime
    observed_at: datetime
    deleted_at: datetime | None
    drift: tuple[str, ...]
    row_id: int = 0

    def as_observed(self) -> ObservedResource:
        """This row in the drivers' terms, so ``providers.kinds`` columns can render it."""
        from providers import ObservedResource

        return ObservedResource(
            provider=self.provider,
            kind=self.kind,
            resource_id=self.resource_id,
            name=self.name,
            tenant=self.tenant,
            system=self.system,
            request_id=None,
            status=self.status,
            spec=self.spec,
            created_at=self.created_at,
            managed=self.managed,
        )


def resource_key(view: ResourceView) -> tuple[str, ...]:
    """The list order as a key: provider, tenant, system, kind, name, id (no owner: '')."""
    return (
        view.provider,
        view.tenant or "",
        view.system or "",
        view.kind,
        view.name,
        view.resource_id,
    )
