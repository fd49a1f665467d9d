"""Address plans: each system's own subnet, allocated from its cloud's address pool.

Owns ``next_free`` (pure: the first block of a size in a pool that overlaps nothing
taken), ``subnet_for`` (what a plan gives a system: the subnet it already holds, else the
next free one; ``PoolExhausted`` when none is left) and ``hold``/``release``, which
provisioning calls to record an allocation when a system is built and to free it when
the system is deleted. ``hold`` refuses a block overlapping another system's, so
allocations on one provider are always disjoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from ipaddress import IPv4Network, ip_network

from sqlmodel import Session, col, select

from controlplane.db.tables_inventory import SubnetAllocation

__all__ = [
    "DEFAULT_PREFIX",
    "PoolExhausted",
    "allocations",
    "hold",
    "next_free",
    "release",
    "subnet_for",
    "subnet_in",
]

#: The size of a system's subnet when its manifest does not ask for one.
DEFAULT_PREFIX = 24


class PoolExhausted(LookupError):
    """No block of the asked size is left in the pool."""

    def __init__(self, provider: str, pool: str, prefix: int) -> None:
        self.provider, self.pool, self.prefix = provider, pool, prefix
        super().__init__(f"address pool {pool} of provider {provider} has no free /{prefix} left")

    def describe(self, lang: str = "en") -> str:
        if lang == "zh":
            return f"云平台 {self.provider} 的地址池 {self.pool} 已无空闲的 /{self.prefix} 网段"
        return str(self)


def next_free(pool: IPv4Network, prefix: int, taken: Iterable[IPv4Network]) -> IPv4Network | None:
    """The lowest ``/prefix`` block of ``pool`` overlapping none of ``taken``."""
    if prefix < pool.prefixlen:
        return None
    held = sorted(taken, key=lambda n: (n.network_address, n.prefixlen))
    for block in pool.subnets(new_prefix=prefix):
        if not any(block.overlaps(other) for other in held):
            return block
    return None


def allocations(session: Session, provider_id: int) -> list[SubnetAllocation]:
    """The subnets held on one provider."""
    return list(
        session.exec(
            select(SubnetAllocation).where(col(SubnetAllocation.provider_id) == provider_id)
        )
    )


def subnet_for(
    session: Session,
    *,
    provider_id: int,
    provider: str,
    pool: str,
    tenant_id: int,
    system: str,
    prefix: int | None,
    planned: Iterable[str] = (),
) -> str:
    """The system's subnet on ``provider``: kept across re-applies, else the next free.

    ``planned`` are blocks other plans of the same batch took but nobody recorded yet.
    """
    return subnet_in(
        allocations(session, provider_id),
        provider=provider,
        pool=pool,
        tenant_id=tenant_id,
        system=system,
        prefix=prefix,
        planned=planned,
    )


def subnet_in(
    rows: Sequence[SubnetAllocation],
    *,
    provider: str,
    pool: str,
    tenant_id: int,
    system: str,
    prefix: int | None,
    planned: Iterable[str] = (),
) -> str:
    """:func:`subnet_for` over the provider's allocations already read (``rows``)."""
    size = prefix or DEFAULT_PREFIX
    for row in rows:
        mine = (row.tenant_id, row.system) == (tenant_id, system)
        if mine and ip_network(row.cidr).prefixlen == size:
            return row.cidr
    others = [ip_network(r.cidr) for r in rows if (r.tenant_id, r.system) != (tenant_id, system)]
    others += [ip_network(cidr) for cidr in planned]
    block = next_free(IPv4Network(pool), size, [n for n in others if n.version == 4])
    if block is None:
        raise PoolExhausted(provider, pool, size)
    return str(block)


def hold(
    session: Session, *, provider_id: int, tenant_id: int, system: str, cidr: str, at: datetime
) -> None:
    """Record ``cidr`` as the system's (replacing an earlier size); refuse an overlap."""
    wanted = ip_network(cidr)
    mine: SubnetAllocation | None = None
    for row in allocations(session, provider_id):
        if (row.tenant_id, row.system) == (tenant_id, system):
            mine = row
        elif ip_network(row.cidr).overlaps(wanted):
            raise PoolExhausted(str(provider_id), cidr, wanted.prefixlen)
    if mine is None:
        mine = SubnetAllocation(
            provider_id=provider_id, tenant_id=tenant_id, system=system, cidr=cidr, allocated_at=at
        )
    elif mine.cidr == cidr:
        return
    mine.cidr, mine.allocated_at = cidr, at
    session.add(mine)
    session.flush()


def release(session: Session, *, provider_id: int, tenant_id: int, system: str) -> int:
    """Free the system's subnet; how many allocations were released."""
    rows = session.exec(
        select(SubnetAllocation).where(
            col(SubnetAllocation.provider_id) == provider_id,
            col(SubnetAllocation.tenant_id) == tenant_id,
            col(SubnetAllocation.system) == system,
        )
    ).all()
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)
