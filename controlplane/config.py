"""Where govcloud keeps its state, from the environment.

``GOVCLOUD_HOME`` (default ``~/.local/share/govcloud``) holds the embedded SQLite
database and simulator state; ``GOVCLOUD_DATABASE_URL`` selects another database
(``postgresql+psycopg://…`` in production). Providers with ``engine: pulumi`` keep
their stacks under ``<home>/pulumi`` (state in a ``file://`` backend there unless
``GOVCLOUD_PULUMI_BACKEND`` names another), their secrets sealed with
``GOVCLOUD_PULUMI_PASSPHRASE``. ``GOVCLOUD_JOBS_CONFIG`` names the file of ``govcloud
serve``'s job schedule (:mod:`controlplane.scheduler.catalog`). The audit log's key ring and checkpoint files live
outside the database, by default under the home (``GOVCLOUD_AUDIT_*``, see
:mod:`controlplane.audit_config`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from pathlib import Path

from controlplane.audit_config import AuditConfig

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    """Resolved locations for one govcloud process."""

    home: Path
    database_url: str
    # The optional settings are keyword-only: areas keep adding them, and a positional
    # argument silently landing in another area's field is a bug no type check catches.
    _: KW_ONLY
    pulumi_passphrase: str | None = None
    pulumi_backend: str | None = None
    audit: AuditConfig | None = None  # None: the defaults under ``home``
    jobs_config: Path | None = None  # serve's job schedule (GOVCLOUD_JOBS_CONFIG)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        default_home = Path(env.get("HOME", "~")).expanduser() / ".local/share/govcloud"
        home = Path(env.get("GOVCLOUD_HOME", str(default_home))).expanduser()
        url = env.get("GOVCLOUD_DATABASE_URL") or f"sqlite:///{home / 'govcloud.db'}"
        return cls(
            home=home,
            database_url=url,
            pulumi_passphrase=env.get("GOVCLOUD_PULUMI_PASSPHRASE") or None,
            pulumi_backend=env.get("GOVCLOUD_PULUMI_BACKEND") or None,
            audit=AuditConfig.from_env(home, env),
            jobs_config=Path(env["GOVCLOUD_JOBS_CONFIG"])
            if env.get("GOVCLOUD_JOBS_CONFIG")
            else None,
        )

    @classmethod
    def for_home(cls, home: Path) -> Settings:
        """An isolated home with its own SQLite database (the demo, tests)."""
        return cls(home=home, database_url=f"sqlite:///{home / 'govcloud.db'}")

    def ensure_home(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)

    @property
    def audit_config(self) -> AuditConfig:
        return self.audit if self.audit is not None else AuditConfig.for_home(self.home)

    @property
    def simulator_dir(self) -> Path:
        return self.home / "simulator"

    @property
    def pulumi_dir(self) -> Path:
        return self.home / "pulumi"
