"""govcloud providers: the driver protocol and the drivers behind it.

Owns the provider-neutral contract between the control plane and the clouds: the
``Driver`` protocol, the value types it exchanges (``SystemRef``, ``DesiredResource``,
``ApplyOutcome``, ``ObservedResource``, ``UsageObservation``, ``HealthReport``,
``QuotaSet``), the ``ProviderError`` tree (retry semantics live in the type), the
declarative resource kinds and meters, and the registry that builds a driver from a
``ProviderConfig``. Drivers: ``simulator`` (in-process, built in), ``openstack``
(openstacksdk) and ``kubernetes`` (kubernetes client), the last two imported lazily.

This package is a leaf: it imports nothing internal to govcloud. It is the only
package allowed to import ``openstack``, ``keystoneauth1`` or ``kubernetes``; SDK
exceptions never cross it (they become ``ProviderError`` with the cause kept).

Names are loaded on first use (``from providers import KINDS`` loads the kinds, not the
simulator and the registry): a command that starts fast pays only for what it reads.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from providers.base import Clock, Driver, Observation, Provisioning
    from providers.errors import (
        ProviderAuthError,
        ProviderConflict,
        ProviderError,
        ProviderInvalidRequest,
        ProviderNotFound,
        ProviderQuotaExceeded,
        ProviderUnavailable,
    )
    from providers.kinds import (
        KINDS,
        METERS,
        Column,
        Meter,
        ResourceKind,
        UsageRule,
        kinds_for_platform,
        lookup_kind,
    )
    from providers.ordering import dependency_order, run_in_order
    from providers.quantity import parse_quantity, to_decimal
    from providers.registry import (
        DriverFactory,
        ProviderConfig,
        build_driver,
        driver_kinds,
        register_driver_kind,
    )
    from providers.sim.clock import ManualClock
    from providers.simulator import SimulatedCrash, SimulatorDriver, SimulatorFaults
    from providers.types import (
        TAG_MANAGED,
        TAG_REQUEST,
        TAG_SYSTEM,
        TAG_TENANT,
        ApplyOutcome,
        DesiredResource,
        HealthReport,
        ObservedResource,
        QuotaSet,
        SystemRef,
        UsageObservation,
        canonical_spec,
        managed_identity,
        spec_fingerprint,
        spec_record,
    )

_LAZY = {
    "ApplyOutcome": "providers.types",
    "Clock": "providers.base",
    "Column": "providers.kinds",
    "DesiredResource": "providers.types",
    "Driver": "providers.base",
    "DriverFactory": "providers.registry",
    "HealthReport": "providers.types",
    "KINDS": "providers.kinds",
    "METERS": "providers.kinds",
    "ManualClock": "providers.sim.clock",
    "Meter": "providers.kinds",
    "Observation": "providers.base",
    "ObservedResource": "providers.types",
    "ProviderAuthError": "providers.errors",
    "ProviderConfig": "providers.registry",
    "ProviderConflict": "providers.errors",
    "ProviderError": "providers.errors",
    "ProviderInvalidRequest": "providers.errors",
    "ProviderNotFound": "providers.errors",
    "ProviderQuotaExceeded": "providers.errors",
    "ProviderUnavailable": "providers.errors",
    "Provisioning": "providers.base",
    "QuotaSet": "providers.types",
    "ResourceKind": "providers.kinds",
    "SimulatedCrash": "providers.simulator",
    "SimulatorDriver": "providers.simulator",
    "SimulatorFaults": "providers.simulator",
    "SystemRef": "providers.types",
    "TAG_MANAGED": "providers.types",
    "TAG_REQUEST": "providers.types",
    "TAG_SYSTEM": "providers.types",
    "TAG_TENANT": "providers.types",
    "UsageObservation": "providers.types",
    "UsageRule": "providers.kinds",
    "build_driver": "providers.registry",
    "canonical_spec": "providers.types",
    "dependency_order": "providers.ordering",
    "driver_kinds": "providers.registry",
    "kinds_for_platform": "providers.kinds",
    "lookup_kind": "providers.kinds",
    "managed_identity": "providers.types",
    "parse_quantity": "providers.quantity",
    "register_driver_kind": "providers.registry",
    "run_in_order": "providers.ordering",
    "spec_fingerprint": "providers.types",
    "spec_record": "providers.types",
    "to_decimal": "providers.quantity",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "KINDS",
    "METERS",
    "TAG_MANAGED",
    "TAG_REQUEST",
    "TAG_SYSTEM",
    "TAG_TENANT",
    "ApplyOutcome",
    "Clock",
    "Column",
    "DesiredResource",
    "Driver",
    "DriverFactory",
    "HealthReport",
    "ManualClock",
    "Meter",
    "Observation",
    "ObservedResource",
    "ProviderAuthError",
    "ProviderConfig",
    "ProviderConflict",
    "ProviderError",
    "ProviderInvalidRequest",
    "ProviderNotFound",
    "ProviderQuotaExceeded",
    "ProviderUnavailable",
    "Provisioning",
    "QuotaSet",
    "ResourceKind",
    "SimulatedCrash",
    "SimulatorDriver",
    "SimulatorFaults",
    "SystemRef",
    "UsageObservation",
    "UsageRule",
    "build_driver",
    "canonical_spec",
    "dependency_order",
    "driver_kinds",
    "kinds_for_platform",
    "lookup_kind",
    "managed_identity",
    "parse_quantity",
    "register_driver_kind",
    "run_in_order",
    "spec_fingerprint",
    "spec_record",
    "to_decimal",
]
