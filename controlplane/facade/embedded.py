"""The list reads of :class:`~controlplane.facade.Govcloud` on the embedded SQLite home,
read with the standard library's ``sqlite3`` (a CLI that answers like kubectl).

``govcloud provider list`` and ``govcloud get resources`` run all day from scripts and
terminals. Through :class:`Govcloud` each would first import SQLAlchemy, SQLModel, every
table model and pydantic — several times the command's own work. :class:`EmbeddedReads`
offers the same two reads with the same role check (:func:`rbac.scope_of`), the same
principal rule (:func:`rbac.identity_of` over the ``principal`` table), the same order,
keyset tokens and limits (:mod:`.paging`) and the same read models, from the same
tables. It serves only a SQLite home already at :data:`~controlplane.db.revision.HEAD`:
:meth:`EmbeddedReads.open` returns ``None`` for anything else (no file yet, another
schema, another database), and the caller uses :class:`Govcloud`, which creates,
migrates or refuses as ever. tests/cli/test_embedded_reads.py holds both paths to
the same results, and tests/cli/test_startup.py to the modules a list command loads.

The SQL mirrors :func:`controlplane.inventory.query.list_resources` (default order, no
``query``/``sort``: the CLI offers neither) and ``EstateService.providers``; the
column types' conversions mirror :mod:`controlplane.db.types` on SQLite (naive UTC text
to aware UTC, money as decimal text, JSON text, booleans as 0/1).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from controlplane import rbac
from controlplane.db.revision import HEAD
from controlplane.facade.paging import (
    DEFAULT_LIMIT,
    Page,
    check_limit,
    decode_token,
    encode_token,
    keyset,
)
from controlplane.facade.query import field_getters
from controlplane.inventory.views import ResourceView, resource_key

__all__ = ["EmbeddedReads", "ProviderRow", "database_path"]

_SQLITE_URL = "sqlite:///"
#: How long a read waits for a writer's lock (as the engine's ``busy_timeout``).
_BUSY_SECONDS = 30.0


@dataclass(frozen=True)
class ProviderRow:
    """:class:`~controlplane.facade.models.ProviderInfo`'s fields, without pydantic (the
    test holds the two to the same names and values)."""

    name: str
    tier: str
    platform: str
    kind: str
    engine: str
    cloud: str | None
    context: str | None
    region: str
    city: str | None
    sector: str | None
    certified_level: int
    xinchuang: bool
    arch: str
    cpu_vendor: str | None
    in_province: bool
    capacity_vcpu: int | None
    capacity_memory_gib: int | None
    capacity_storage_gib: int | None
    capacity_public_ips: int | None
    availability_target: Decimal | None
    updated_at: datetime


_PROVIDER_COLUMNS = tuple(field_getters(ProviderRow))
_BOOLEANS = frozenset({"xinchuang", "in_province"})


def _utc(text: str | None) -> datetime | None:
    """A stored time (naive UTC text on SQLite) as an aware UTC datetime."""
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def _aware(text: str) -> datetime:
    found = _utc(text)
    assert found is not None  # a NOT NULL column
    return found


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _provider(row: Sequence[Any]) -> ProviderRow:
    values: dict[str, Any] = dict(zip(_PROVIDER_COLUMNS, row, strict=True))
    for name in _BOOLEANS:
        values[name] = bool(values[name])
    # a provider the estate groups under no platform is a platform of its own
    values["platform"] = values["platform"] or values["name"]
    values["availability_target"] = _money(values["availability_target"])
    values["updated_at"] = _aware(values["updated_at"])
    return ProviderRow(**values)


def database_path(url: str) -> str | None:
    """The file of a plain ``sqlite:///PATH`` URL (``None``: any other database or form)."""
    if not url.startswith(_SQLITE_URL):
        return None
    path = url[len(_SQLITE_URL) :]
    if not path or path == ":memory:" or "?" in path or "%" in path:
        return None
    return path


