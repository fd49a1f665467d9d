"""The metering service: collect, import, coverage gaps and their acknowledgement.

Owns the transactions of metering. ``collect`` asks each provider's driver for its usage
since the end of the last window it vouched for, one transaction per provider (a
failing cloud leaves an explicit gap, the others are collected). ``import_file`` refuses
the whole file on any problem (located) or any record contradicting a stored one.
Replays change nothing. Receives its session factory, clock and driver factory in the
constructor (the one I/O seam); ``metering_service(app)`` builds it from an ``App``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from controlplane import audit
from controlplane.billing import CollectionWindow, Month
from controlplane.db.engine import transaction
from controlplane.db.models import Provider, Tenant
from controlplane.db.tables_billing import AvailabilityRow, CollectionWindowRow, CoverageGapAck
from controlplane.metering.collect import COLLECT_SOURCE, collect_window, whole_second
from controlplane.metering.coverage import MonthCoverage, month_coverage
from controlplane.metering.importing import parse_import
from controlplane.metering.records import RawUsage
from controlplane.metering.store import IngestConflict, IngestOutcome, ingest, load_usage
from controlplane.timeutil import Clock, as_utc

if TYPE_CHECKING:
    from controlplane.app import App
from providers import Driver, ProviderError
from tenants import ManifestError, Problem

__all__ = [
    "CollectResult",
    "ImportResult",
    "MeteringError",
    "MeteringService",
    "metering_service",
]

DriverFactory = Callable[[Provider], Driver]


class MeteringError(RuntimeError):
    """A metering operation was refused (the message says why)."""


@dataclass(frozen=True)
class CollectResult:
    """One provider's part of a ``meter collect``."""

    provider: str
    since: datetime | None
    until: datetime
    records: int
    new_records: int
    status: str  # collected | up-to-date | failed
    error: str = ""


@dataclass(frozen=True)
class ImportResult:
    file: str
    records: int
    new_records: int
    windows: int
    replayed: bool
    batch_id: int | None


