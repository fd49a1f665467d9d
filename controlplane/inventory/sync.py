"""Inventory sync: health probe, observed resources into ``resource``, drift with history.

Owns ``SyncService`` and ``SyncReport``. One sync of one provider:

1. probe health and store the probe (an unhealthy or unbuildable provider stops here
   with the driver's ``ProviderError``, recorded on the provider's health);
2. open a ``SyncRun`` whose *stamp* is strictly later than any earlier run's;
3. read the provider's stored rows once, in one streamed query: each row's id and
   *fingerprint* (owner, name, status, managed, deleted, spec text) by
   ``(kind, resource_id)``;
4. stream ``list_inventory()`` in batches (``default_batch_size``), one transaction
   each: each observation's fingerprint is compared with the stored one by a dict
   look-up; new resources go in through the engine's bulk path (``COPY`` on
   PostgreSQL, ``executemany`` on SQLite), changed ones are rewritten with
   ``observed_at = stamp``, unchanged ones are not written at all. Tenant and system codes map to ids; the batch's drift (changed,
   unmanaged) is settled, judged only where it can have changed (see ``_Pass``). Memory
   is the batch, the fingerprints of the stored rows not yet met and the keys met;
5. sweep in one transaction: the stored live rows this run never met are gone
   (``deleted_at``); desired-but-absent resources are ``missing`` drift (an anti-join
   in the database); close the run.

On SQLite the stream and the sweep share one connection with a larger page cache
(``bulk_sessions``); each batch is still its own transaction.

A provider's first load into an empty ``resource`` table is one transaction instead
(``deferred_indexes.defer_indexes``, on both engines): the secondary indexes (list
orders, trigram GINs) are dropped under the table's lock and built once after the last
batch; the batches' audit events are appended at its end (the audit chain's lock is held
only from there); on PostgreSQL the table is analyzed right after the commit. A crash or
error loses the whole load (and nothing else): the next run loads it again. Where the
table already holds rows, or another transaction is using it (PostgreSQL), the batches
are written one transaction each as above.

A crash between batches leaves committed batches (idempotent upserts) and no sweep, so
nothing is wrongly marked gone and the next run converges. Every transaction that
changes inventory appends an audit event; batches that change nothing write nothing.
An unchanged live row keeps the ``observed_at`` of its last change; readers show the
later of that and the provider's last completed run (which saw every live row).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy import Select, Table, Text, bindparam, cast, func, update
from sqlalchemy import select as core_select
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from controlplane import audit
from controlplane.db import table_of
from controlplane.db.bulk import BulkInsert, driver_rows
from controlplane.db.deferred_indexes import defer_indexes
from controlplane.db.engine import bulk_sessions, transaction
from controlplane.db.models import Provider, Resource, System, Tenant
from controlplane.db.statistics import refresh_statistics
from controlplane.db.tables_inventory import AppliedResource, Drift, SyncRun
from controlplane.db.tables_requests import Quota
from controlplane.db.text_search import indexed_in_bulk
from controlplane.inventory.compare import (
    DRIFTED_STATUS,
    QUOTA_KIND,
    TAGS_KEY,
    declared_quota,
    fingerprint,
    fingerprints_differ,
    spec_changes,
    spec_text,
)
from controlplane.inventory.drift import DriftLedger, Finding, Key
from controlplane.inventory.health import error_from_health, record_health
from controlplane.inventory.keys import keyed_rows
from controlplane.timeutil import Clock
from providers import Driver, HealthReport, ObservedResource, ProviderError

__all__ = [
    "DriverFactory", "SyncReport", "SyncService", "UnknownProvider", "default_batch_size",
]  # fmt: skip

DriverFactory = Callable[[Provider], Driver]
#: System states whose resources are expected to disappear (not ``missing``).
_RETIRED_SYSTEM_STATES = ("deleted", "deleting")
_CHUNK = 1000
#: Resources per batch (one transaction each) by engine. A first sync's SQLite commit
#: writes every index page its batch touched to the WAL, and with the resource table's
#: eight indexes a batch of 1,000 touches ~4,000 pages once they outgrow it: batches
#: slowed as the table grew, 3.3 GB written for 100k resources, ~10 s CPU. Batches of
#: 10,000 (with ``bulk_sessions``' page cache) write 0.6 GB in ~6 s CPU, flat
#: (bench/README.md). PostgreSQL's COPY batches are flat at 1,000 and stay short.
_BATCH_SIZES = {"sqlite": 10_000}
_BATCH_SIZE = 1000
_ANALYZED = ("resource", "applied_resource", "drift")
_RESOURCE: Table = table_of(Resource)
_SYSTEM: Table = table_of(System)
_TENANT: Table = table_of(Tenant)
_APPLIED: Table = table_of(AppliedResource)
#: Rows per fetch when a whole provider's rows are read in one streamed query.
_STREAM = 5000
_UPDATED_COLUMNS = (
    "tenant_id", "system_id", "tenant_code", "system_name", "name", "status", "managed", "spec",
    "deleted_at",
)  # fmt: skip
_INSERTED_COLUMNS = (
    "provider_id", "tenant_id", "system_id", "provider_name", "tenant_code", "system_name",
    "kind", "resource_id", "name", "status", "managed", "spec", "created_at", "observed_at",
    "deleted_at",
)  # fmt: skip
#: What a sync reads of its stored rows: id, key and the columns of ``Fingerprint``
#: (the spec as its JSON text, as written).
_STORED = (
    _RESOURCE.c.id, _RESOURCE.c.kind, _RESOURCE.c.resource_id, _RESOURCE.c.tenant_id,
    _RESOURCE.c.system_id, _RESOURCE.c.name, _RESOURCE.c.status, _RESOURCE.c.managed,
    _RESOURCE.c.deleted_at.is_not(None), cast(_RESOURCE.c.spec, Text),
)  # fmt: skip
#: What govcloud recorded applying, by key: spec as its JSON text, desired name, owner.
_HELD = (
    _APPLIED.c.kind, _APPLIED.c.resource_id, cast(_APPLIED.c.spec, Text), _APPLIED.c.name,
    _SYSTEM.c.tenant_id, _APPLIED.c.system_id,
)  # fmt: skip


class UnknownProvider(LookupError):
    """No provider of that name in the estate."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no provider named {name!r} in the estate")


