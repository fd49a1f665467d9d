"""Shared fixtures for the providers tests: a manual clock and a seeded simulator."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from providers.sim.clock import ManualClock
from providers.simulator import SimulatorDriver

START = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sim(clock: ManualClock) -> SimulatorDriver:
    return SimulatorDriver("sim-a", clock=clock, seed=7)