class MeteringService:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, drivers: DriverFactory
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._drivers = drivers

    # ---- collect -----------------------------------------------------------------

    def collect(
        self, *, actor: str, until: datetime | None = None, providers: Sequence[str] = ()
    ) -> list[CollectResult]:
        """Pull usage from every provider (or ``providers``) up to ``until`` (default now)."""
        end = whole_second(as_utc(until or self._clock()))
        with self._sessions() as session:
            rows = list(session.exec(select(Provider).order_by(col(Provider.name))).all())
        unknown = set(providers) - {p.name for p in rows}
        if unknown:
            raise MeteringError(f"unknown provider(s): {', '.join(sorted(unknown))}")
        chosen = [p for p in rows if not providers or p.name in providers]
        return [self._collect_one(provider, end, actor) for provider in chosen]

    def _collect_one(self, provider: Provider, until: datetime, actor: str) -> CollectResult:
        with transaction(self._sessions) as session:
            last = session.exec(
                select(func.max(CollectionWindowRow.end)).where(
                    CollectionWindowRow.provider == provider.name,
                    CollectionWindowRow.source == COLLECT_SOURCE,
                )
            ).one()
        since = whole_second(as_utc(last) if last is not None else provider.created_at)
        if since >= until:
            return CollectResult(provider.name, since, until, 0, 0, "up-to-date")
        try:
            records, window = collect_window(self._drivers(provider), provider.name, since, until)
        except ProviderError as exc:
            return CollectResult(provider.name, since, until, 0, 0, "failed", str(exc))
        try:
            with transaction(self._sessions) as session:
                outcome = ingest(session, records, [window], kind="collect",
                                 origin=provider.name, actor=actor, at=self._clock())  # fmt: skip
        except IngestConflict as exc:
            return CollectResult(provider.name, since, until, len(records), 0, "failed", str(exc))
        return CollectResult(
            provider.name, since, until, outcome.records, outcome.new_records, "collected"
        )

    # ---- import ------------------------------------------------------------------

    def import_file(self, path: Path | str, *, actor: str, text: str | None = None) -> ImportResult:
        """Import a usage file; any problem refuses it whole (``ManifestError``, located)."""
        with self._sessions() as session:
            providers = set(session.exec(select(Provider.name)).all())
            tenants = set(session.exec(select(Tenant.code)).all())
        parsed = parse_import(path, providers, tenants, text=text)
        if parsed.problems:  # a file without records is one of them, located at its end
            raise ManifestError(parsed.problems)
        try:
            with transaction(self._sessions) as session:
                outcome: IngestOutcome = ingest(
                    session, parsed.records, parsed.windows, kind="import",
                    origin=Path(path).name, actor=actor, at=self._clock(),
                )  # fmt: skip
        except IngestConflict as exc:
            raise ManifestError(
                Problem(parsed.locations[c.index], "record", "contradicts a record already "
                        "imported with the same key", str(c.stored), "/".join(c.record.natural_key))
                for c in exc.conflicts
            ) from exc  # fmt: skip
        return ImportResult(str(path), outcome.records, outcome.new_records, len(parsed.windows),
                            outcome.replayed, outcome.batch_id)  # fmt: skip

    def ingest_records(
        self,
        records: Sequence[RawUsage],
        windows: Sequence[CollectionWindow] = (),
        *,
        kind: str,
        origin: str,
        actor: str,
    ) -> IngestOutcome:
        """Append an already-validated batch (benchmarks, other collectors)."""
        with transaction(self._sessions) as session:
            return ingest(session, records, windows, kind=kind, origin=origin, actor=actor,
                          at=self._clock())  # fmt: skip

    # ---- coverage ----------------------------------------------------------------

    def coverage(self, month: Month) -> MonthCoverage:
        with self._sessions() as session:
            providers = session.exec(select(Provider.name)).all()
            usage = load_usage(session, month.start, month.end)
            return month_coverage(session, month, providers, usage, self._clock())

    def acknowledge_gap(
        self, provider: str, start: datetime, end: datetime, *, reason: str, actor: str
    ) -> CoverageGapAck:
        """Accept that ``provider`` has no usage data over ``[start, end)``, and why."""
        start, end = as_utc(start), as_utc(end)
        if not reason.strip():
            raise MeteringError("acknowledging a coverage gap needs a reason")
        if not start < end:
            raise MeteringError(f"gap start {start.isoformat()} is not before end")
        with transaction(self._sessions) as session:
            if session.exec(select(Provider).where(Provider.name == provider)).first() is None:
                raise MeteringError(f"unknown provider {provider!r}")
            existing = session.exec(
                select(CoverageGapAck).where(
                    CoverageGapAck.provider == provider,
                    CoverageGapAck.start == start,
                    CoverageGapAck.end == end,
                )
            ).first()
            if existing is not None:
                return existing
            now = self._clock()
            ack = CoverageGapAck(provider=provider, start=start, end=end, reason=reason.strip(),
                                 actor=actor, at=now)  # fmt: skip
            session.add(ack)
            session.flush()
            audit.append(session, at=now, actor=actor, action="meter.gap.ack",
                         subject=f"provider/{provider}",
                         payload={"start": start, "end": end, "reason": ack.reason})  # fmt: skip
            return ack

    def acknowledge_month(
        self, month: Month, provider: str, *, reason: str, actor: str
    ) -> list[CoverageGapAck]:
        """Acknowledge every open gap of ``provider`` in ``month`` as it stands now."""
        gaps = [g for g in self.coverage(month).open_gaps if g.provider == provider]
        if not gaps:
            raise MeteringError(f"{provider} has no open coverage gap in {month}")
        return [
            self.acknowledge_gap(g.provider, g.start, g.end, reason=reason, actor=actor)
            for g in gaps
        ]

    # ---- availability (SLA evidence) ---------------------------------------------

    def record_availability(
        self, provider: str, month: Month, percent: Decimal, *, evidence: str, actor: str
    ) -> AvailabilityRow:
        """Record (or correct) a provider's measured availability for ``month``."""
        if not percent.is_finite() or not 0 <= percent <= 100:
            raise MeteringError(f"availability {percent} is not a percentage")
        if not evidence.strip():
            raise MeteringError("an availability figure needs its evidence reference")
        with transaction(self._sessions) as session:
            if session.exec(select(Provider).where(Provider.name == provider)).first() is None:
                raise MeteringError(f"unknown provider {provider!r}")
            row = session.exec(
                select(AvailabilityRow).where(
                    AvailabilityRow.provider == provider, AvailabilityRow.month == str(month)
                )
            ).first()
            if row is not None and row.availability == percent and row.evidence == evidence:
                return row
            now = self._clock()
            if row is None:
                row = AvailabilityRow(provider=provider, month=str(month), availability=percent,
                                      evidence=evidence, actor=actor, at=now)  # fmt: skip
            else:
                row.availability, row.evidence, row.actor, row.at = percent, evidence, actor, now
            session.add(row)
            session.flush()
            audit.append(session, at=now, actor=actor, action="meter.availability",
                         subject=f"provider/{provider}",
                         payload={"month": str(month), "availability": str(percent),
                                  "evidence": evidence})  # fmt: skip
            return row


def metering_service(app: App) -> MeteringService:
    """The metering service ``app`` built."""
    return app.metering