@dataclass(frozen=True)
class SyncReport:
    """What one sync found: health, resource counts and drift opened/resolved/open."""

    provider: str
    run_id: int
    health: HealthReport
    observed: int
    created: int
    updated: int
    unchanged: int
    gone: int
    drift_opened: Mapping[str, int]
    drift_resolved: Mapping[str, int]
    drift_open: Mapping[str, int]
    seconds: float
    batches: int = field(default=0)


def default_batch_size(dialect: str) -> int:
    """Resources per sync batch on the engine named ``dialect`` (``sqlite``, ...)."""
    return _BATCH_SIZES.get(dialect, _BATCH_SIZE)


def _batched(items: Iterable[ObservedResource], size: int) -> Iterator[list[ObservedResource]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class _Owners:
    """Tenant codes and system names to ids, and declared quotas, cached for one sync."""

    def __init__(self, session: Session, provider: str) -> None:
        self.provider = provider
        self._session = session
        self.tenants: dict[str, int] = {
            t.code: t.id for t in session.exec(select(Tenant)) if t.id is not None
        }
        # every system, read once (a lookup per batch of names across tenants is a cross
        # product of probes); a system created during the sync is resolved next time
        self.systems: dict[tuple[int, str], int] = {
            (tenant_id, name): system_id
            for system_id, tenant_id, name in session.execute(
                core_select(_SYSTEM.c.id, _SYSTEM.c.tenant_id, _SYSTEM.c.name)
            )
        }
        self.codes = {i: code for code, i in self.tenants.items()}
        self.system_names = {i: name for (_, name), i in self.systems.items()}
        # the estate's quotas are the desired side of a department project's quota
        self.quotas: dict[str, dict[str, Any]] = {
            q.tenant: declared_quota(q)
            for q in session.exec(select(Quota).where(Quota.provider == provider))
        }

    def ids(self, observed: ObservedResource) -> tuple[int | None, int | None]:
        tenant_id = self.tenants.get(observed.tenant) if observed.tenant else None
        if tenant_id is None or observed.system is None:
            return tenant_id, None
        return tenant_id, self.systems.get((tenant_id, observed.system))

    def names(self, owner: tuple[int | None, int | None]) -> tuple[str, str | None, str | None]:
        """The provider's name, the tenant's code and the system's name of ``owner``'s ids
        (stored beside them as the list's order)."""
        tenant_id, system_id = owner
        if (system_id is not None and system_id not in self.system_names) or (
            tenant_id is not None and tenant_id not in self.codes
        ):
            # an owner recorded after this sync read them (an applied row's)
            self.codes.update(
                self._session.execute(
                    core_select(_TENANT.c.id, _TENANT.c.code).where(_TENANT.c.id == tenant_id)
                ).tuples()
            )
            self.system_names.update(self._session.execute(
                core_select(_SYSTEM.c.id, _SYSTEM.c.name).where(_SYSTEM.c.id == system_id)
            ).tuples())  # fmt: skip
        tenant = self.codes.get(tenant_id) if tenant_id is not None else None
        system = self.system_names.get(system_id) if system_id is not None else None
        return self.provider, tenant, system


@dataclass
class _Pass:
    """What one sync's stream knows and has seen.

    ``stored``: the provider's rows as read before the stream, ``(id, fingerprint)`` by
    key, each taken out when the stream meets its resource: what is left at the sweep
    was not seen. ``met``: the keys the stream has met (live now). Drift is judged afresh
    only where it can have changed since the provider's last completed run: resources
    new or changed now, unmanaged ones, those with open drift (``drifting``), those
    re-applied since (``reapplied``), quotas (their desired side is the estate's), or
    every resource when no run has completed yet (``everything``; then the applied rows
    are read once, ``applied``). A resource outside all of these is as that run judged
    it: no drift.
    """

    stored: dict[Key, tuple[int, tuple[Any, ...]]]
    met: set[Key]
    drifting: set[Key]
    reapplied: set[Key]
    everything: bool
    applied: dict[Key, _Held] | None

    @classmethod
    def start(cls, session: Session, provider_id: int) -> _Pass:
        drifting = session.execute(
            core_select(col(Drift.kind), col(Drift.resource_id)).where(
                col(Drift.provider_id) == provider_id, col(Drift.resolved_at).is_(None)
            )
        )
        last = session.execute(
            core_select(func.max(col(SyncRun.stamp))).where(
                col(SyncRun.provider_id) == provider_id, col(SyncRun.state) == "done"
            )
        ).scalar()
        reapplied: set[Key] = set()
        if last is not None:
            rows = session.execute(
                core_select(col(AppliedResource.kind), col(AppliedResource.resource_id)).where(
                    col(AppliedResource.provider_id) == provider_id,
                    col(AppliedResource.applied_at) >= last,
                )
            )
            reapplied = {(kind, rid) for kind, rid in rows}
        return cls(
            stored=_stored(session, provider_id, None),
            met=set(),
            drifting={(kind, rid) for kind, rid in drifting},
            reapplied=reapplied,
            everything=last is None,
            applied=_applied(session, provider_id, None) if last is None else None,
        )

    def judges(self, key: Key, observed: ObservedResource) -> bool:
        """Whether this resource's drift must be judged whatever its stored row says."""
        return (
            self.everything
            or not observed.managed
            or observed.kind == QUOTA_KIND
            or key in self.drifting
            or key in self.reapplied
        )

    def held(self, session: Session, provider_id: int, keys: Collection[Key]) -> dict[Key, _Held]:
        """The applied rows of ``keys`` (those govcloud applied)."""
        if self.applied is None:
            return _applied(session, provider_id, keys)
        return {key: self.applied[key] for key in keys if key in self.applied}


class _Held(NamedTuple):
    """What govcloud recorded applying to one resource id: spec (its JSON text), owner,
    desired name (a tuple: a first sync holds one per applied resource)."""

    text: str
    owner: tuple[int | None, int | None]
    name: str

    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = json.loads(self.text)
        return spec


def _finding(
    observed: ObservedResource,
    held: _Held | None,
    quotas: Mapping[str, Mapping[str, Any]],
    owner: tuple[int | None, int | None],
    text: str,
) -> Finding | None:
    """The drift one observation (its spec the ``spec_text`` ``text``) shows, if any."""
    if held is not None and not observed.managed:
        # known by id but no longer marked: changed on the resource, never a newcomer
        changes = {TAGS_KEY: {"desired": "govcloud", "observed": None}}
        changes.update(spec_changes(held.spec(), observed.spec))
        return Finding(
            observed.kind, observed.resource_id, observed.name, "changed", *owner,
            detail={"keys": changes},
        )  # fmt: skip
    if not observed.managed:
        return Finding(observed.kind, observed.resource_id, observed.name, "unmanaged", *owner)
    if observed.kind == QUOTA_KIND:
        declared = quotas.get(observed.tenant or "", declared_quota(None))
        return _changed_finding(observed, spec_changes(declared, observed.spec), owner)
    if held is None or held.text == text:
        # nothing applied to compare with, or the very spec that was applied
        if observed.status != DRIFTED_STATUS:
            return None
        return _changed_finding(observed, {}, owner)
    return _changed_finding(observed, spec_changes(held.spec(), observed.spec), owner)


def _changed_finding(
    observed: ObservedResource,
    changes: dict[str, dict[str, Any]],
    owner: tuple[int | None, int | None],
) -> Finding | None:
    """``changed`` drift: spec keys that left the applied values, or a driver's own
    ``Drifted`` status."""
    if not changes and observed.status != DRIFTED_STATUS:
        return None
    detail: dict[str, Any] = {"keys": changes}
    if observed.status == DRIFTED_STATUS:
        detail["status"] = observed.status
    return Finding(
        observed.kind, observed.resource_id, observed.name, "changed", *owner, detail=detail
    )


class SyncService:
    """Syncs providers' inventories into the database (one I/O seam: ``drivers``)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        drivers: DriverFactory,
        *,
        batch_size: int | None = None,
        actor: str = "govcloud-sync",
    ) -> None:
        """``batch_size``: resources per batch, or ``None`` for the engine's
        (``default_batch_size``)."""
        if batch_size is not None and batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._sessions = sessions
        self._clock = clock
        self._drivers = drivers
        self.batch_size = batch_size
        self.actor = actor

    def provider_names(self) -> list[str]:
        with self._sessions() as session:
            return list(session.exec(select(Provider.name).order_by(col(Provider.name))))

    def _provider(self, name: str) -> Provider:
        with self._sessions() as session:
            provider = session.exec(select(Provider).where(Provider.name == name)).first()
        if provider is None or provider.id is None:
            raise UnknownProvider(name)
        return provider

    # -- failure path -----------------------------------------------------------------

    def _record_failure(
        self,
        provider_id: int,
        report: HealthReport | None,
        error: ProviderError,
        actor: str,
        run_id: int | None = None,
    ) -> None:
        now = self._clock()
        with transaction(self._sessions) as session:
            record_health(session, provider_id, at=now, report=report, error=error)
            if run_id is not None:
                run = session.get(SyncRun, run_id)
                if run is not None:
                    run.state, run.finished_at = "failed", now
                    run.error = error.message_en[:1000]
                    session.add(run)
            audit.append(
                session,
                at=now,
                actor=actor,
                action="provider.sync.failed",
                subject=error.provider,
                payload={"error": error.code, "detail": error.detail, "run": run_id},
            )

    def probe(self, name: str, *, actor: str | None = None) -> HealthReport | None:
        """Probe one provider's health and store the probe (availability is measured
        on these rows); ``None`` when the driver could not even be built."""
        provider = self._provider(name)
        try:
            report: HealthReport | None = self._drivers(provider).health()
            error = error_from_health(report) if report is not None else None
        except ProviderError as exc:
            report, error = None, exc
        with transaction(self._sessions) as session:
            record_health(session, provider.id or 0, at=self._clock(), report=report, error=error)
        return report

    # -- the sync ---------------------------------------------------------------------

    def sync(self, name: str, *, actor: str | None = None) -> SyncReport:
        """Sync provider ``name``; raises ``UnknownProvider`` or the ``ProviderError``."""
        actor = actor or self.actor
        provider = self._provider(name)
        provider_id = provider.id or 0
        started = time.perf_counter()
        try:
            driver = self._drivers(provider)
            report = driver.health()
        except ProviderError as exc:
            self._record_failure(provider_id, None, exc, actor)
            raise
        unhealthy = error_from_health(report)
        if unhealthy is not None:
            self._record_failure(provider_id, report, unhealthy, actor)
            raise unhealthy
        run_id, stamp = self._start(provider_id, report)
        try:
            with bulk_sessions(self._sessions) as sessions:
                counts, seen = self._stream(
                    sessions, driver, provider_id, name, run_id, stamp, actor
                )
                with transaction(sessions) as session:
                    ledger = DriftLedger(session, provider_id, stamp)
                    counts["gone"] = self._sweep(session, provider_id, stamp, ledger, seen)
                    _tally(counts, ledger)
                    open_now = self._open_drift(session, provider_id)
                    self._finish(session, run_id, counts, open_now, name, actor)
        except ProviderError as exc:
            self._record_failure(provider_id, None, exc, actor, run_id)
            raise
        return SyncReport(
            provider=name,
            run_id=run_id,
            health=report,
            observed=counts["observed"],
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            gone=counts["gone"],
            drift_opened=_prefixed(counts, "opened."),
            drift_resolved=_prefixed(counts, "resolved."),
            drift_open=open_now,
            seconds=time.perf_counter() - started,
            batches=counts["batches"],
        )

    def _stream(
        self,
        sessions: sessionmaker[Session],
        driver: Driver,
        provider_id: int,
        name: str,
        run_id: int,
        stamp: datetime,
        actor: str,
    ) -> tuple[Counter[str], _Pass]:
        """Upsert the inventory batch by batch, one transaction each."""
        counts: Counter[str] = Counter()
        _keep_statistics(sessions)
        with sessions() as session:
            owners = _Owners(session, name)
            seen = _Pass.start(session, provider_id)
            size = self.batch_size or default_batch_size(session.get_bind().dialect.name)
        batches = _batched(driver.list_inventory(), size)
        if not seen.stored:
            with transaction(sessions) as session:
                with defer_indexes(session, _RESOURCE.name) as deferred:
                    # a first load into an empty table: one transaction, indexes after
                    events = [
                        self._write(session, provider_id, batch, stamp, owners, seen, counts)
                        for batch in (batches if deferred.active else ())
                    ]
                for event in events:
                    if event is not None:
                        self._audit_batch(session, name, actor, run_id, event)
            if deferred.active:
                return counts, seen
        for batch in batches:
            with transaction(sessions) as session:
                event = self._write(session, provider_id, batch, stamp, owners, seen, counts)
                if event is not None:
                    self._audit_batch(session, name, actor, run_id, event)
            if event is not None and event["created"]:
                _keep_statistics(sessions)
        return counts, seen

    def _audit_batch(
        self, session: Session, name: str, actor: str, run_id: int, event: dict[str, Any]
    ) -> None:
        audit.append(
            session,
            at=self._clock(),
            actor=actor,
            action="inventory.batch",
            subject=name,
            payload={"run": run_id, **event},
        )

    def _start(self, provider_id: int, report: HealthReport) -> tuple[int, datetime]:
        now = self._clock()
        with transaction(self._sessions) as session:
            record_health(session, provider_id, at=now, report=report)
            last = session.exec(
                select(func.max(SyncRun.stamp)).where(col(SyncRun.provider_id) == provider_id)
            ).one()
            # The sweep tells "seen now" from "seen before" by this stamp alone, so it must
            # beat every earlier run even when the clock stands still or steps back.
            stamp = now if last is None or now > last else last + timedelta(microseconds=1)
            run = SyncRun(provider_id=provider_id, stamp=stamp, started_at=now, state="running")
            session.add(run)
            session.flush()
            return run.id or 0, stamp

    def _write(
        self,
        session: Session,
        provider_id: int,
        batch: list[ObservedResource],
        stamp: datetime,
        owners: _Owners,
        seen: _Pass,
        counts: Counter[str],
    ) -> dict[str, Any] | None:
        """Write one batch in ``session``'s transaction and add it to ``counts``; returns
        what its audit event says, or ``None`` when it changed nothing."""
        ledger = DriftLedger(session, provider_id, stamp)
        by_key: dict[Key, ObservedResource] = {(o.kind, o.resource_id): o for o in batch}
        stored = seen.stored
        again = [key for key in by_key if key in seen.met]
        if again:
            # met in an earlier batch of this run (a listing that repeats itself): as now
            stored.update(_stored(session, provider_id, again))
        judged = {k for k, o in by_key.items() if k not in stored or seen.judges(k, o)}
        applied = seen.held(session, provider_id, judged)
        looked_up = set(judged)
        inserts: list[tuple[Any, ...]] = []
        updates: list[dict[str, Any]] = []
        unchanged = 0
        owned: dict[Key, tuple[ObservedResource, tuple[int | None, int | None], str]] = {}
        for key, observed in by_key.items():
            held = applied.get(key)
            owner = owners.ids(observed)
            if held is not None and not observed.managed:
                # govcloud's own resource by the id it recorded, its tags gone or altered:
                # it stays under its system and desired name
                owner = held.owner
                observed = replace(observed, name=held.name)
            text = spec_text(observed.spec)
            fresh = fingerprint(observed, *owner, text)
            row = stored.pop(key, None)
            if row is None:
                _, tenant, system = owners.names(owner)
                inserts.append(
                    (
                        provider_id, *owner, owners.provider, tenant or "", system or "",
                        key[0], key[1], fresh[2], fresh[3], observed.managed, text,
                        observed.created_at, stamp, None,
                    )
                )  # fmt: skip
            elif fingerprints_differ(row[1], fresh):
                # the owner's names go with its ids (the fingerprint holds the ids)
                _, tenant, system = owners.names(owner)
                updates.append(
                    {
                        "row_id": row[0], "tenant_id": owner[0], "system_id": owner[1],
                        "tenant_code": tenant or "", "system_name": system or "",
                        "name": fresh[2], "status": fresh[3], "managed": observed.managed,
                        "spec": json.loads(text), "deleted_at": None, "observed_at": stamp,
                    }
                )  # fmt: skip
                judged.add(key)
            else:
                unchanged += 1  # nothing to write: the sweep knows it was met
            if key in judged:
                owned[key] = (observed, owner, text)
        seen.met.update(by_key)
        # changed managed resources not judged above: their applied rows too
        applied.update(seen.held(session, provider_id, owned.keys() - looked_up))
        findings: list[Finding] = []
        for key, (observed, owner, text) in owned.items():
            finding = _finding(observed, applied.get(key), owners.quotas, owner, text)
            if finding is not None:
                findings.append(finding)
        if inserts:
            with indexed_in_bulk(session.connection()):
                BulkInsert(session, _RESOURCE, _INSERTED_COLUMNS, raw=("spec",)).write(inserts)
        if updates:
            session.execute(
                update(_RESOURCE)
                .where(_RESOURCE.c.id == bindparam("row_id"))
                .values({c: bindparam(c) for c in (*_UPDATED_COLUMNS, "observed_at")}),
                updates,
            )
        # only resources with open drift or a finding now can change the drift rows
        ledger.settle([k for k in by_key if k in seen.drifting], findings)
        seen.drifting.update(f.key for f in findings)
        done = Counter(
            observed=len(by_key), created=len(inserts), updated=len(updates), unchanged=unchanged,
        )  # fmt: skip
        counts.update(done)
        counts["batches"] += 1
        _tally(counts, ledger)
        if not (inserts or updates or ledger.opened or ledger.resolved):
            return None
        return {
            **done, "drift_opened": dict(ledger.opened), "drift_resolved": dict(ledger.resolved),
        }  # fmt: skip

    def _sweep(
        self, session: Session, provider_id: int, stamp: datetime, ledger: DriftLedger, seen: _Pass
    ) -> int:
        """Mark gone the stored live rows the stream never met, and settle ``missing``
        drift."""
        gone = [
            (row_id, kind, rid)
            for (kind, rid), (row_id, stored) in seen.stored.items()
            if not stored[5]  # live when read (deleted ones stay as they are)
        ]
        ids = [row_id for row_id, _, _ in gone]
        for start in range(0, len(ids), _CHUNK):
            session.execute(
                update(_RESOURCE)
                .where(_RESOURCE.c.id.in_(ids[start : start + _CHUNK]))
                .values(deleted_at=stamp)
            )
        # gone resources are neither changed nor unmanaged any more
        ledger.settle([(kind, rid) for _, kind, rid in gone], [])
        ledger.settle_type("missing", self._missing(session, provider_id))
        return len(gone)

    def _missing(self, session: Session, provider_id: int) -> list[Finding]:
        """Desired but not live, or known managed and gone while its system still is.

        Runs after the sweep, in its transaction: the provider's live rows are then
        exactly the resources this run met, so "desired but not live" is an anti-join of
        the applied rows against them by the unique index, in the database (only what is
        missing comes back; no lookup per row from here, no whole table into memory).
        """
        found: dict[Key, Finding] = {}
        live = (
            core_select(_RESOURCE.c.id)
            .where(
                _RESOURCE.c.provider_id == _APPLIED.c.provider_id,
                _RESOURCE.c.kind == _APPLIED.c.kind,
                _RESOURCE.c.resource_id == _APPLIED.c.resource_id,
                _RESOURCE.c.deleted_at.is_(None),
            )
            .exists()
        )
        desired = session.connection().execute(
            core_select(
                _APPLIED.c.kind,
                _APPLIED.c.resource_id,
                _APPLIED.c.name,
                _SYSTEM.c.tenant_id,
                _APPLIED.c.system_id,
            )
            .outerjoin(_SYSTEM, _SYSTEM.c.id == _APPLIED.c.system_id)
            .where(_APPLIED.c.provider_id == provider_id, ~live)
            .order_by(_APPLIED.c.id)
        )
        for kind, rid, name, tenant_id, system_id in desired:
            found[kind, rid] = Finding(
                kind, rid, name, "missing", tenant_id, system_id, detail={"why": "desired"}
            )
        gone = session.execute(
            core_select(
                _RESOURCE.c.kind,
                _RESOURCE.c.resource_id,
                _RESOURCE.c.name,
                _RESOURCE.c.tenant_id,
                _RESOURCE.c.system_id,
            )
            .join(_SYSTEM, _SYSTEM.c.id == _RESOURCE.c.system_id)
            .where(
                _RESOURCE.c.provider_id == provider_id,
                _RESOURCE.c.deleted_at.is_not(None),
                _RESOURCE.c.managed,
                _SYSTEM.c.status.not_in(_RETIRED_SYSTEM_STATES),
            )
        ).all()
        # a resource re-created under a new id (same system, kind, name) replaced it
        replaced = _live_names(session, provider_id, {(row[3], row[4]) for row in gone})
        for kind, rid, name, tenant_id, system_id in gone:
            if (system_id, kind, name) not in replaced:
                found.setdefault(
                    (kind, rid),
                    Finding(
                        kind, rid, name, "missing", tenant_id, system_id, detail={"why": "gone"}
                    ),
                )
        return list(found.values())

    @staticmethod
    def _open_drift(session: Session, provider_id: int) -> dict[str, int]:
        rows = session.execute(
            select(Drift.drift, func.count())
            .where(col(Drift.provider_id) == provider_id, col(Drift.resolved_at).is_(None))
            .group_by(Drift.drift)
        )
        return {str(kind): int(count) for kind, count in rows}

    def _finish(
        self,
        session: Session,
        run_id: int,
        counts: Counter[str],
        open_now: dict[str, int],
        name: str,
        actor: str,
    ) -> None:
        now = self._clock()
        run = session.get(SyncRun, run_id)
        if run is None:
            raise RuntimeError(f"sync run {run_id} vanished during the sync")
        summary = dict(counts)
        run.state, run.finished_at, run.counts = "done", now, {**summary, "open": open_now}
        session.add(run)
        audit.append(
            session,
            at=now,
            actor=actor,
            action="provider.sync",
            subject=name,
            payload={"run": run_id, **summary, "open": open_now},
        )


def _keep_statistics(sessions: sessionmaker[Session]) -> None:
    """Analyze the inventory tables a bulk load has outgrown (PostgreSQL), so batch
    lookups stay index probes as the table fills."""
    with transaction(sessions) as session:
        refresh_statistics(session, _ANALYZED)


def _keyed(
    session: Session,
    query: Select[Any],
    kind: Any,
    resource_id: Any,
    keys: Collection[Key] | None,
) -> Iterable[Any]:
    """Rows of ``query`` for ``keys`` by the unique index, or all of them (``None``)
    streamed straight off the driver (a whole provider's rows: no row objects)."""
    if keys is None:
        return driver_rows(session, query, size=_STREAM)
    return session.connection().execute(keyed_rows(query, kind, resource_id, keys))


def _stored(
    session: Session, provider_id: int, keys: Collection[Key] | None
) -> dict[Key, tuple[int, tuple[Any, ...]]]:
    """The provider's stored rows (of ``keys``, or all): ``(id, fingerprint)`` by key."""
    if keys is not None and not keys:
        return {}
    query = core_select(*_STORED).where(_RESOURCE.c.provider_id == provider_id)
    rows = _keyed(session, query, _RESOURCE.c.kind, _RESOURCE.c.resource_id, keys)
    return {(kind, rid): (row_id, tuple(values)) for row_id, kind, rid, *values in rows}


def _applied(session: Session, provider_id: int, keys: Collection[Key] | None) -> dict[Key, _Held]:
    """What govcloud recorded applying to these resources (of ``keys``, or all)."""
    if keys is not None and not keys:
        return {}
    query = (
        core_select(*_HELD)
        .outerjoin(_SYSTEM, _SYSTEM.c.id == _APPLIED.c.system_id)
        .where(_APPLIED.c.provider_id == provider_id)
    )
    rows = _keyed(session, query, _APPLIED.c.kind, _APPLIED.c.resource_id, keys)
    return {
        (kind, rid): _Held(text, (tenant_id, system_id), name)
        for kind, rid, text, name, tenant_id, system_id in rows
    }


def _live_names(
    session: Session, provider_id: int, owners: set[tuple[int | None, int | None]]
) -> set[tuple[int, str, str]]:
    """``(system_id, kind, name)`` of live resources of the given (tenant, system) pairs."""
    found: set[tuple[int, str, str]] = set()
    pairs = sorted((t, s) for t, s in owners if t is not None and s is not None)
    for start in range(0, len(pairs), _CHUNK):
        chunk = pairs[start : start + _CHUNK]
        rows = session.execute(
            core_select(_RESOURCE.c.system_id, _RESOURCE.c.kind, _RESOURCE.c.name).where(
                _RESOURCE.c.provider_id == provider_id,
                _RESOURCE.c.deleted_at.is_(None),
                # (tenant_id, system_id) is the indexed path to a system's resources
                _RESOURCE.c.tenant_id.in_(sorted({t for t, _ in chunk})),
                _RESOURCE.c.system_id.in_(sorted({s for _, s in chunk})),
            )
        )
        found.update((system_id, kind, name) for system_id, kind, name in rows)
    return found


def _tally(counts: Counter[str], ledger: DriftLedger) -> None:
    counts.update({f"opened.{k}": v for k, v in ledger.opened.items()})
    counts.update({f"resolved.{k}": v for k, v in ledger.resolved.items()})


def _prefixed(counts: Counter[str], prefix: str) -> dict[str, int]:
    return {k.removeprefix(prefix): v for k, v in counts.items() if k.startswith(prefix) and v}
