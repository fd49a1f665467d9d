"""The raw usage record as it is stored, before the billing core sees it.

Owns ``RawUsage``: one observation from a driver or an import file. Unlike the core's
``Observation`` it may have no tenant (an unmanaged resource seen by a collector); such
usage is kept — append-only means nothing is dropped at the door — and shows up as
unattributed when a month is rated. Imports only ``controlplane.billing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from controlplane.billing import Observation

__all__ = ["RawUsage"]


@dataclass(frozen=True, slots=True)
class RawUsage:
    """One usage record with its natural key ``(provider, source, source_key)``."""

    provider: str
    source: str
    source_key: str
    resource_id: str
    tenant: str | None
    system: str | None
    meter: str
    quantity: Decimal
    start: datetime
    end: datetime

    @property
    def natural_key(self) -> tuple[str, str, str]:
        return (self.provider, self.source, self.source_key)

    def payload(self) -> tuple[str, str | None, str | None, str, Decimal, datetime, datetime]:
        """What must agree between two records with the same natural key."""
        return (
            self.resource_id,
            self.tenant or None,
            self.system or None,
            self.meter,
            self.quantity,
            self.start,
            self.end,
        )

    def observation(self) -> Observation | None:
        """The core's view of this record; ``None`` when no department owns it."""
        if not self.tenant:
            return None
        return Observation(
            self.provider,
            self.source,
            self.source_key,
            self.resource_id,
            self.tenant,
            self.system or "",
            self.meter,
            self.quantity,
            self.start,
            self.end,
        )
