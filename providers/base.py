"""The driver protocol every provider kind implements.

Owns ``Driver`` (the structural interface the control plane calls), split into
``Provisioning`` (apply/delete: what an engine does — the SDK driver or Pulumi) and
``Observation`` (health, inventory, usage, quotas: always the SDK driver), and the
``Clock`` type drivers receive instead of reading the system time. Implementations live in
``providers.simulator``, ``providers.openstack`` and ``providers.kubernetes``.

Must not import anything internal except ``providers.types``, nor any cloud SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from providers.types import (
    ApplyOutcome,
    DesiredResource,
    HealthReport,
    ObservedResource,
    QuotaSet,
    SystemRef,
    UsageObservation,
)

__all__ = ["Clock", "Driver", "Observation", "Provisioning"]

#: Returns the current time, timezone-aware. Injected so tests control time.
Clock = Callable[[], datetime]


@runtime_checkable
class Provisioning(Protocol):
    """What a provisioning engine does on one provider: make a system exist, or not.

    The SDK drivers implement it, and so does the Pulumi engine (``infra.engine``).
    Every method may raise a ``providers.errors.ProviderError``; nothing else escapes
    except programming errors.
    """

    #: The configured provider name (``prov-main``).
    name: str
    #: ``"openstack"``, ``"kubernetes"`` or ``"simulator"``.
    kind: str

    def apply(self, system: SystemRef, desired: Sequence[DesiredResource]) -> list[ApplyOutcome]:
        """Make the cloud hold ``desired`` for ``system``, idempotently and resumably.

        Existing resources are found by govcloud tags and ``(kind, name)``; only missing
        ones are created and differing ones updated. A per-resource failure is an
        outcome with ``action="failed"``; independent resources still proceed.
        """
        ...

    def delete(self, system: SystemRef) -> list[ApplyOutcome]:
        """Delete everything tagged as ``system``'s; already-gone is ``"absent"``."""
        ...


@runtime_checkable
class Observation(Protocol):
    """What only the SDK driver does, whichever engine provisions: health, inventory,
    usage and tenant quotas (onboarding)."""

    name: str
    kind: str

    def health(self) -> HealthReport:
        """Probe reachability and credentials; reports failure instead of raising."""
        ...

    def list_inventory(self) -> Iterator[ObservedResource]:
        """Every resource visible to govcloud, managed or not (unmanaged is drift)."""
        ...

    def observe_usage(self, since: datetime, until: datetime) -> Iterator[UsageObservation]:
        """Allocation intervals clipped to ``[since, until)`` with stable source keys."""
        ...

    def set_quotas(self, tenant: str, quotas: QuotaSet) -> None:
        """Set ``tenant``'s limits on this provider (``None`` fields mean unlimited)."""
        ...


@runtime_checkable
class Driver(Provisioning, Observation, Protocol):
    """One configured provider (a cloud, a cluster or the simulator) through its SDK:
    provisioning and observation both."""
