"""Fixtures for inventory tests: the example estate, a system row, the simulator cloud.

``world`` applies tests/controlplane/estates/valid/example.yaml, creates the system
``hrss/portal`` (as provisioning would) and returns the ``sim-health`` simulator built
through ``controlplane.drivers.driver_for`` — the same state file the CLI's sync reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import select

from controlplane.app import App
from controlplane.db.engine import transaction
from controlplane.db.models import Provider, System, Tenant
from controlplane.drivers import driver_for
from controlplane.estate.schema import parse_estate
from controlplane.inventory import SyncService, record_applied
from providers import (
    ApplyOutcome,
    DesiredResource,
    Driver,
    HealthReport,
    ObservedResource,
    QuotaSet,
    SimulatorDriver,
    SystemRef,
    UsageObservation,
)
from tenants import load_yaml_file

EXAMPLE = Path(__file__).parents[1] / "controlplane" / "estates" / "valid" / "example.yaml"
PORTAL = SystemRef("hrss", "portal", "req-1", 3)


def server(name: str, vcpu: int = 2) -> DesiredResource:
    spec = {"flavor": f"c{vcpu}m{vcpu * 2}", "vcpu": vcpu, "memory_mib": vcpu * 2048}
    return DesiredResource("server", name, {**spec, "image": "kylin-v10-sp3"})


class Watched:
    """A ``Driver`` (the simulator ``inner``, delegated to) whose inventory stream calls ``watch`` once it has handed out ``count``
    resources, then goes on (a ``watch`` that raises breaks the stream there)."""

    def __init__(self, inner: SimulatorDriver, count: int, watch: Callable[[], None]) -> None:
        self.name, self.kind = inner.name, inner.kind
        self._inner, self._count, self._watch = inner, count, watch

    def health(self) -> HealthReport:
        return self._inner.health()

    def apply(self, system: SystemRef, desired: Sequence[DesiredResource]) -> list[ApplyOutcome]:
        return self._inner.apply(system, desired)

    def delete(self, system: SystemRef) -> list[ApplyOutcome]:
        return self._inner.delete(system)

    def observe_usage(self, since: datetime, until: datetime) -> Iterator[UsageObservation]:
        return self._inner.observe_usage(since, until)

    def set_quotas(self, tenant: str, quotas: QuotaSet) -> None:
        self._inner.set_quotas(tenant, quotas)

    def list_inventory(self) -> Iterator[ObservedResource]:
        for index, item in enumerate(self._inner.list_inventory()):
            if index == self._count:
                self._watch()
            yield item


def breaks(error: Exception) -> Callable[[], None]:
    """A ``Watched`` watch that raises ``error``."""

    def watch() -> None:
        raise error

    return watch


@dataclass
class World:
    app: App
    sim: SimulatorDriver
    provider_id: int
    tenant_id: int
    system_id: int

    def apply(
        self, desired: Sequence[DesiredResource], system: SystemRef = PORTAL
    ) -> list[ApplyOutcome]:
        """Provision through the driver and record what was applied, as provisioning does."""
        outcomes = self.sim.apply(system, desired)
        with transaction(self.app.sessions) as session:
            record_applied(
                session,
                provider_id=self.provider_id,
                system_id=self.system_id,
                system=system,
                desired=desired,
                outcomes=outcomes,
                at=self.app.clock(),
                actor="test-provisioner",
            )
        return outcomes

    def service(self, *, batch_size: int = 3, driver: Driver | None = None) -> SyncService:
        chosen = driver or self.sim
        return SyncService(
            self.app.sessions, self.app.clock, lambda _p: chosen, batch_size=batch_size
        )


@pytest.fixture
def world(app: App) -> World:
    app.estate.apply(parse_estate(load_yaml_file(str(EXAMPLE)), str(EXAMPLE)), actor="ops")
    with transaction(app.sessions) as session:
        provider = session.exec(select(Provider).where(Provider.name == "sim-health")).one()
        tenant = session.exec(select(Tenant).where(Tenant.code == "hrss")).one()
        now = app.clock()
        system = System(
            tenant_id=tenant.id or 0, name="portal", provider_id=provider.id, level=3,
            data_classification="important", status="active", created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(system)
        session.flush()
        ids = (provider.id or 0, tenant.id or 0, system.id or 0)
    sim = driver_for(provider, app.settings.simulator_dir, app.clock)
    assert isinstance(sim, SimulatorDriver)
    return World(app, sim, *ids)


@pytest.fixture
def cli(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """``govcloud`` arguments for the world's home and database."""
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", world.app.settings.database_url)
    # no clouds.yaml or kubeconfig of the developer's machine may leak in
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "clouds.yaml"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))
    return ["--home", str(world.app.settings.home)]
