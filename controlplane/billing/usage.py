"""Plain values of metering: observations, usage intervals, coverage.

Owns the frozen dataclasses that flow from collection/import into rating:
``Observation`` (one raw record, natural key ``(provider, source, source_key)``),
``UsageInterval`` (a half-open ``[start, end)`` span at a constant integer quantity of
base units), ``CollectionWindow`` (a source vouching that it looked at a provider over a
span, even if it found nothing) and ``CoverageGap``. No logic beyond validation; no I/O.
Imports only ``errors``, ``meters`` and ``period``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from controlplane.billing.errors import ObservationError
from controlplane.billing.meters import meter
from controlplane.billing.period import epoch_seconds, from_epoch


def _check_span(what: str, start: datetime, end: datetime) -> None:
    for instant in (start, end):
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ObservationError(f"{what}: {instant.isoformat()} has no timezone offset")
        if instant.microsecond:
            raise ObservationError(
                f"{what}: {instant.isoformat()} has sub-second precision (truncate to seconds)"
            )
    if not start < end:
        raise ObservationError(f"{what}: start {start.isoformat()} is not before end")


NaturalKey = tuple[str, str, str]


def interval_id(
    provider: str, resource_id: str, meter_name: str, quantity: int, start: int, end: int
) -> str:
    """The content id of an interval (epoch seconds, base units): the same in every run."""
    text = f"{provider}\x1f{resource_id}\x1f{meter_name}\x1f{start}\x1f{end}\x1f{quantity}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Observation:
    """One raw usage record as collected or imported.

    ``source_key`` identifies the record within its source: an event id, or
    ``resource|meter|sample-time`` for a polled snapshot. ``quantity`` is in the meter's
    unit (vCPU, GiB, IP, cores…) and is held constant over ``[start, end)``.
    """

    provider: str
    source: str
    source_key: str
    resource_id: str
    tenant: str
    system: str
    meter: str
    quantity: Decimal
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        where = f"observation {self.provider}/{self.source}/{self.source_key}"
        for name in ("provider", "source", "source_key", "resource_id", "tenant", "meter"):
            if not getattr(self, name):
                raise ObservationError(f"{where}: {name} is empty")
        if not isinstance(self.quantity, Decimal):
            raise ObservationError(f"{where}: quantity must be a Decimal")
        _check_span(where, self.start, self.end)
        meter(self.meter).to_base(self.quantity)

    @property
    def natural_key(self) -> NaturalKey:
        return (self.provider, self.source, self.source_key)

    @property
    def base_quantity(self) -> int:
        return meter(self.meter).to_base(self.quantity)


@dataclass(frozen=True)
class UsageInterval:
    """``quantity`` base units of ``meter`` held by a resource over ``[start, end)``.

    ``observations`` are the natural keys of the records that set the quantity (lineage).
    ``interval_id`` is derived from the content, so the same usage gets the same id in
    every run and every process.
    """

    provider: str
    resource_id: str
    meter: str
    quantity: int
    start: datetime
    end: datetime
    observations: tuple[NaturalKey, ...] = field(default=(), compare=False)

    @cached_property  # asked for several times per interval by rating and the writers
    def interval_id(self) -> str:
        return interval_id(
            self.provider,
            self.resource_id,
            self.meter,
            self.quantity,
            epoch_seconds(self.start),
            epoch_seconds(self.end),
        )

    @property
    def seconds(self) -> int:
        return epoch_seconds(self.end) - epoch_seconds(self.start)

    @property
    def base_unit_seconds(self) -> int:
        """The integral of the interval: e.g. MiB·seconds for memory."""
        return self.quantity * self.seconds

    @classmethod
    def from_epoch(
        cls,
        provider: str,
        resource_id: str,
        meter_name: str,
        quantity: int,
        start: int,
        end: int,
        observations: tuple[NaturalKey, ...] = (),
    ) -> UsageInterval:
        return cls(
            provider,
            resource_id,
            meter_name,
            quantity,
            from_epoch(start),
            from_epoch(end),
            observations,
        )


@dataclass(frozen=True)
class CollectionWindow:
    """A source looked at ``provider`` over ``[start, end)`` (a collection run, an import)."""

    provider: str
    source: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _check_span(f"collection window {self.provider}/{self.source}", self.start, self.end)


@dataclass(frozen=True, order=True)
class CoverageGap:
    """No source vouches for ``provider`` over ``[start, end)``: usage there is unknown."""

    provider: str
    start: datetime
    end: datetime

    def __str__(self) -> str:
        return (
            f"{self.provider}: no usage data for [{self.start.isoformat()}, {self.end.isoformat()})"
        )
