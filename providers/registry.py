"""Build a driver from a provider's configuration, dispatching on its kind.

Owns ``ProviderConfig`` (what the estate says about one provider: name, kind and a
credentials *reference* — a ``clouds.yaml`` cloud name or a kubeconfig context, never
a secret) and ``build_driver``. The simulator is built in; ``openstack`` and
``kubernetes`` drivers are imported lazily so their SDKs load only when used. A
driver class is built with ``cls.from_config(config, clock=clock)`` when it has that
classmethod, else ``cls(config, clock=clock)``. Other kinds may be plugged in with
``register_driver_kind``.

Must not import anything internal outside ``providers``; must not import SDKs eagerly.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType

from providers.base import Clock, Driver
from providers.errors import ProviderAuthError, ProviderError, ProviderInvalidRequest
from providers.sim.faults import SimulatorFaults
from providers.simulator import SimulatorDriver
from providers.types import QuotaSet

__all__ = [
    "DriverFactory",
    "ProviderConfig",
    "build_driver",
    "driver_kinds",
    "register_driver_kind",
]


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One provider as declared in the estate.

    ``cloud`` names a ``clouds.yaml`` entry (openstack), ``context`` a kubeconfig
    context (kubernetes); ``options`` holds kind-specific settings (for the simulator:
    ``seed``, ``state_path``, ``capacity`` as QuotaSet fields, ``latency_ms``).
    """

    name: str
    kind: str
    cloud: str | None = None
    context: str | None = None
    options: Mapping[str, object] = field(default_factory=dict, hash=False)


DriverFactory = Callable[[ProviderConfig, Clock], Driver]


#: The estate's camelCase capacity keys (``memoryGiB``) as QuotaSet fields.
_CAPACITY_ALIASES = {
    "memoryGiB": "memory_gib",
    "storageGiB": "storage_gib",
    "publicIps": "public_ips",
}


def _int_option(config: ProviderConfig, key: str, default: int) -> int:
    value = config.options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProviderInvalidRequest(config.name, f"option {key} must be an integer: {value!r}")
    return value


def _build_simulator(config: ProviderConfig, clock: Clock) -> Driver:
    known = {"seed", "state_path", "capacity", "latency_ms"}
    unknown = sorted(set(config.options) - known)
    if unknown:
        raise ProviderInvalidRequest(
            config.name, f"unknown simulator options {unknown}; known: {sorted(known)}"
        )
    state = config.options.get("state_path")
    if state is not None and not isinstance(state, str | Path):
        raise ProviderInvalidRequest(config.name, f"option state_path must be a path: {state!r}")
    capacity = config.options.get("capacity")
    quota: QuotaSet | None = None
    if capacity is not None:
        allowed = {f.name for f in fields(QuotaSet)}
        if not isinstance(capacity, Mapping):
            raise ProviderInvalidRequest(config.name, "option capacity must be a mapping")
        limits = {_CAPACITY_ALIASES.get(str(k), str(k)): v for k, v in capacity.items()}
        if set(limits) - allowed:
            raise ProviderInvalidRequest(
                config.name, f"option capacity must map {sorted(allowed)} to integers"
            )
        try:
            quota = QuotaSet(**limits)
        except (TypeError, ValueError) as exc:
            raise ProviderInvalidRequest(config.name, f"option capacity: {exc}") from exc
    latency = config.options.get("latency_ms", (2.0, 20.0))
    if (
        not isinstance(latency, list | tuple)
        or len(latency) != 2
        or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in latency)
    ):
        raise ProviderInvalidRequest(config.name, "option latency_ms must be [low, high]")
    low, high = float(latency[0]), float(latency[1])
    return SimulatorDriver(
        config.name,
        clock=clock,
        seed=_int_option(config, "seed", 0),
        capacity=quota,
        faults=SimulatorFaults(),
        state_path=Path(state) if state is not None else None,
        latency_ms=(low, high),
    )


def _lazy(module: str, attribute: str, credential: str) -> DriverFactory:
    """A factory importing ``module.attribute`` on first use, after a credential check."""

    def build(config: ProviderConfig, clock: Clock) -> Driver:
        if not getattr(config, credential):
            raise ProviderAuthError(
                config.name,
                f"no credentials reference: set `{credential}` for a {config.kind} provider",
            )
        try:
            cls = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError) as exc:
            raise ProviderError(
                config.name, f"the {config.kind} driver cannot be loaded ({module}): {exc}"
            ) from exc
        factory = getattr(cls, "from_config", None) or cls
        try:
            driver = factory(config, clock=clock)
        except ProviderError:
            raise
        except Exception as exc:
            raise ProviderError(
                config.name,
                f"the {config.kind} driver failed to start: {type(exc).__name__}: {exc}",
            ) from exc
        if not isinstance(driver, Driver):
            raise ProviderError(config.name, f"{module}.{attribute} is not a Driver")
        return driver

    return build


_FACTORIES: dict[str, DriverFactory] = {
    "simulator": _build_simulator,
    "openstack": _lazy("providers.openstack", "OpenStackDriver", "cloud"),
    "kubernetes": _lazy("providers.kubernetes", "KubernetesDriver", "context"),
}


def register_driver_kind(kind: str, factory: DriverFactory, *, replace: bool = False) -> None:
    """Make ``build_driver`` handle ``kind`` with ``factory``."""
    if kind in _FACTORIES and not replace:
        raise ValueError(f"driver kind {kind!r} is already registered")
    _FACTORIES[kind] = factory


def driver_kinds() -> Mapping[str, DriverFactory]:
    """The registered kinds, read-only."""
    return MappingProxyType(_FACTORIES)


def build_driver(config: ProviderConfig, *, clock: Clock) -> Driver:
    """The driver for ``config``; a ``ProviderError`` says clearly why not."""
    factory = _FACTORIES.get(config.kind)
    if factory is None:
        raise ProviderInvalidRequest(
            config.name,
            f"unknown provider kind {config.kind!r}; known: {', '.join(sorted(_FACTORIES))}",
        )
    return factory(config, clock)
