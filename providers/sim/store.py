"""Compact in-memory state of the simulator: resource records, indexes and totals.

Owns ``Record`` (one resource, ``__slots__`` so 100,000 of them stay small; records
created in bulk share their spec, fingerprint and usage objects), ``Store`` (the
active records by id and by system, deleted records kept for usage history, quota
totals per tenant and overall, deterministic resource ids) and the quota arithmetic.

Must not import anything internal outside ``providers``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal

from providers.types import QuotaSet

__all__ = ["DIMENSIONS", "Record", "Segment", "Store", "Usage", "demand_of"]

#: ``(meter, quantity)`` pairs a resource allocates while its spec is current.
Usage = tuple[tuple[str, Decimal], ...]
#: A closed past allocation: ``[start, end)`` with the usage it had then.
Segment = tuple[datetime, datetime, Usage]

#: The ``QuotaSet`` fields the simulator enforces.
DIMENSIONS = ("vcpu", "memory_gib", "storage_gib", "public_ips", "namespaces")
_DIMENSION_OF_METER: Mapping[str, str] = {
    "compute.vcpu": "vcpu",
    "compute.memory": "memory_gib",
    "storage.ssd": "storage_gib",
    "storage.hdd": "storage_gib",
    "network.public_ip": "public_ips",
    "k8s.cpu": "vcpu",
    "k8s.memory": "memory_gib",
}
#: Kinds that consume one unit of a dimension each, whatever their spec.
_DIMENSION_OF_KIND: Mapping[str, str] = {"namespace": "namespaces"}


def demand_of(kind: str, usage: Usage) -> dict[str, Decimal]:
    """How much of each quota dimension one resource consumes."""
    demand: dict[str, Decimal] = {}
    for meter, quantity in usage:
        dimension = _DIMENSION_OF_METER.get(meter)
        if dimension is not None:
            demand[dimension] = demand.get(dimension, Decimal(0)) + quantity
    counted = _DIMENSION_OF_KIND.get(kind)
    if counted is not None:
        demand[counted] = demand.get(counted, Decimal(0)) + 1
    return demand


class Record:
    """One simulated cloud resource; ``tenant is None`` means unmanaged (no tags)."""

    __slots__ = (
        "created_at",
        "deleted_at",
        "fingerprint",
        "kind",
        "name",
        "past",
        "request_id",
        "resource_id",
        "spec",
        "status",
        "system",
        "tenant",
        "usage",
        "usage_since",
    )

    def __init__(
        self,
        resource_id: str,
        kind: str,
        name: str,
        tenant: str | None,
        system: str | None,
        request_id: str | None,
        status: str,
        spec: Mapping[str, object],
        fingerprint: str,
        usage: Usage,
        created_at: datetime,
    ) -> None:
        self.resource_id = resource_id
        self.kind = kind
        self.name = name
        self.tenant = tenant
        self.system = system
        self.request_id = request_id
        self.status = status
        self.spec = spec
        self.fingerprint = fingerprint
        self.usage = usage
        self.usage_since = created_at
        self.created_at = created_at
        self.deleted_at: datetime | None = None
        self.past: list[Segment] | None = None

    @property
    def managed(self) -> bool:
        return self.tenant is not None

    def segments(self) -> Iterator[Segment]:
        """Every allocation period of this resource; the open one ends at ``deleted_at``
        or, while the resource lives, at ``datetime.max`` in its timezone."""
        if self.past:
            yield from self.past
        end = self.deleted_at or datetime.max.replace(tzinfo=self.usage_since.tzinfo)
        if self.usage_since < end:
            yield self.usage_since, end, self.usage


class Store:
    """Records with the indexes and running totals the driver needs in O(1)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.counter = 0
        self.active: dict[str, Record] = {}
        self.gone: list[Record] = []
        self.by_system: dict[tuple[str, str], dict[tuple[str, str], Record]] = {}
        self.quotas: dict[str, QuotaSet] = {}
        self.tenant_totals: dict[str, dict[str, Decimal]] = {}
        self.overall: dict[str, Decimal] = {}
        #: ``(kind, name)`` -> resource id of deleted resources, per system, so a
        #: repeated delete can answer "absent" instead of silence.
        self._demands: dict[tuple[str, Usage], dict[str, Decimal]] = {}
        self.gone_keys: dict[tuple[str, str], dict[tuple[str, str], str]] = {}

    def new_id(self) -> str:
        """The next resource id: a UUID derived from the seed and a counter only."""
        self.counter += 1
        h = hashlib.blake2b(f"{self.seed}:{self.counter}".encode(), digest_size=16).hexdigest()
        # Formatted by hand as a version-4 UUID: uuid.UUID() costs half of a bulk populate.
        variant = "89ab"[int(h[16], 16) & 3]
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"

    def owned(self, tenant: str, system: str) -> dict[tuple[str, str], Record]:
        return self.by_system.get((tenant, system), {})

    def add(self, record: Record) -> None:
        self.active[record.resource_id] = record
        if record.tenant is not None and record.system is not None:
            index = self.by_system.setdefault((record.tenant, record.system), {})
            index[(record.kind, record.name)] = record
        self._count(record.tenant, self.demand(record.kind, record.usage), 1)

    def demand(self, kind: str, usage: Usage) -> Mapping[str, Decimal]:
        """``demand_of``, memoized: bulk-created resources share a handful of specs."""
        key = (kind, usage)
        found = self._demands.get(key)
        if found is None:
            found = self._demands[key] = demand_of(kind, usage)
        return found

    def remove(self, record: Record, at: datetime) -> None:
        del self.active[record.resource_id]
        if record.tenant is not None and record.system is not None:
            index = self.by_system[(record.tenant, record.system)]
            del index[(record.kind, record.name)]
            if not index:
                del self.by_system[(record.tenant, record.system)]
        self._count(record.tenant, self.demand(record.kind, record.usage), -1)
        record.deleted_at = max(at, record.usage_since)
        self.bury(record)

    def bury(self, record: Record) -> None:
        """Keep a deleted record for usage history and repeated deletes."""
        self.gone.append(record)
        if record.tenant is not None and record.system is not None:
            keys = self.gone_keys.setdefault((record.tenant, record.system), {})
            keys[(record.kind, record.name)] = record.resource_id

    def replace_usage(self, record: Record, usage: Usage, at: datetime) -> None:
        """Close the current allocation period at ``at`` and start one with ``usage``."""
        self._count(record.tenant, self.demand(record.kind, record.usage), -1)
        at = max(at, record.usage_since)
        if record.usage_since < at:
            record.past = [*(record.past or ()), (record.usage_since, at, record.usage)]
        record.usage = usage
        record.usage_since = at
        self._count(record.tenant, self.demand(record.kind, usage), 1)

    def excess(
        self, tenant: str | None, demand: Mapping[str, Decimal], capacity: QuotaSet | None
    ) -> list[str]:
        """The dimensions that adding ``demand`` would push over quota or capacity."""
        problems: list[str] = []
        limits: list[tuple[str, QuotaSet | None, Mapping[str, Decimal]]] = [
            ("capacity", capacity, self.overall),
        ]
        if tenant is not None:
            limits.append(
                (
                    f"tenant {tenant} quota",
                    self.quotas.get(tenant),
                    self.tenant_totals.get(tenant, {}),
                )
            )
        for label, limit, totals in limits:
            if limit is None:
                continue
            for dimension, amount in demand.items():
                ceiling = getattr(limit, dimension)
                if amount <= 0 or ceiling is None:
                    continue
                used = totals.get(dimension, Decimal(0))
                if used + amount > ceiling:
                    problems.append(f"{label} {dimension}: {used} + {amount} > {ceiling}")
        return problems

    def _count(self, tenant: str | None, demand: Mapping[str, Decimal], sign: int) -> None:
        if not demand:
            return
        overall = self.overall
        tenant_totals = None if tenant is None else self.tenant_totals.setdefault(tenant, {})
        zero = Decimal(0)
        for dimension, amount in demand.items():
            change = amount if sign > 0 else -amount
            overall[dimension] = overall.get(dimension, zero) + change
            if tenant_totals is not None:
                tenant_totals[dimension] = tenant_totals.get(dimension, zero) + change

    def all_records(self) -> Iterator[Record]:
        yield from self.gone
        yield from self.active.values()
