"""Usage intervals from what an OpenStack cloud says about its servers and addresses.

Owns ``Allocation`` (one meter of one resource from a start to an end, or still
running) and the pure functions that derive allocations from a server's flavour and
timestamps and clip them to a collection window with stable ``source_key``s. The
driver feeds it plain values read from openstacksdk objects; nothing here talks to a
cloud, so it is unit-tested without one.

Rules: a server allocates its flavour's vCPUs and memory (GiB = MiB / 1024) from
``launched_at`` (else ``created_at``) to ``terminated_at`` (or ``until`` while it
exists); a server that never launched (ERROR at build) allocates nothing. A floating
IP allocates one ``network.public_ip`` from its creation; a live volume its size in
``storage.ssd`` / ``storage.hdd`` GiB from its creation.

Must not import anything internal except ``providers.types``, nor any cloud SDK.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from providers.types import UsageObservation

__all__ = ["Allocation", "clip", "parse_time", "server_allocations", "volume_allocation"]

_MIB_PER_GIB = Decimal(1024)


@dataclass(frozen=True, slots=True)
class Allocation:
    """``quantity`` of ``meter`` held by ``resource_id`` from ``start`` until ``end``."""

    resource_id: str
    tenant: str | None
    system: str | None
    meter: str
    quantity: Decimal
    start: datetime
    end: datetime | None


def parse_time(value: object) -> datetime | None:
    """An OpenStack timestamp (``2026-01-02T03:04:05Z``, ``...05.000000``, naive = UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def server_allocations(
    resource_id: str,
    tenant: str | None,
    system: str | None,
    *,
    vcpus: int,
    ram_mib: int,
    launched_at: datetime | None,
    created_at: datetime | None,
    terminated_at: datetime | None,
    status: str,
) -> list[Allocation]:
    """The vCPU and memory allocations of one server (none if it never launched)."""
    start = launched_at or (created_at if status.upper() not in ("ERROR", "BUILD") else None)
    if start is None:
        return []
    return [
        Allocation(
            resource_id, tenant, system, "compute.vcpu", Decimal(vcpus), start, terminated_at
        ),
        Allocation(
            resource_id,
            tenant,
            system,
            "compute.memory",
            Decimal(ram_mib) / _MIB_PER_GIB,
            start,
            terminated_at,
        ),
    ]


def volume_allocation(
    resource_id: str,
    identity: tuple[str, str, str | None, str | None] | None,
    *,
    size_gib: int,
    volume_type: str,
    created_at: datetime | None,
    status: str,
) -> Allocation | None:
    """A live volume's ``storage.<type>`` GiB from its creation, still running.

    The meter is the govcloud type (``ssd-encrypted`` meters as ``storage.ssd``); any
    type other than ``hdd`` meters as SSD, the catalogue's default. A volume that failed
    to create (``error``) or has no creation time allocates nothing.
    """
    if created_at is None or status.lower() == "error" or size_gib <= 0:
        return None
    base = "hdd" if volume_type.removesuffix("-encrypted") == "hdd" else "ssd"
    tenant, system = (identity[0], identity[1]) if identity else (None, None)
    return Allocation(
        resource_id, tenant, system, f"storage.{base}", Decimal(size_gib), created_at, None
    )


def clip(
    provider: str, allocations: Iterable[Allocation], since: datetime, until: datetime
) -> Iterator[UsageObservation]:
    """Observations of ``allocations`` inside ``[since, until)``.

    The key names the provider, resource, meter and clipped bounds, so observing the
    same window twice yields the same keys and collection stays idempotent.
    """
    for item in allocations:
        low = max(item.start, since)
        high = until if item.end is None else min(item.end, until)
        if not low < high or item.quantity <= 0:
            continue
        yield UsageObservation(
            provider=provider,
            resource_id=item.resource_id,
            tenant=item.tenant,
            system=item.system,
            meter=item.meter,
            quantity=item.quantity,
            start=low,
            end=high,
            source_key=(
                f"openstack:{provider}:{item.resource_id}:{item.meter}:"
                f"{low.isoformat()}/{high.isoformat()}"
            ),
        )
