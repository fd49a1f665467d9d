"""Measured provider availability for a month: the evidence behind SLA deductions.

Owns where availability comes from. An imported figure (``meter availability``, e.g.
from another operator's monitoring) wins; otherwise, when the inventory's health probes
(``provider_health``) are present, availability is the share of the month's probes that
found the provider reachable and authenticated, with the probe counts as evidence.
A provider with neither has no measurement, hence no deduction. Reads through the
caller's session; the health table is looked up in the metadata rather than imported,
so billing does not depend on the inventory module being installed.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from sqlalchemy import Table, and_, case, func, select
from sqlmodel import Session, SQLModel
from sqlmodel import select as sm_select

from controlplane.billing import AvailabilityMeasurement, Month
from controlplane.db import load_tables, table_of
from controlplane.db.models import Provider
from controlplane.db.tables_billing import AvailabilityRow

__all__ = ["measured_availability"]


def _health_table() -> Table | None:
    load_tables()
    return SQLModel.metadata.tables.get("provider_health")


def _from_health(session: Session, month: Month) -> dict[str, AvailabilityMeasurement]:
    health = _health_table()
    if health is None:
        return {}
    providers: Table = table_of(Provider)
    up = case((and_(health.c.reachable, health.c.auth_ok), 1), else_=0)
    rows = session.execute(
        select(providers.c.name, func.count(), func.sum(up))
        .select_from(health.join(providers, health.c.provider_id == providers.c.id))
        .where(health.c.checked_at >= month.start, health.c.checked_at < month.end)
        .group_by(providers.c.name)
    )
    out = {}
    for name, probes, healthy in rows:
        if not probes:
            continue
        percent = (Decimal(int(healthy)) * 100 / Decimal(int(probes))).quantize(
            Decimal("0.001"),
            rounding=ROUND_DOWN,  # never round a miss up to the target
        )
        out[name] = AvailabilityMeasurement(
            name,
            str(month),
            percent,
            f"provider_health: {int(healthy)}/{int(probes)} probes healthy in {month}",
        )
    return out


def measured_availability(session: Session, month: Month) -> list[AvailabilityMeasurement]:
    """One measurement per provider that has one for ``month``, sorted by provider."""
    measured = _from_health(session, month)
    for row in session.exec(sm_select(AvailabilityRow).where(AvailabilityRow.month == str(month))):
        measured[row.provider] = AvailabilityMeasurement(
            row.provider, row.month, row.availability, row.evidence
        )
    return [measured[name] for name in sorted(measured)]
