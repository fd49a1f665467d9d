"""The demo: a generated province run through govcloud's whole flow on a simulated month.

Builds a fresh home (never the user's database) and a clock that starts at the first
instant of the previous calendar month (Asia/Shanghai). It generates a small province,
applies its estate twice (the second time must change nothing), then for a sample of
the departments' system requests: plan, record, approve (by the estate's chain, here
automatic), provision on the simulator clouds; moves the clock to the end of the month;
syncs every cloud's inventory; audits it against the 等保 floor of each system's level
(the generated estate has no ``policies:`` section, as a first estate often has none);
collects the month's usage and rates the bill. The figures come back as a
:class:`DemoReport` for the CLI to show.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.generate import PRESETS, generate, write
from controlplane.app import App
from controlplane.billing import Month
from controlplane.bills import bills_service
from controlplane.compliance import compliance_service
from controlplane.config import Settings
from controlplane.estate.schema import parse_estate
from controlplane.estate.service import EstateApplyResult
from controlplane.inventory import sync_service
from controlplane.metering import metering_service
from controlplane.planning import PlanService
from controlplane.requests import provisioner, request_service
from controlplane.requests.from_plan import PlanServicePlanner
from controlplane.timeutil import SHANGHAI
from providers.sim.clock import ManualClock
from tenants import load_requests, load_yaml_file

__all__ = ["DemoReport", "demo_month", "run_demo"]

ACTOR = "local-operator"


@dataclass
class DemoReport:
    home: Path
    scale: str
    seed: int
    month: str
    apply: EstateApplyResult
    reapply: EstateApplyResult
    apply_seconds: float
    providers_by_tier: Counter[str]
    tenants: int
    systems: int
    resources: int
    requests: Counter[str] = field(default_factory=Counter)
    provisioned_resources: int = 0
    synced_resources: int = 0
    healthy_providers: int = 0
    sync_errors: dict[str, str] = field(default_factory=dict)
    audit: dict[str, int] = field(default_factory=dict)
    usage_records: int = 0
    statements: int = 0
    bill_total: Decimal = Decimal("0.00")
    top_bills: list[tuple[str, str, Decimal]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def demo_month(now: datetime) -> Month:
    """The calendar month before ``now`` in Asia/Shanghai: complete, so it can be billed."""
    local = now.astimezone(SHANGHAI)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    previous = (first - timedelta(days=1)).replace(day=1)
    return Month.parse(previous.strftime("%Y-%m"))


def run_demo(
    home: Path,
    *,
    scale: str = "demo",
    seed: int = 42,
    tenants_sampled: int = 12,
    now: datetime | None = None,
) -> DemoReport:
    """Run the demo in ``home`` (created; must not hold a previous govcloud database)."""
    if (home / "govcloud.db").exists():
        raise FileExistsError(f"{home} already holds a govcloud database; use a fresh --home")
    home.mkdir(parents=True, exist_ok=True)
    month = demo_month(now or datetime.now(SHANGHAI))
    clock = ManualClock(month.start)
    timings: dict[str, float] = {}
    mark = time.perf_counter()

    province = generate(PRESETS[scale], seed)
    write(province, home / "input")
    app = App(Settings.for_home(home), clock=clock)
    try:
        app.init()
        estate_file = home / "input" / "estate.yaml"
        document = parse_estate(load_yaml_file(str(estate_file)), str(estate_file))
        started = time.perf_counter()
        applied = app.estate.apply(document, actor=ACTOR)
        apply_seconds = time.perf_counter() - started
        reapplied = app.estate.apply(document, actor=ACTOR)
        providers = app.estate.providers()
        report = DemoReport(
            home=home,
            scale=scale,
            seed=seed,
            month=str(month),
            apply=applied,
            reapply=reapplied,
            apply_seconds=apply_seconds,
            providers_by_tier=Counter(p.tier for p in providers),
            tenants=len(app.estate.tenants()),
            systems=len(province.requests),
            resources=sum(province.resource_counts().values()),
        )
        timings["estate"] = time.perf_counter() - mark

        mark = time.perf_counter()
        _requests(app, home, report, tenants_sampled)
        timings["requests"] = time.perf_counter() - mark

        clock.now = month.end  # the month has run
        mark = time.perf_counter()
        syncer = sync_service(app)
        for name in syncer.provider_names():
            try:
                synced = syncer.sync(name, actor=ACTOR)
            except Exception as exc:  # a demo shows every cloud's outcome, whatever it is
                report.sync_errors[name] = str(exc)
                continue
            report.synced_resources += synced.observed
            report.healthy_providers += synced.health.reachable and synced.health.auth_ok
        timings["sync"] = time.perf_counter() - mark

        mark = time.perf_counter()
        audited = compliance_service(app).audit(actor=ACTOR)
        report.audit = {
            "resources": audited.resources,
            "passed": audited.passed,
            "failed": audited.failed,
            "not_evaluable": audited.not_evaluable,
            "violations_opened": audited.opened,
        }
        timings["audit"] = time.perf_counter() - mark

        mark = time.perf_counter()
        collected = metering_service(app).collect(actor=ACTOR, until=month.end)
        report.usage_records = sum(c.new_records for c in collected)
        bills = bills_service(app)
        run = bills.run(month, actor=ACTOR)
        report.statements = run.statements
        report.bill_total = run.total
        views = sorted(bills.show(month), key=lambda v: v.statement.total, reverse=True)
        report.top_bills = [
            (v.statement.tenant, v.statement.tenant_name, v.statement.total) for v in views[:5]
        ]
        timings["meter_and_bill"] = time.perf_counter() - mark
        report.seconds = {k: round(v, 2) for k, v in timings.items()}
        return report
    finally:
        app.close()


def _requests(app: App, home: Path, report: DemoReport, tenants_sampled: int) -> None:
    """Plan, record, approve and provision the requests of the first departments."""
    files = sorted((home / "input" / "requests").glob("*.yaml"))[:tenants_sampled]
    planner = PlanServicePlanner(PlanService(app.sessions, app.clock, app.settings))
    service = request_service(app, planner)
    builder = provisioner(app)
    for path in files:
        for parsed in load_requests(path):
            result = service.apply(parsed, actor=ACTOR)
            request = result.request
            if request is None or request.id is None:
                report.requests["unchanged"] += 1
                continue
            if request.state == "Approved":
                outcome = builder.provision(request.id, actor=ACTOR)
                report.requests[outcome.state] += 1
                report.provisioned_resources += sum(o.ok for o in outcome.outcomes)
            else:
                report.requests[request.state] += 1