class EmbeddedReads:
    """``providers`` and ``resources`` as :class:`Govcloud` offers them, for one
    principal, on one SQLite connection. Build it with :meth:`open`."""

    def __init__(self, connection: sqlite3.Connection, identity: rbac.Identity) -> None:
        self._connection = connection
        self.identity = identity

    @classmethod
    def open(cls, database_url: str, principal: str) -> EmbeddedReads | None:
        """The reads for ``principal`` (:class:`rbac.PermissionDenied` if not declared),
        or ``None`` when this is not an existing SQLite home at the current schema."""
        path = database_path(database_url)
        if path is None or not os.path.isfile(path):
            return None
        # read-only: this connection never checkpoints, truncates or removes the WAL of
        # a database other connections (a server in the same process) are using
        uri = Path(path).absolute().as_uri() + "?mode=ro"
        connection = sqlite3.connect(uri, uri=True, timeout=_BUSY_SECONDS, isolation_level=None)
        try:
            if _stored_revision(connection) != HEAD:
                connection.close()
                return None
            identity = _resolve(connection, principal)
        except sqlite3.Error:
            connection.close()
            return None
        except BaseException:
            connection.close()
            raise
        return cls(connection, identity)

    def close(self) -> None:
        self._connection.close()

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._connection.execute(sql, params).fetchall()

    def providers(
        self,
        *,
        tier: str | None = None,
        limit: int = DEFAULT_LIMIT,
        continue_token: str | None = None,
    ) -> Page[ProviderRow]:
        """As :meth:`Govcloud.providers` (sorted by name)."""
        rbac.authorize(self.identity, "provider.list")
        columns = ", ".join(_PROVIDER_COLUMNS)
        rows = [_provider(r) for r in self._read(f"SELECT {columns} FROM provider ORDER BY name")]
        return keyset(
            (p for p in rows if tier is None or p.tier == tier),
            {"name": lambda p: (p.name,), "tier": lambda p: (p.tier, p.name)},
            sort="name",
            limit=limit,
            token=continue_token,
            fields=field_getters(ProviderRow),
            text_fields=("name", "region", "city"),
        )

    def resources(
        self,
        *,
        tenant: str | None = None,
        provider: str | None = None,
        kind: str | None = None,
        managed: bool | None = None,
        include_deleted: bool = False,
        limit: int = DEFAULT_LIMIT,
        continue_token: str | None = None,
    ) -> Page[ResourceView]:
        """As :meth:`Govcloud.resources` in the list's own order (with its total)."""
        rbac.authorize(self.identity, "resource.list")  # as the facade's action guard
        scope = rbac.scope_of(self.identity, "resource.list", tenant)
        after = None
        if continue_token is not None:
            after = tuple(str(part) for part in decode_token(continue_token, "name"))
        fetch = check_limit(limit) + 1  # one more tells whether another page follows
        where, params = _resource_filter(scope, provider, kind, managed, include_deleted)
        self._connection.execute("BEGIN")  # the count and the page from one snapshot
        try:
            total = self._read(f"SELECT count(*) {_RESOURCE_FROM} {where}", params)[0][0]
            if after is not None:
                where += f" AND ({_RESOURCE_ORDER}) > ({', '.join('?' * len(after))})"
                params = [*params, *after]
            rows = self._read(
                f"SELECT {_RESOURCE_COLUMNS} {_RESOURCE_FROM} {where} "
                f"ORDER BY {_RESOURCE_ORDER} LIMIT ?",
                [*params, fetch],
            )
            views = self._resource_views(rows)
        finally:
            self._connection.execute("COMMIT")
        shown = tuple(views[:limit])
        token = None
        if len(views) > limit:
            token = encode_token("name", resource_key(shown[-1]))
        return Page(items=shown, continue_token=token, total=total)

    def _resource_views(self, rows: Sequence[Any]) -> list[ResourceView]:
        drift = self._open_drift({(r[1], r[3]) for r in rows})
        last_done = self._last_done({r[1] for r in rows})
        views = []
        for (
            row_id, provider_id, kind, resource_id, name, status, managed, spec,
            created_at, observed_at, deleted_at, provider, tenant, system,
        ) in rows:  # fmt: skip
            observed = _aware(observed_at)
            done = last_done.get(provider_id)
            if deleted_at is None and done is not None:
                observed = max(observed, done)
            views.append(
                ResourceView(
                    provider=provider,
                    tenant=tenant or None,
                    system=system or None,
                    kind=kind,
                    resource_id=resource_id,
                    name=name,
                    status=status,
                    managed=bool(managed),
                    spec=dict(json.loads(spec)),
                    created_at=_aware(created_at),
                    observed_at=observed,
                    deleted_at=_utc(deleted_at),
                    drift=tuple(sorted(drift.get((provider_id, kind, resource_id), []))),
                    row_id=row_id or 0,
                )
            )
        return views

    def _open_drift(self, ids: set[tuple[int, str]]) -> Mapping[tuple[int, str, str], list[str]]:
        """Open drift of the rows shown, by (provider id, kind, resource id)."""
        found: dict[tuple[int, str, str], list[str]] = defaultdict(list)
        if not ids:
            return found
        providers = sorted({p for p, _ in ids})
        resources = sorted({r for _, r in ids})
        rows = self._read(
            "SELECT provider_id, kind, resource_id, drift FROM drift "
            f"WHERE resolved_at IS NULL AND provider_id IN ({_marks(providers)}) "
            f"AND resource_id IN ({_marks(resources)})",
            [*providers, *resources],
        )
        for provider_id, kind, resource_id, drift in rows:
            found[provider_id, kind, resource_id].append(drift)
        return found

    def _last_done(self, provider_ids: set[int]) -> dict[int, datetime]:
        """Each provider's last completed sync stamp (that run saw every live row)."""
        if not provider_ids:
            return {}
        ids = sorted(provider_ids)
        rows = self._read(
            "SELECT provider_id, max(stamp) FROM sync_run "
            f"WHERE state = 'done' AND provider_id IN ({_marks(ids)}) GROUP BY provider_id",
            ids,
        )
        return {int(p): _aware(stamp) for p, stamp in rows if stamp is not None}


