"""From stored providers to live drivers: the one place provider rows become clients.

Credentials stay references (a clouds.yaml cloud name, a kubeconfig context); simulator
clouds keep their state in the govcloud home so separate commands see the same cloud.
"""

from __future__ import annotations

from pathlib import Path

from controlplane.db.models import Provider
from controlplane.timeutil import Clock
from providers import Driver
from providers.registry import ProviderConfig, build_driver

__all__ = ["driver_for", "provider_config"]


def provider_config(provider: Provider, simulator_dir: Path) -> ProviderConfig:
    options: dict[str, object] = {}
    if provider.kind == "simulator":
        options = {
            "seed": provider.seed or 0,
            "state_path": str(simulator_dir / f"{provider.name}.json"),
            "capacity": {
                "vcpu": provider.capacity_vcpu,
                "memory_gib": provider.capacity_memory_gib,
                "storage_gib": provider.capacity_storage_gib,
                "public_ips": provider.capacity_public_ips,
            },
        }
    return ProviderConfig(
        name=provider.name,
        kind=provider.kind,
        cloud=provider.cloud,
        context=provider.context,
        options=options,
    )


def driver_for(provider: Provider, simulator_dir: Path, clock: Clock) -> Driver:
    """A driver for ``provider``; raises ``providers.ProviderError`` when it cannot be built."""
    if provider.kind == "simulator":
        simulator_dir.mkdir(parents=True, exist_ok=True)
    return build_driver(provider_config(provider, simulator_dir), clock=clock)
