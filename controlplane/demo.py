"""The demo: a generated province run through govcloud's whole flow on a simulated month.

Builds a fresh home (never the user's database) and a clock that starts at the first
instant of the previous calendar month (Asia/Shanghai). It generates a small province
and gives its estate who may act: the demo's operator (``local-operator``, the CLI's
default ``--as``) and the big-data bureau's approver (``bdb-approver``), whose approval
step applies from 等保 level 3. It applies the estate twice (the second time must change
nothing), then for a sample of the departments' system requests: plan and record (as
the operator); the bureau approves those that wait for it — all but the last, left
waiting so the reader can approve it by hand; provision on the simulator clouds. It
then moves the clock to the end of the month, syncs every cloud's inventory, audits it
against the 等保 floor of each system's level (the generated estate has no ``policies:``
section, as a first estate often has none), collects the month's usage and rates the
bill. The figures come back as a :class:`DemoReport`
for the CLI to show.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.generate import PRESETS, Province, generate, write
from controlplane.app import App
from controlplane.billing import Month
from controlplane.config import Settings
from controlplane.estate.schema import parse_estate
from controlplane.estate.service import EstateApplyResult
from controlplane.facade import MAX_LIMIT, Govcloud
from controlplane.timeutil import SHANGHAI
from providers.sim.clock import ManualClock
from tenants import load_requests, load_yaml_file

__all__ = ["ACTOR", "APPROVER", "DemoReport", "demo_month", "run_demo"]

ACTOR = "local-operator"
APPROVER = "bdb-approver"
_APPROVAL_STEP = {"name": "big-data-bureau", "role": "approver", "when": {"minLevel": 3}}


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
    departments_applied: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    approved_by_bureau: int = 0
    approved_automatically: int = 0
    waiting_request: int | None = None  # left for the reader to approve by hand
    provisioned_resources: int = 0
    synced_resources: int = 0
    busiest_provider: str | None = None
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

    province = _governed(generate(PRESETS[scale], seed))
    write(province, home / "input")
    app = App(Settings.for_home(home), clock=clock)
    try:
        app.init()
        estate_file = home / "input" / "estate.yaml"
        document = parse_estate(load_yaml_file(str(estate_file)), str(estate_file))
        started = time.perf_counter()
        door = Govcloud.acting_as(app, ACTOR)
        applied = door.apply_estate(document)
        apply_seconds = time.perf_counter() - started
        reapplied = door.apply_estate(document)
        providers = door.providers(limit=MAX_LIMIT).items
        report = DemoReport(
            home=home,
            scale=scale,
            seed=seed,
            month=str(month),
            apply=applied,
            reapply=reapplied,
            apply_seconds=apply_seconds,
            providers_by_tier=Counter(p.tier for p in providers),
            tenants=door.tenants(limit=MAX_LIMIT).total or 0,
            systems=len(province.requests),
        )
        timings["estate"] = time.perf_counter() - mark

        mark = time.perf_counter()
        _requests(app, door, home, report, tenants_sampled)
        timings["requests"] = time.perf_counter() - mark

        clock.now = month.end  # the month has run
        mark = time.perf_counter()
        observed: Counter[str] = Counter()
        for name in sorted(p.name for p in providers):
            try:
                synced = door.sync_provider(name)
            except Exception as exc:  # a demo shows every cloud's outcome, whatever it is
                report.sync_errors[name] = str(exc)
                continue
            observed[name] = synced.observed
            report.synced_resources += synced.observed
            report.healthy_providers += synced.health.reachable and synced.health.auth_ok
        report.busiest_provider = observed.most_common(1)[0][0] if observed else None
        timings["sync"] = time.perf_counter() - mark

        mark = time.perf_counter()
        audited = door.audit_policies()
        report.audit = {
            "resources": audited.resources,
            "passed": audited.outcomes.get("pass", 0),
            "failed": audited.outcomes.get("fail", 0),
            "not_evaluable": audited.outcomes.get("not_evaluable", 0),
            "violations_opened": audited.violations.get("opened", 0),
        }
        timings["audit"] = time.perf_counter() - mark

        mark = time.perf_counter()
        collected = door.collect_usage(until=month.end)
        report.usage_records = sum(c.new_records for c in collected)
        run = door.run_bills(month)
        report.statements = run.statements
        report.bill_total = run.total
        statements = door.bills(month, limit=MAX_LIMIT).items
        views = sorted(statements, key=lambda v: v.statement.total, reverse=True)
        report.top_bills = [
            (v.statement.tenant, v.statement.tenant_name, v.statement.total) for v in views[:5]
        ]
        timings["meter_and_bill"] = time.perf_counter() - mark
        report.seconds = {k: round(v, 2) for k, v in timings.items()}
        return report
    finally:
        app.close()


def _governed(province: Province) -> Province:
    """The generated estate with the demo's principals and the bureau's approval step.

    Declaring any principal means every actor must be declared, so the operator the
    demo (and the CLI's default ``--as``) acts as is declared with the approver.
    """
    spec = {
        **province.estate["spec"],
        "principals": [
            {"name": ACTOR, "roles": ["operator"]},
            {"name": APPROVER, "roles": ["approver"]},
        ],
        "approvals": [_APPROVAL_STEP],
    }
    return replace(province, estate={**province.estate, "spec": spec})


def _requests(
    app: App, door: Govcloud, home: Path, report: DemoReport, tenants_sampled: int
) -> None:
    """Plan, record, approve and provision the requests of the first departments.

    The bureau approves every request waiting for it but the last one, which stays
    ``PendingApproval`` for the reader (the CLI prints the commands to approve it).
    """
    files = sorted((home / "input" / "requests").glob("*.yaml"))[:tenants_sampled]
    report.departments_applied = len(files)
    bureau = Govcloud.acting_as(app, APPROVER)
    approved: list[int] = []
    waiting: list[int] = []
    for path in files:
        for result in door.apply(load_requests(path)):
            request = result.request
            if request is None:
                report.requests["unchanged"] += 1
            elif request.state == "Approved":
                approved.append(request.id)
            elif request.state == "PendingApproval":
                waiting.append(request.id)
            else:
                report.requests[request.state] += 1
    report.approved_automatically = len(approved)
    if waiting:
        report.waiting_request = waiting.pop()
        report.requests["PendingApproval"] += 1
    for request_id in waiting:
        bureau.approve(request_id)
        report.approved_by_bureau += 1
    for request_id in sorted([*approved, *waiting]):
        outcome = door.provision(request_id)
        report.requests[outcome.state] += 1
        report.provisioned_resources += sum(o.ok for o in outcome.outcomes)