_RESOURCE_COLUMNS = (
    "id, provider_id, kind, resource_id, name, status, managed, spec, created_at, "
    "observed_at, deleted_at, provider_name, tenant_code, system_name"
)
_RESOURCE_FROM = "FROM resource"
#: the list order (:func:`resource_key`): the owners' names stored beside their ids
#: ('' for none), the columns of the list's index
_RESOURCE_ORDER = "provider_name, tenant_code, system_name, kind, name, resource_id"


def _resource_filter(
    tenant: str | None,
    provider: str | None,
    kind: str | None,
    managed: bool | None,
    include_deleted: bool,
) -> tuple[str, list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    for condition, value in (
        # the scope by the tenant's id, the authoritative owner (as the facade)
        ("tenant_id = (SELECT id FROM tenant WHERE code = ?)", tenant),
        ("provider_name = ?", provider),
        ("kind = ?", kind),
        ("managed = ?", None if managed is None else int(managed)),
    ):
        if value is not None:
            conditions.append(condition)
            params.append(value)
    if not include_deleted:
        conditions.append("deleted_at IS NULL")
    return ("WHERE " + " AND ".join(conditions) if conditions else "WHERE 1 = 1"), params


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def _stored_revision(connection: sqlite3.Connection) -> str | None:
    """As :func:`controlplane.db.revision.stored_revision`, on this connection."""
    exists = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    if exists is None:
        return None
    rows = connection.execute("SELECT version_num FROM alembic_version")
    found = sorted(str(row[0]) for row in rows)
    return ",".join(found) or None


def _resolve(connection: sqlite3.Connection, name: str) -> rbac.Identity:
    """:func:`rbac.resolve` on this connection."""

    def declared(wanted: str) -> tuple[Sequence[str], str | None] | None:
        row = connection.execute(
            "SELECT roles, tenant FROM principal WHERE name = ?", (wanted,)
        ).fetchone()
        return None if row is None else (json.loads(row[0]), row[1])

    def declares_any() -> bool:
        return connection.execute("SELECT 1 FROM principal LIMIT 1").fetchone() is not None

    return rbac.identity_of(name, declared, declares_any)
