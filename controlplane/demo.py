"""The demo: a generated province run through govcloud's flow as far as it reaches.

Builds a fresh home (never the user's database), generates a small province with the
scale generator, applies its estate twice (the second time must change nothing), checks
every simulator cloud's health, and returns figures the CLI shows. Later stages of the
flow (requests, placement, provisioning, metering, bills) join here as they land.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.generate import PRESETS, generate, write
from controlplane.app import App
from controlplane.config import Settings
from controlplane.drivers import driver_for
from controlplane.estate.schema import parse_estate
from controlplane.estate.service import EstateApplyResult
from controlplane.timeutil import Clock, system_clock
from providers import HealthReport, ProviderError
from tenants import load_yaml_file

__all__ = ["DemoReport", "run_demo"]


@dataclass
class DemoReport:
    home: Path
    scale: str
    seed: int
    files: dict[str, int]
    apply: EstateApplyResult
    reapply: EstateApplyResult
    apply_seconds: float
    providers_by_tier: Counter[str]
    tenants: int
    systems: int
    resources: int
    health: list[HealthReport] = field(default_factory=list)
    health_errors: dict[str, str] = field(default_factory=dict)


def run_demo(
    home: Path, *, scale: str = "demo", seed: int = 42, clock: Clock = system_clock
) -> DemoReport:
    """Run the demo in ``home`` (created; must not hold a previous govcloud database)."""
    if (home / "govcloud.db").exists():
        raise FileExistsError(f"{home} already holds a govcloud database; use a fresh --home")
    home.mkdir(parents=True, exist_ok=True)
    province = generate(PRESETS[scale], seed)
    files = write(province, home / "input")
    app = App(Settings.for_home(home), clock=clock)
    try:
        app.init()
        estate_file = home / "input" / "estate.yaml"
        document = parse_estate(load_yaml_file(str(estate_file)), str(estate_file))
        started = time.perf_counter()
        applied = app.estate.apply(document, actor="demo-operator")
        seconds = time.perf_counter() - started
        reapplied = app.estate.apply(document, actor="demo-operator")
        providers = app.estate.providers()
        report = DemoReport(
            home=home,
            scale=scale,
            seed=seed,
            files=files,
            apply=applied,
            reapply=reapplied,
            apply_seconds=seconds,
            providers_by_tier=Counter(p.tier for p in providers),
            tenants=len(app.estate.tenants()),
            systems=len(province.requests),
            resources=sum(province.resource_counts().values()),
        )
        for provider in providers:
            try:
                report.health.append(
                    driver_for(provider, app.settings.simulator_dir, clock).health()
                )
            except ProviderError as exc:
                report.health_errors[provider.name] = str(exc)
        return report
    finally:
        app.close()
