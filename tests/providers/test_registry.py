"""Building drivers from provider configuration.

Cases: the simulator is built from its options (seed, capacity, state file,
latency) and satisfies the protocol; capacity also takes the estate's camelCase
keys; unknown kinds and bad simulator options are ``ProviderInvalidRequest``; OpenStack/Kubernetes without a credentials reference is
``ProviderAuthError`` before any SDK loads; a driver module that cannot be imported
is a ``ProviderError`` with the ImportError as its cause; plug-in kinds register by
name, refuse silent replacement and are used by ``build_driver``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from providers import registry
from providers.base import Clock, Driver
from providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderInvalidRequest,
    ProviderQuotaExceeded,
)
from providers.registry import ProviderConfig, build_driver, driver_kinds, register_driver_kind
from providers.sim.clock import ManualClock
from providers.simulator import SimulatorDriver
from providers.types import DesiredResource, SystemRef


def test_builds_the_simulator(tmp_path: Path, clock: ManualClock) -> None:
    config = ProviderConfig(
        "demo",
        "simulator",
        options={
            "seed": 4,
            "capacity": {"vcpu": 2},
            "state_path": str(tmp_path / "s.json"),
            "latency_ms": [1, 2],
        },
    )
    driver = build_driver(config, clock=clock)
    assert isinstance(driver, SimulatorDriver)
    assert isinstance(driver, Driver)
    assert driver.name == "demo"
    assert 1 <= (driver.health().latency_ms or 0) <= 2
    (outcome,) = driver.apply(
        SystemRef("t", "s", "r", 2), [DesiredResource("server", "big", {"vcpu": 4})]
    )
    assert isinstance(outcome.error, ProviderQuotaExceeded)
    assert (tmp_path / "s.json").exists()


@pytest.mark.parametrize(
    "options",
    [
        {"colour": "blue"},
        {"seed": "4"},
        {"capacity": {"cpus": 4}},
        {"capacity": {"vcpu": -1}},
        {"latency_ms": 5},
        {"state_path": 3},
    ],
)
def test_bad_simulator_options(options: dict[str, object], clock: ManualClock) -> None:
    with pytest.raises(ProviderInvalidRequest):
        build_driver(ProviderConfig("demo", "simulator", options=options), clock=clock)


def test_estate_capacity_keys(clock: ManualClock) -> None:
    config = ProviderConfig(
        "demo", "simulator", options={"capacity": {"vcpu": 8, "memoryGiB": 2, "storageGiB": 9}}
    )
    driver = build_driver(config, clock=clock)
    assert isinstance(driver, SimulatorDriver)
    assert driver.capacity is not None
    assert (driver.capacity.memory_gib, driver.capacity.storage_gib) == (2, 9)


def test_unknown_kind(clock: ManualClock) -> None:
    with pytest.raises(ProviderInvalidRequest, match="simulator") as caught:
        build_driver(ProviderConfig("x", "vmware"), clock=clock)
    assert caught.value.provider == "x"


@pytest.mark.parametrize(("kind", "field"), [("openstack", "cloud"), ("kubernetes", "context")])
def test_missing_credentials_reference(kind: str, field: str, clock: ManualClock) -> None:
    with pytest.raises(ProviderAuthError, match=field) as caught:
        build_driver(ProviderConfig("p", kind), clock=clock)
    assert not caught.value.temporary


def test_unloadable_driver_module(clock: ManualClock) -> None:
    factory = registry._lazy("providers.no_such_driver", "Driver", "cloud")
    with pytest.raises(ProviderError, match="cannot be loaded") as caught:
        factory(ProviderConfig("p", "weird", cloud="c"), clock)
    assert isinstance(caught.value.__cause__, ImportError)


def test_plugin_registration(clock: ManualClock) -> None:
    def build(config: ProviderConfig, clock: Clock) -> Driver:
        return SimulatorDriver(config.name, clock=clock, seed=1)

    register_driver_kind("test-plugin", build)
    try:
        assert "test-plugin" in driver_kinds()
        with pytest.raises(ValueError, match="already"):
            register_driver_kind("test-plugin", build)
        driver = build_driver(ProviderConfig("plug", "test-plugin"), clock=clock)
        assert driver.name == "plug"
    finally:
        registry._FACTORIES.pop("test-plugin")
