"""The service container: one database, one clock, the services built on them.

Services receive their session factory and clock here (one I/O seam); the CLI, the TUI
and tests build an :class:`App` and call services, never SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from controlplane.audit_config import SESSION_KEY
from controlplane.config import Settings
from controlplane.db import load_tables, migrate
from controlplane.db.engine import make_engine, session_factory
from controlplane.estate.service import EstateService
from controlplane.timeutil import Clock, system_clock

__all__ = ["App", "SchemaNotCurrent"]


class SchemaNotCurrent(RuntimeError):
    """The database is not at the schema this govcloud needs; ``govcloud init`` fixes it."""


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

    @cached_property
    def estate(self) -> EstateService:
        return EstateService(self.sessions, self.clock)

    def init(self) -> tuple[str | None, str | None]:
        """Create or migrate the schema; returns (revision before, revision after)."""
        before = migrate.current_revision(self.engine)
        migrate.upgrade(self.engine)
        return before, migrate.current_revision(self.engine)

    def ready(self) -> None:
        """Refuse to run on a schema other than head.

        A brand-new embedded SQLite database is initialised on first use (nothing to
        lose); any other database is only migrated by an explicit ``govcloud init``.
        """
        current, head = migrate.current_revision(self.engine), migrate.head_revision()
        if current == head:
            return
        if current is None and self.settings.database_url.startswith("sqlite"):
            migrate.upgrade(self.engine)
            return
        raise SchemaNotCurrent(
            f"database schema is at {current or 'nothing'}, this govcloud needs {head}: "
            "run `govcloud init`"
        )

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
