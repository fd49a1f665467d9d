"""Hourly allocation intervals of a namespace quota, as a pure function.

Owns ``quota_usage``: given the quota values govcloud set over time (the allocation
history kept on the ResourceQuota), the quota's end of life and a window, it yields one
``UsageObservation`` per meter (``k8s.cpu`` cores, ``k8s.memory`` GiB) per *complete*
clock hour, with a source key that is the same on every call. An hour still running at
``until`` is left for the next collection, so two collections never split one hour in
two billable pieces. Also ``parse_history`` / ``append_history`` for the annotation.

Must not import anything internal except ``providers.kinds`` and ``providers.types``,
nor any cloud SDK.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from providers.kinds import KINDS
from providers.types import UsageObservation

__all__ = ["HistoryEntry", "append_history", "parse_history", "quota_usage"]

HistoryEntry = tuple[datetime, Mapping[str, object]]
_HOUR = timedelta(hours=1)
#: Bounded so the annotation stays far below the 256 KiB object annotation limit.
_MAX_ENTRIES = 500


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def parse_history(text: str | None) -> list[HistoryEntry]:
    """The ``[[iso, {cpu, memory}], ...]`` annotation, oldest first; junk is ignored."""
    if not text:
        return []
    try:
        raw = json.loads(text)
    except ValueError:
        return []
    entries: list[HistoryEntry] = []
    for item in raw if isinstance(raw, list) else []:
        try:
            moment = datetime.fromisoformat(item[0])
        except (TypeError, ValueError, IndexError):
            continue
        if moment.tzinfo is not None and isinstance(item[1], dict):
            entries.append((moment, item[1]))
    return sorted(entries, key=lambda entry: entry[0])


def append_history(text: str | None, moment: datetime, spec: Mapping[str, object]) -> str:
    """The annotation with ``spec`` effective from ``moment`` (unchanged spec: no entry)."""
    entries = parse_history(text)
    allocation = {key: str(spec[key]) for key in ("cpu", "memory") if spec.get(key) is not None}
    if not entries or dict(entries[-1][1]) != allocation:
        entries.append((moment.astimezone(UTC), allocation))
    kept = entries[-_MAX_ENTRIES:]
    return json.dumps([[at.isoformat(), dict(values)] for at, values in kept], sort_keys=True)


def quota_usage(
    *,
    provider: str,
    resource_id: str,
    tenant: str | None,
    system: str | None,
    history: Sequence[HistoryEntry],
    ended_at: datetime | None,
    since: datetime,
    until: datetime,
) -> Iterator[UsageObservation]:
    """Observations for each complete hour of ``[since, until)`` the quota was allocated.

    An hour is reported whole from its start (or from the allocation's start inside it)
    to its end (or the allocation's end inside it); a change of quota mid-hour splits
    the hour at the change, each part with its own key.
    """
    rule = KINDS["namespace_quota"]
    for index, (start_at, spec) in enumerate(history):
        # A fixed end (the next change, the deletion) settles a partial hour; the
        # window's edge does not.
        true_end = history[index + 1][0] if index + 1 < len(history) else ended_at
        if true_end is not None and ended_at is not None:
            true_end = min(true_end, ended_at)
        end_at = until if true_end is None else min(true_end, until)
        if end_at <= start_at:
            continue
        meters = rule.usage_of(spec)
        hour = _floor_hour(max(start_at, since))
        while hour < end_at:
            hour_end = hour + _HOUR
            if hour_end > until and (true_end is None or true_end > until):
                break  # the hour is not over yet: the next collection reports it whole
            begin, finish = max(hour, start_at), min(hour_end, end_at)
            if begin < finish:
                for meter, quantity in meters:
                    yield UsageObservation(
                        provider=provider,
                        resource_id=resource_id,
                        tenant=tenant,
                        system=system,
                        meter=meter,
                        quantity=quantity,
                        start=begin,
                        end=finish,
                        source_key=(
                            f"k8s:{provider}:{resource_id}:{meter}:"
                            f"{begin.astimezone(UTC).isoformat()}"
                        ),
                    )
            hour = hour_end
