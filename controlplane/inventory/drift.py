"""Drift history: open, refresh and resolve ``Drift`` rows inside a sync's transactions.

Owns ``Finding`` (one divergence found now) and ``DriftLedger``, which reconciles the
findings of a set of resources against their open drift rows: new findings open a row
(first-seen), persisting ones refresh last-seen and detail, open rows no longer found
are resolved. A resolved row is never reopened; a later recurrence is a new row, so
the history of each resource's drift reads top to bottom.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import update
from sqlmodel import Session, col, select

from controlplane.db.tables_inventory import Drift
from controlplane.inventory.keys import keys_clause

__all__ = ["DRIFT_TYPES", "DriftLedger", "DriftType", "Finding", "Key"]

DriftType = Literal["missing", "changed", "unmanaged"]
DRIFT_TYPES: tuple[DriftType, ...] = ("missing", "changed", "unmanaged")
#: ``(kind, resource_id)``: a resource's identity within its provider.
Key = tuple[str, str]
_CHUNK = 1000


@dataclass(frozen=True)
class Finding:
    kind: str
    resource_id: str
    name: str
    drift: DriftType
    tenant_id: int | None = None
    system_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> Key:
        return (self.kind, self.resource_id)


class DriftLedger:
    """The drift rows of one provider, reconciled at one instant ``at``."""

    def __init__(self, session: Session, provider_id: int, at: datetime) -> None:
        self._session = session
        self._provider_id = provider_id
        self._at = at
        self.opened: Counter[str] = Counter()
        self.resolved: Counter[str] = Counter()

    def _open_rows(self, keys: Collection[Key] | None, drift: str | None) -> list[Drift]:
        query = select(Drift).where(
            col(Drift.provider_id) == self._provider_id, col(Drift.resolved_at).is_(None)
        )
        if drift is not None:
            query = query.where(col(Drift.drift) == drift)
        if keys is None:
            return list(self._session.exec(query))
        ordered = sorted(set(keys))
        rows: list[Drift] = []
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            clause = keys_clause(col(Drift.kind), col(Drift.resource_id), chunk)
            rows.extend(self._session.exec(query.where(clause)))
        return rows

    def settle(self, keys: Collection[Key], findings: Iterable[Finding]) -> None:
        """``findings`` are the whole truth about the resources ``keys`` (every type)."""
        self._reconcile(self._open_rows(keys, None), findings)

    def settle_type(self, drift: DriftType, findings: Iterable[Finding]) -> None:
        """``findings`` are every current drift of type ``drift`` on this provider."""
        self._reconcile(self._open_rows(None, drift), findings)

    def _reconcile(self, rows: list[Drift], findings: Iterable[Finding]) -> None:
        open_by = {(r.kind, r.resource_id, r.drift): r for r in rows}
        refreshed: list[int] = []
        for finding in findings:
            row = open_by.pop((finding.kind, finding.resource_id, finding.drift), None)
            if row is None:
                self._session.add(
                    Drift(
                        provider_id=self._provider_id,
                        kind=finding.kind,
                        resource_id=finding.resource_id,
                        name=finding.name[:255],
                        tenant_id=finding.tenant_id,
                        system_id=finding.system_id,
                        drift=finding.drift,
                        detail=finding.detail,
                        first_seen=self._at,
                        last_seen=self._at,
                    )
                )
                self.opened[finding.drift] += 1
            elif row.detail != finding.detail:
                row.detail, row.last_seen = finding.detail, self._at
            else:
                refreshed.append(row.id or 0)
        for start in range(0, len(refreshed), _CHUNK):
            self._session.execute(
                update(Drift)
                .where(col(Drift.id).in_(refreshed[start : start + _CHUNK]))
                .values(last_seen=self._at)
            )
        for row in open_by.values():
            row.resolved_at = row.last_seen = self._at
            self.resolved[row.drift] += 1
        self._session.flush()
