"""Fixtures for serve tests: the governed estate, a request service, a replica.

``replica`` is a :class:`Replica` over the shared ``app`` (its FakeClock), never started:
tests drive its steps (lead_once, reconcile_once, run_job_once) by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from controlplane.app import App
from controlplane.db.models import Provider
from controlplane.requests import RequestService, request_service
from controlplane.scheduler.daemon import Replica, ReplicaOptions
from providers import Driver, SimulatorDriver, SimulatorFaults
from tests.governance.support import CataloguePlanner, apply_estate


@pytest.fixture
def service(app: App) -> RequestService:
    apply_estate(app)
    return request_service(app, CataloguePlanner(app))


@pytest.fixture
def replica(app: App, service: RequestService) -> Iterator[Replica]:
    made = Replica(app, ReplicaOptions(name="replica-a", lease=timedelta(seconds=60)))
    try:
        yield made
    finally:
        made.election.release()


def simulators(app: App, faults: SimulatorFaults | None = None) -> Callable[[Provider], Driver]:
    """The simulator clouds of ``app``'s home, with ``faults`` (the provisioner's seam)."""

    def build(provider: Provider) -> Driver:
        return SimulatorDriver(
            provider.name,
            clock=app.clock,
            seed=provider.seed or 0,
            faults=faults,
            state_path=app.settings.simulator_dir / f"{provider.name}.json",
        )

    return build
