"""Where the audit log keeps what must live outside the database, from the environment.

The chain's key ring and its signed checkpoints are files (the database's administrator
must not be able to rewrite them); by default both sit in the govcloud home:

- ``GOVCLOUD_AUDIT_KEYRING`` — the key ring (default ``HOME/audit/keyring``, mode 0600);
  several replicas sharing one PostgreSQL point this at the same secret mount.
- ``GOVCLOUD_AUDIT_CHECKPOINTS`` — the append-only JSON-lines checkpoint file
  (default ``HOME/audit/checkpoints.jsonl``).
- ``GOVCLOUD_AUDIT_CHECKPOINT_MIRROR`` — optionally a second checkpoint file on another
  system (an NFS/WORM mount, a log collector's spool); verification reads both.
- ``GOVCLOUD_AUDIT_CHECKPOINT_EVERY`` — write a checkpoint when a commit crosses a
  multiple of N events (default 1: after every commit that appended events).
- ``GOVCLOUD_AUDIT_ALGORITHM`` — ``sha256`` (default) or ``sm3`` (GB/T 32905, 商用密码).

Imports nothing from govcloud: the settings read it before anything else exists. The
resolved configuration rides on each session (``App.sessions`` puts it in
``Session.info`` under :data:`SESSION_KEY`), so the services that append events need
no extra parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["ALGORITHMS", "SESSION_KEY", "Algorithm", "AuditConfig", "AuditSetupError", "config_of"]

Algorithm = Literal["sha256", "sm3"]
ALGORITHMS: tuple[Algorithm, ...] = ("sha256", "sm3")
# a real province appends a few thousand events a day: one checkpoint per event is cheap,
# and a larger N only widens the window in which the newest events could vanish unseen
_MAX_EVERY = 1_000_000
SESSION_KEY = "govcloud.audit"


class AuditSetupError(Exception):
    """The audit log cannot be kept as configured (bad setting, unreadable key ring…).

    A mutation that cannot be audited does not happen: this aborts the caller's
    transaction, and the CLI reports it without a traceback.
    """


@dataclass(frozen=True)
class AuditConfig:
    """Resolved locations and choices for one govcloud process's audit log."""

    keyring: Path
    checkpoints: Path
    mirror: Path | None = None
    checkpoint_every: int = 1
    algorithm: Algorithm = "sha256"

    @classmethod
    def for_home(cls, home: Path) -> AuditConfig:
        audit_dir = home / "audit"
        return cls(keyring=audit_dir / "keyring", checkpoints=audit_dir / "checkpoints.jsonl")

    @classmethod
    def from_env(cls, home: Path, env: Mapping[str, str]) -> AuditConfig:
        """The configuration for ``home``; a bad value names its variable and what it takes."""
        default = cls.for_home(home)
        every_text = env.get("GOVCLOUD_AUDIT_CHECKPOINT_EVERY", "1").strip()
        if not every_text.isdigit() or not 1 <= int(every_text) <= _MAX_EVERY:
            raise AuditSetupError(
                f"GOVCLOUD_AUDIT_CHECKPOINT_EVERY={every_text!r}: "
                f"expected a whole number from 1 to {_MAX_EVERY}"
            )
        algorithm = env.get("GOVCLOUD_AUDIT_ALGORITHM", "sha256").strip().lower()
        if algorithm not in ALGORITHMS:
            raise AuditSetupError(
                f"GOVCLOUD_AUDIT_ALGORITHM={algorithm!r}: expected one of {', '.join(ALGORITHMS)}"
            )
        mirror = env.get("GOVCLOUD_AUDIT_CHECKPOINT_MIRROR", "").strip()
        return cls(
            keyring=_path(env, "GOVCLOUD_AUDIT_KEYRING", default.keyring),
            checkpoints=_path(env, "GOVCLOUD_AUDIT_CHECKPOINTS", default.checkpoints),
            mirror=Path(mirror).expanduser() if mirror else None,
            checkpoint_every=int(every_text),
            algorithm=algorithm,
        )

    @property
    def checkpoint_files(self) -> tuple[Path, ...]:
        """Every file a checkpoint is written to and read back from, primary first."""
        return (self.checkpoints,) if self.mirror is None else (self.checkpoints, self.mirror)


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    value = env.get(name, "").strip()
    return Path(value).expanduser() if value else default


def config_of(session: Session) -> AuditConfig:
    """The audit configuration the session was opened with (by ``App.sessions``)."""
    config = session.info.get(SESSION_KEY)
    if not isinstance(config, AuditConfig):
        raise AuditSetupError(
            "this session carries no audit configuration: open it with App.sessions"
        )
    return config
