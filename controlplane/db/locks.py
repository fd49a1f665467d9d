"""Every database lock govcloud takes, named in one place.

PostgreSQL advisory-lock keys (one bigint namespace shared by every govcloud process on
a database) and the names of the leases kept in the ``job_lease`` table. A new lock gets
its key here, so no two features ever pick the same number by accident; the test
``tests/serve/test_locks.py`` checks the keys are distinct.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ADVISORY_KEYS",
    "AUDIT_APPEND",
    "BILL_WRITE",
    "REPLICA_PREFIX",
    "SERVE_LEADER",
    "replica_lease",
    "sync_lease",
]

#: Serialises audit-log appends (the hash chain has one head) — transaction-scoped.
AUDIT_APPEND: Final = 0x60C10AD17
#: Serialises bill writes across processes — transaction-scoped.
BILL_WRITE: Final = 0xB111
#: Held by the leader of the ``govcloud serve`` replicas on a dedicated connection
#: (session-scoped): whoever holds it schedules the jobs.
SERVE_LEADER: Final = 0x5E4E_1EAD

ADVISORY_KEYS: Final[dict[str, int]] = {
    "audit_append": AUDIT_APPEND,
    "bill_write": BILL_WRITE,
    "serve_leader": SERVE_LEADER,
}


def sync_lease(provider: str) -> str:
    """The ``job_lease`` name held while one provider is synced (syncs never overlap)."""
    return f"sync:{provider}"


REPLICA_PREFIX: Final = "replica:"


def replica_lease(replica: str) -> str:
    """The ``job_lease`` a running ``serve`` replica keeps renewing (its liveness)."""
    return f"{REPLICA_PREFIX}{replica}"
