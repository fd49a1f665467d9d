"""Shared set-up for the metering and bills tests: the small estate, usage files, a
simulator cloud with a running server, and helpers to read statements back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from controlplane.app import App
from controlplane.billing import Month
from controlplane.bills import BillsService, bills_service
from controlplane.cli.main import main
from controlplane.drivers import driver_for
from controlplane.estate.schema import parse_estate
from controlplane.metering import MeteringService, metering_service
from providers import Driver
from providers.types import DesiredResource, SystemRef
from tenants import load_yaml_documents, load_yaml_file

HERE = Path(__file__).parent
ESTATE = HERE / "estate.yaml"
MARCH, APRIL = Month(2026, 3), Month(2026, 4)
HEADER = "provider,tenant,system,resource_id,meter,quantity,start,end"
PORTAL = SystemRef("hrss", "portal", "req-1", 3)


def apply_estate(app: App, text: str | None = None) -> None:
    docs = load_yaml_documents(text, "estate.yaml") if text else load_yaml_file(str(ESTATE))
    app.estate.apply(parse_estate(docs, "estate.yaml"), actor="ops")


def usage_csv(path: Path, rows: Iterable[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def water_row(resource: str, meter: str, quantity: str, start: str, end: str) -> str:
    return f"water-cloud,water-dept,flood,{resource},{meter},{quantity},{start},{end}"


@pytest.fixture
def billing_app(app: App, clock: object) -> App:
    """The app with the test estate applied at 2026-02-20 (before March)."""
    clock.now = datetime(2026, 2, 20, tzinfo=UTC)  # type: ignore[attr-defined]
    apply_estate(app)
    return app


@pytest.fixture
def metering(billing_app: App) -> MeteringService:
    return metering_service(billing_app)


@pytest.fixture
def bills(billing_app: App) -> BillsService:
    return bills_service(billing_app)


def sim_driver(app: App) -> Driver:
    provider = app.estate.provider("sim-prov")
    assert provider is not None
    return driver_for(provider, app.settings.simulator_dir, app.clock)


def start_server(app: App, vcpu: int = 4, memory_mib: int = 8192) -> None:
    sim_driver(app).apply(
        PORTAL, [DesiredResource("server", "web", {"vcpu": vcpu, "memory_mib": memory_mib})]
    )


def hashes(bills: BillsService, month: Month) -> dict[str, str]:
    return {s.tenant: s.content_hash for s in bills.statements(month)}


def cli(app: App, *args: str) -> int:
    """Run ``govcloud`` against ``app``'s home and database; returns the exit code."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
        return main(["--home", str(app.settings.home), *args])
