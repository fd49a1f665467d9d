"""From stored providers to live drivers: the one place provider rows become clients.

Credentials stay references (a clouds.yaml cloud name, a kubeconfig context); simulator
clouds keep their state in the govcloud home so separate commands see the same cloud.
``engine_for`` picks who provisions on a provider (its ``engine``): the SDK driver, or
the Pulumi engine — never one in place of the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from controlplane.config import Settings
from controlplane.db.models import Provider
from controlplane.timeutil import Clock
from providers import Driver, ProviderInvalidRequest, Provisioning
from providers.registry import ProviderConfig, build_driver

if TYPE_CHECKING:
    from infra.runner import RunnerSettings, StackRunner

__all__ = ["driver_for", "engine_for", "provider_config"]

#: One runner per state location, so its bound on concurrent stacks holds process-wide.
_RUNNERS: dict[RunnerSettings, StackRunner] = {}


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


def _pulumi_settings(provider: Provider, settings: Settings) -> RunnerSettings:
    from infra.runner import RunnerSettings

    if not settings.pulumi_passphrase:
        raise ProviderInvalidRequest(
            provider.name,
            "engine pulumi needs a secrets passphrase: set GOVCLOUD_PULUMI_PASSPHRASE "
            "(Pulumi 引擎需要密钥口令：请设置 GOVCLOUD_PULUMI_PASSPHRASE)",
        )
    return RunnerSettings(
        settings.pulumi_dir, settings.pulumi_passphrase, backend_url=settings.pulumi_backend
    )


def engine_for(provider: Provider, settings: Settings, clock: Clock) -> Provisioning:
    """Who provisions on ``provider``: its SDK driver, or Pulumi stacks (``engine``)."""
    if provider.engine != "pulumi":
        return driver_for(provider, settings.simulator_dir, clock)
    # Imported here: loading the Automation API costs every other command a second.
    from infra.engine import PulumiEngine
    from infra.runner import StackRunner

    runner_settings = _pulumi_settings(provider, settings)
    runner = _RUNNERS.setdefault(runner_settings, StackRunner(runner_settings))
    if provider.kind == "openstack":
        config = {"openstack:cloud": provider.cloud or ""}
    else:
        config = {"kubernetes:context": provider.context or ""}
    return PulumiEngine(provider.name, provider.kind, runner=runner, config=config)
