"""The jobs ``govcloud serve`` runs and when they fire (what each does: :mod:`.bodies`).

Each job is a :class:`JobSpec`: a name and a trigger (every N seconds, or a cron line in
Asia/Shanghai time, read by APScheduler's ``CronTrigger``). :func:`catalog` builds the list for an estate (one
``sync:<provider>`` and ``health`` probe per provider) from the defaults below, overridden
by a config file (:func:`load_config`)::

    jobs:
      sync: {every: 600}            # every provider ...
      sync:prov-main: {every: 120}  # ... but this one
      meter-collect: {cron: "5 * * * *"}
      month-close: {enabled: false}
      budget-alerts: {every: 1800, thresholds: [80, 90, 100]}

:func:`next_due` says when a job fires next after its last firing, coalescing missed
firings into one and shortening the wait after a temporary failure (back-off).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from apscheduler.triggers.cron import CronTrigger

from controlplane.timeutil import SHANGHAI

__all__ = [
    "DEFAULTS",
    "JobConfigError",
    "JobSpec",
    "Trigger",
    "catalog",
    "load_config",
    "next_due",
]


class JobConfigError(ValueError):
    """The jobs config file is not what :func:`load_config` reads."""


@dataclass(frozen=True)
class Trigger:
    """Every ``every`` seconds, or at the times of ``cron`` (Asia/Shanghai)."""

    every: float | None = None
    cron: str | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise JobConfigError("a job fires either every N seconds or on a cron line")
        if self.every is not None and self.every <= 0:
            raise JobConfigError(f"every: {self.every} must be positive")
        if self.cron is not None:
            self.cron_trigger()  # a bad line fails here, at load time

    def cron_trigger(self) -> CronTrigger:
        assert self.cron is not None
        try:
            return CronTrigger.from_crontab(self.cron, timezone=SHANGHAI)
        except ValueError as exc:
            raise JobConfigError(f"cron {self.cron!r}: {exc}") from None

    def after(self, moment: datetime) -> datetime:
        """The first firing strictly after ``moment``."""
        if self.every is not None:
            return moment + timedelta(seconds=self.every)
        found = self.cron_trigger().get_next_fire_time(None, moment + timedelta(microseconds=1))
        assert isinstance(found, datetime)
        return found.astimezone(moment.tzinfo)

    def describe(self) -> str:
        return f"every {self.every:g}s" if self.every is not None else f"cron {self.cron}"


@dataclass(frozen=True)
class JobSpec:
    """A job as scheduled: its name (``kind`` or ``sync:<target>``) and trigger. What it
    does is :func:`controlplane.scheduler.bodies.body_for` — above the facade, while this
    module stays below it (the service layer reads schedules without the facade)."""

    name: str
    trigger: Trigger
    kind: str
    target: str | None = None
    description: str = ""
    #: job-specific settings from the config file (``budget-alerts``: ``thresholds``)
    options: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


#: name → (default trigger, description); ``sync`` is the default of every ``sync:<provider>``.
DEFAULTS: dict[str, tuple[Trigger, str]] = {
    "sync": (Trigger(every=600), "sync a provider's inventory and drift"),
    "health": (Trigger(every=60), "probe every provider's health"),
    "policy-audit": (Trigger(every=900), "audit the inventory; expired waivers lapse"),
    "meter-collect": (Trigger(cron="5 * * * *"), "collect usage (hourly)"),
    "month-close": (Trigger(cron="30 0 1 * *"), "previous month's draft statements (the 1st)"),
    "audit-verify": (Trigger(cron="15 3 * * *"), "verify the audit chain (daily)"),
    "budget-alerts": (Trigger(cron="20 * * * *"), "budget projections crossing a threshold"),
}

#: settings a job reads besides its trigger
_OPTIONS: dict[str, frozenset[str]] = {"budget-alerts": frozenset({"thresholds"})}


def load_config(path: Path | None) -> dict[str, dict[str, Any]]:
    """The ``jobs:`` mapping of a config file (``{}`` without one)."""
    if path is None:
        return {}
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise JobConfigError(f"{path}: {exc}") from None
    jobs = document.get("jobs", {}) if isinstance(document, dict) else None
    if not isinstance(jobs, dict) or not all(isinstance(v, dict) for v in jobs.values()):
        raise JobConfigError(f"{path}: expected `jobs: {{NAME: {{every|cron|enabled}}}}`")
    for name, options in jobs.items():
        base = str(name).split(":", 1)[0]
        if base not in DEFAULTS:
            raise JobConfigError(f"{path}: jobs.{name}: no such job (known: {sorted(DEFAULTS)})")
        unknown = set(options) - {"every", "cron", "enabled"} - _OPTIONS.get(base, frozenset())
        if unknown:
            raise JobConfigError(f"{path}: jobs.{name}: unknown key(s) {sorted(unknown)}")
        thresholds = options.get("thresholds")
        if thresholds is not None and (
            not isinstance(thresholds, list)
            or not thresholds
            or not all(isinstance(t, int) and not isinstance(t, bool) and t > 0 for t in thresholds)
        ):
            raise JobConfigError(
                f"{path}: jobs.{name}.thresholds: expected a list of positive whole percents"
            )
    return {str(k): dict(v) for k, v in jobs.items()}


def _trigger(default: Trigger, *options: Mapping[str, Any]) -> Trigger | None:
    chosen = default
    for option in options:
        if option.get("enabled") is False:
            return None
        if "every" in option or "cron" in option:
            every = option.get("every")
            chosen = Trigger(every=float(every) if every is not None else None,
                             cron=option.get("cron"))  # fmt: skip
    return chosen


def catalog(providers: list[str], config: Mapping[str, Mapping[str, Any]]) -> list[JobSpec]:
    """Every job for an estate with ``providers``, config applied, by name."""
    specs: list[JobSpec] = []
    for name, (default, description) in DEFAULTS.items():
        if name == "sync":
            for provider in providers:
                job = f"sync:{provider}"
                chosen = _trigger(default, config.get("sync", {}), config.get(job, {}))
                if chosen is not None:
                    specs.append(JobSpec(job, chosen, "sync", provider, description))
            continue
        chosen = _trigger(default, config.get(name, {}))
        if chosen is not None:
            extra = {k: v for k, v in config.get(name, {}).items() if k in _OPTIONS.get(name, ())}
            specs.append(JobSpec(name, chosen, name, None, description, extra))
    return sorted(specs, key=lambda s: s.name)


def next_due(
    trigger: Trigger,
    now: datetime,
    *,
    last_due: datetime | None,
    retry_at: datetime | None = None,
) -> datetime:
    """When a job fires next: the first firing after ``last_due`` — or, when that was
    missed, one firing now for all the missed ones (coalesced) — and no later than
    ``retry_at`` (back-off after a temporary failure). A job never seen fires at its
    first firing after ``now`` (an interval job: now)."""
    if last_due is None:
        due = now if trigger.every is not None else trigger.after(now)
    else:
        due = trigger.after(last_due)
        if due < now:
            # missed firings: the latest one not after now stands for all of them
            latest = due
            for _ in range(100_000):
                following = trigger.after(latest)
                if following > now:
                    break
                latest = following
            due = latest
    if retry_at is not None and retry_at < due:
        due = max(retry_at, last_due or retry_at)
    return due
