"""The service container: one database, one clock, every service built on them, once.

Each service's module is imported when the service is first used, so a command pays
only for the areas it touches (a CLI that starts fast).

Services receive their session factory, clock and provider drivers here (one I/O seam).
This is the only module that assembles services: callers (the CLI, the HTTP API, the
TUI, scheduled jobs) go through :class:`controlplane.facade.Govcloud`, which holds an
``App`` and checks the role table before using any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from controlplane.audit_config import SESSION_KEY
from controlplane.config import Settings
from controlplane.db import load_tables, revision
from controlplane.db.engine import make_engine, session_factory
from controlplane.db.models import Provider
from controlplane.errors import GovcloudError
from controlplane.timeutil import Clock, system_clock
from providers import Driver, Provisioning

if TYPE_CHECKING:
    from controlplane.audit_service import AuditService
    from controlplane.auth import TokenService
    from controlplane.bills.service import BillsService
    from controlplane.budget_alerts import BudgetAlertService
    from controlplane.compliance.audit import ComplianceService
    from controlplane.compliance.waivers import WaiverService
    from controlplane.estate.service import EstateService
    from controlplane.inventory.sync import SyncService
    from controlplane.metering.service import MeteringService
    from controlplane.planning.service import PlanService
    from controlplane.requests.exported import SystemExporter
    from controlplane.requests.provisioning import Provisioner
    from controlplane.requests.reads import GovernedReads
    from controlplane.requests.service import RequestService
    from controlplane.scheduler.service import JobService

__all__ = ["App", "SchemaNotCurrent"]


class SchemaNotCurrent(GovcloudError):
    """The database is not at the schema this govcloud needs; ``govcloud init`` fixes it."""

    code = "schema_not_current"
    http_status = 503


@dataclass
class App:
    settings: Settings
    clock: Clock = field(default=system_clock)

    @cached_property
    def engine(self) -> Engine:
        load_tables()
        if self.settings.database_url.startswith("sqlite"):
            self.settings.ensure_home()
        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        # the audit log's key ring and checkpoint files ride on every session (audit.append)
        return session_factory(self.engine, info={SESSION_KEY: self.settings.audit_config})

    def driver(self, provider: Provider) -> Driver:
        """A driver for one stored provider (credentials stay references)."""
        from controlplane.drivers import driver_for

        return driver_for(provider, self.settings.simulator_dir, self.clock)

    @cached_property
    def estate(self) -> EstateService:
        from controlplane.estate.service import EstateService

        return EstateService(self.sessions, self.clock)

    @cached_property
    def plans(self) -> PlanService:
        from controlplane.planning.service import PlanService

        return PlanService(self.sessions, self.clock, self.settings)

    @cached_property
    def requests(self) -> RequestService:
        from controlplane.requests.from_plan import PlanServicePlanner
        from controlplane.requests.service import RequestService

        return RequestService(self.sessions, self.clock, PlanServicePlanner(self.plans))

    @cached_property
    def reads(self) -> GovernedReads:
        from controlplane.requests.reads import GovernedReads

        return GovernedReads(self.sessions)

    def provisioning(self, provider: Provider) -> Provisioning:
        """How one provider's resources are provisioned: its SDK driver or Pulumi."""
        from controlplane.drivers import engine_for

        return engine_for(provider, self.settings, self.clock)

    @cached_property
    def provisioner(self) -> Provisioner:
        from controlplane.requests.provisioning import Provisioner

        return Provisioner(self.sessions, self.clock, self.provisioning)

    @cached_property
    def sync(self) -> SyncService:
        from controlplane.inventory.sync import SyncService

        return SyncService(self.sessions, self.clock, self.driver)

    @cached_property
    def compliance(self) -> ComplianceService:
        from controlplane.compliance.audit import ComplianceService

        return ComplianceService(self.sessions, self.clock, self.estate.policy_document)

    @cached_property
    def waivers(self) -> WaiverService:
        from controlplane.compliance.waivers import EstatePrincipals, WaiverService

        return WaiverService(self.sessions, self.clock, EstatePrincipals(self.sessions))

    @cached_property
    def bills(self) -> BillsService:
        from controlplane.bills.service import BillsService

        return BillsService(self.sessions, self.clock)

    @cached_property
    def exporter(self) -> SystemExporter:
        from controlplane.requests.exported import SystemExporter

        return SystemExporter(self.sessions)

    @cached_property
    def audit(self) -> AuditService:
        from controlplane.audit_service import AuditService

        return AuditService(self.sessions, self.clock)

    @cached_property
    def tokens(self) -> TokenService:
        from controlplane.auth import TokenService

        return TokenService(self.sessions, self.clock)

    @cached_property
    def metering(self) -> MeteringService:
        from controlplane.metering.service import MeteringService

        return MeteringService(self.sessions, self.clock, self.driver)

    @cached_property
    def jobs(self) -> JobService:
        from controlplane.scheduler.service import JobService

        return JobService(self.sessions, self.clock, self.settings.jobs_config)

    @cached_property
    def budget_alerts(self) -> BudgetAlertService:
        from controlplane.budget_alerts import BudgetAlertService

        return BudgetAlertService(self.sessions, self.clock)

    def init(self) -> tuple[str | None, str | None]:
        """Create or migrate the schema; returns (revision before, revision after)."""
        from controlplane.db import migrate

        before = migrate.current_revision(self.engine)
        migrate.upgrade(self.engine)
        return before, migrate.current_revision(self.engine)

    def ready(self) -> None:
        """Refuse to run on a schema other than head.

        A brand-new embedded SQLite database is initialised on first use (nothing to
        lose); any other database is only migrated by an explicit ``govcloud init``.
        """
        current, head = revision.stored_revision(self.engine), revision.HEAD
        if current == head:
            return
        if current is None and self.settings.database_url.startswith("sqlite"):
            from controlplane.db import migrate

            migrate.upgrade(self.engine)
            return
        raise SchemaNotCurrent(
            f"数据库结构版本为 {current or '空'}，本 govcloud 需要 {head}：请运行 `govcloud init`",
            f"database schema is at {current or 'nothing'}, this govcloud needs {head}: "
            "run `govcloud init`",
        )

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
