"""Provider health: probe rows and the availability measured from them.

Owns ``record_health`` (one ``ProviderHealth`` row per probe, inside the caller's
transaction), ``error_from_health`` (an unhealthy probe as the ``ProviderError`` the
user sees) and ``availability`` (the share of healthy probes in a window, the evidence
behind SLA deductions).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from controlplane.db.models import Provider
from controlplane.db.tables_inventory import ProviderHealth
from providers import HealthReport, ProviderAuthError, ProviderError, ProviderUnavailable

__all__ = ["availability", "error_from_health", "latest_probes", "record_health"]


def record_health(
    session: Session,
    provider_id: int,
    *,
    at: datetime,
    report: HealthReport | None,
    error: ProviderError | None = None,
) -> ProviderHealth:
    """Store one probe; without a report (the driver could not even be built) it failed."""
    row = ProviderHealth(
        provider_id=provider_id,
        checked_at=report.checked_at if report else at,
        reachable=report.reachable if report else False,
        auth_ok=report.auth_ok if report else False,
        latency_ms=report.latency_ms if report else None,
        detail=(report.detail if report else (error.detail if error else ""))[:1000],
        error_code=error.code if error else None,
    )
    session.add(row)
    session.flush()
    return row


def latest_probes(session: Session) -> list[tuple[str, ProviderHealth | None]]:
    """Every provider by name with its latest probe (``None``: never probed)."""
    newest = (
        select(ProviderHealth.provider_id, func.max(ProviderHealth.checked_at).label("at"))
        .group_by(col(ProviderHealth.provider_id))
        .subquery()
    )
    rows = session.exec(
        select(ProviderHealth).join(
            newest,
            (col(ProviderHealth.provider_id) == newest.c.provider_id)
            & (col(ProviderHealth.checked_at) == newest.c.at),
        )
    ).all()
    latest = {r.provider_id: r for r in sorted(rows, key=lambda r: r.id or 0)}
    providers = session.exec(select(Provider.id, Provider.name).order_by(Provider.name)).all()
    return [(name, latest.get(pid or 0)) for pid, name in providers]


def error_from_health(report: HealthReport) -> ProviderError | None:
    """The error an unhealthy probe means (unreachable, or credentials refused)."""
    if not report.reachable:
        return ProviderUnavailable(report.provider, report.detail)
    if not report.auth_ok:
        return ProviderAuthError(report.provider, report.detail)
    return None


def availability(
    session: Session, provider_id: int, start: datetime, end: datetime
) -> Decimal | None:
    """Percent of probes in ``[start, end)`` that were healthy (4 decimals); None if none."""
    in_window = (
        (col(ProviderHealth.provider_id) == provider_id)
        & (col(ProviderHealth.checked_at) >= start)
        & (col(ProviderHealth.checked_at) < end)
    )
    total = session.exec(select(func.count()).select_from(ProviderHealth).where(in_window)).one()
    if not total:
        return None
    healthy = session.exec(
        select(func.count())
        .select_from(ProviderHealth)
        .where(in_window, col(ProviderHealth.reachable), col(ProviderHealth.auth_ok))
    ).one()
    return (Decimal(healthy) * 100 / Decimal(total)).quantize(Decimal("0.0001"))
