"""The simulator provider: an in-process cloud for demos, tests and scale runs.

Owns ``SimulatorDriver``, a first-class ``Driver`` of kind ``simulator``. It is
deterministic from its seed and injected clock (resource ids, health latencies),
holds 100,000+ resources in compact records, applies idempotently by
``(tenant, system, kind, name)``, enforces tenant quotas and provider capacity,
derives usage intervals from resource lifetimes, and injects faults
(``SimulatorFaults``) so retries and resume-after-crash can be tested for real.
With ``state_path`` its cloud lives in a JSON file shared by separate CLI runs.

Must not import anything internal outside ``providers``, nor any cloud SDK.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

from providers.base import Clock
from providers.errors import (
    ProviderAuthError,
    ProviderConflict,
    ProviderInvalidRequest,
    ProviderNotFound,
    ProviderQuotaExceeded,
    ProviderUnavailable,
)
from providers.kinds import KINDS, ResourceKind
from providers.ordering import run_in_order
from providers.sim.faults import SimulatedCrash, SimulatorFaults
from providers.sim.persist import StateFile
from providers.sim.store import Record, Store, Usage, demand_of
from providers.types import (
    ApplyOutcome,
    DesiredResource,
    HealthReport,
    ObservedResource,
    QuotaSet,
    SystemRef,
    UsageObservation,
    spec_fingerprint,
)

__all__ = ["SimulatedCrash", "SimulatorDriver", "SimulatorFaults"]

#: The status a freshly created resource reports, as the real platforms spell it.
_STATUS: Mapping[str, str] = {
    "server": "ACTIVE",
    "volume": "available",
    "floating_ip": "DOWN",
    "namespace": "Active",
}
_DEFAULT_STATUS = "ACTIVE"


def _utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value.isoformat()}")
    return value.astimezone(UTC)


class SimulatorDriver:
    """An in-process cloud implementing the ``Driver`` protocol.

    ``capacity`` bounds the whole provider (``None`` fields are unlimited);
    ``set_quotas`` bounds each tenant. ``faults`` may be replaced at any time, which
    also restarts the ``fail_after_creates`` count.
    """

    kind: str = "simulator"

    def __init__(
        self,
        name: str,
        *,
        clock: Clock,
        seed: int = 0,
        capacity: QuotaSet | None = None,
        faults: SimulatorFaults | None = None,
        state_path: Path | None = None,
        latency_ms: tuple[float, float] = (2.0, 20.0),
    ) -> None:
        self.name = name
        self.capacity = capacity
        self._clock = clock
        self._latency_ms = latency_ms
        self._lock = threading.RLock()
        self._store = Store(seed)
        # A file, once written, knows the seed that made its ids; it wins over ``seed``.
        self._file = StateFile(state_path) if state_path is not None else None
        with self._session(write=False):
            pass
        self._rng = random.Random(self._store.seed)
        self._faults = faults or SimulatorFaults()
        self._creates = 0

    @contextmanager
    def _session(self, *, write: bool) -> Iterator[Store]:
        """The current state, refreshed from the state file and saved back on writes.

        Saved even when the body raises (a simulated crash included): a real cloud
        keeps what was created before the caller died.
        """
        with self._lock:
            if self._file is None:
                yield self._store
                return
            with self._file.locked(exclusive=write):
                try:
                    fresh = self._file.load_if_changed()
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    raise ProviderInvalidRequest(
                        self.name, f"cannot read simulator state {self._file.path}: {exc}"
                    ) from exc
                if fresh is not None:
                    self._store = fresh
                try:
                    yield self._store
                finally:
                    if write:
                        self._file.save(self._store)

    # -- fault switches -------------------------------------------------------

    @property
    def faults(self) -> SimulatorFaults:
        return self._faults

    @faults.setter
    def faults(self, faults: SimulatorFaults) -> None:
        self._faults = faults
        self._creates = 0

    def _guard(self) -> None:
        if self._faults.unavailable:
            raise ProviderUnavailable(
                self.name, "simulated outage", retry_after=self._faults.retry_after
            )
        if self._faults.auth_failure:
            raise ProviderAuthError(self.name, "simulated credential rejection")

    def _now(self) -> datetime:
        return _utc(self._clock(), "the clock")

    # -- Driver protocol ------------------------------------------------------

    def health(self) -> HealthReport:
        checked_at = self._now()
        if self._faults.unavailable:
            return HealthReport(
                self.name, False, False, None, checked_at, "unreachable (simulated outage)"
            )
        low, high = self._latency_ms
        latency = round(self._rng.uniform(low, high), 3)
        if self._faults.auth_failure:
            return HealthReport(
                self.name, True, False, latency, checked_at, "credentials rejected (simulated)"
            )
        detail = f"simulator ok, {self.resource_count} resources"
        return HealthReport(self.name, True, True, latency, checked_at, detail)

    def apply(self, system: SystemRef, desired: Sequence[DesiredResource]) -> list[ApplyOutcome]:
        self._guard()
        with self._session(write=True):
            return run_in_order(
                desired,
                provider=self.name,
                step=lambda item: self._apply_one(system, item),
            )

    def delete(self, system: SystemRef) -> list[ApplyOutcome]:
        self._guard()
        now = self._now()
        outcomes: list[ApplyOutcome] = []
        with self._session(write=True) as store:
            for key, record in sorted(store.owned(system.tenant, system.system).items()):
                store.remove(record, now)
                outcomes.append(ApplyOutcome(key[0], key[1], "deleted", record.resource_id))
            deleted_now = {(o.kind, o.name) for o in outcomes}
            gone = store.gone_keys.get((system.tenant, system.system), {})
            for (kind, name), resource_id in sorted(gone.items()):
                if (kind, name) not in deleted_now:
                    outcomes.append(ApplyOutcome(kind, name, "absent", resource_id))
        return outcomes

    def list_inventory(self) -> Iterator[ObservedResource]:
        self._guard()
        # A snapshot, so callers may mutate the simulator while they iterate.
        with self._session(write=False) as store:
            return self._observe(list(store.active.values()))

    def _observe(self, records: list[Record]) -> Iterator[ObservedResource]:
        provider = self.name
        for record in records:
            yield ObservedResource(
                provider=provider,
                kind=record.kind,
                resource_id=record.resource_id,
                name=record.name,
                tenant=record.tenant,
                system=record.system,
                request_id=record.request_id,
                status=record.status,
                spec=MappingProxyType(record.spec),
                created_at=record.created_at,
                managed=record.tenant is not None,
            )

    def observe_usage(self, since: datetime, until: datetime) -> Iterator[UsageObservation]:
        """Usage of every resource alive during ``[since, until)``, clipped to it.

        Each allocation period (creation or spec change to the next change or
        deletion) of each meter gives one observation; its ``source_key`` is built
        from the resource, meter and clipped bounds, so the same window observed
        twice gives identical keys. Callers should collect contiguous windows.
        """
        self._guard()
        since = _utc(since, "since")
        until = _utc(until, "until")
        if not since < until:
            raise ValueError(f"empty usage window: {since.isoformat()} >= {until.isoformat()}")
        with self._session(write=False) as store:
            return self._usage(list(store.all_records()), since, until)

    def _usage(
        self, records: list[Record], since: datetime, until: datetime
    ) -> Iterator[UsageObservation]:
        for record in records:
            for start, end, usage in record.segments():
                low, high = max(start, since), min(end, until)
                if not low < high:
                    continue
                window = f"{low.isoformat()}/{high.isoformat()}"
                for meter, quantity in usage:
                    yield UsageObservation(
                        provider=self.name,
                        resource_id=record.resource_id,
                        tenant=record.tenant,
                        system=record.system,
                        meter=meter,
                        quantity=quantity,
                        start=low,
                        end=high,
                        source_key=f"simulator:{self.name}:{record.resource_id}:{meter}:{window}",
                    )

    def set_quotas(self, tenant: str, quotas: QuotaSet) -> None:
        """Set ``tenant``'s limits; existing resources over a lowered limit stay."""
        self._guard()
        with self._session(write=True) as store:
            store.quotas[tenant] = quotas

    # -- apply internals ------------------------------------------------------

    def _kind(self, name: str) -> ResourceKind:
        kind = KINDS.get(name)
        if kind is None:
            raise ProviderInvalidRequest(self.name, f"unknown resource kind {name!r}")
        return kind

    def _prepare(self, item: DesiredResource) -> tuple[dict[str, object], str, Usage]:
        """A private copy of the spec, its fingerprint and the usage it allocates."""
        kind = self._kind(item.kind)
        spec = dict(item.spec)
        try:
            fingerprint = spec_fingerprint(spec)
            usage = tuple(kind.usage_of(spec))
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise ProviderInvalidRequest(self.name, f"{item.key}: bad spec: {exc}") from exc
        return spec, fingerprint, usage

    def _check_quota(
        self, item: DesiredResource, tenant: str | None, demand: dict[str, Decimal]
    ) -> None:
        problems = self._store.excess(tenant, demand, self.capacity)
        if problems:
            raise ProviderQuotaExceeded(self.name, f"{item.key}: {'; '.join(problems)}")

    def _apply_one(self, system: SystemRef, item: DesiredResource) -> ApplyOutcome:
        if item.key in self._faults.fail_resources:
            raise ProviderConflict(
                self.name, f"{item.key}: simulated failure", retry_after=self._faults.retry_after
            )
        spec, fingerprint, usage = self._prepare(item)
        existing = self._store.owned(system.tenant, system.system).get((item.kind, item.name))
        if existing is not None:
            return self._update(system, item, existing, spec, fingerprint, usage)
        self._check_quota(item, system.tenant, demand_of(item.kind, usage))
        limit = self._faults.fail_after_creates
        if limit is not None and self._creates >= limit:
            raise SimulatedCrash(self.name, self._creates)
        record = self._create(self._store, item, system, (spec, fingerprint, usage), self._now())
        self._creates += 1
        return ApplyOutcome(item.kind, item.name, "created", record.resource_id)

    def _create(
        self,
        store: Store,
        item: DesiredResource,
        owner: SystemRef | None,
        prepared: tuple[dict[str, object], str, Usage],
        at: datetime,
    ) -> Record:
        """Add one resource; ``owner=None`` makes it unmanaged (no govcloud tags)."""
        spec, fingerprint, usage = prepared
        record = Record(
            store.new_id(),
            item.kind,
            item.name,
            owner.tenant if owner else None,
            owner.system if owner else None,
            owner.request_id if owner else None,
            _STATUS.get(item.kind, _DEFAULT_STATUS),
            spec,
            fingerprint,
            usage,
            at,
        )
        store.add(record)
        return record

    def _update(
        self,
        system: SystemRef,
        item: DesiredResource,
        record: Record,
        spec: dict[str, object],
        fingerprint: str,
        usage: Usage,
    ) -> ApplyOutcome:
        if fingerprint == record.fingerprint:
            return ApplyOutcome(item.kind, item.name, "unchanged", record.resource_id)
        old, new = demand_of(record.kind, record.usage), demand_of(item.kind, usage)
        delta = {dim: amount - old.get(dim, Decimal(0)) for dim, amount in new.items()}
        self._check_quota(item, system.tenant, delta)
        changes = tuple(
            sorted(
                key
                for key in set(spec) | set(record.spec)
                if spec_fingerprint({"v": spec.get(key)})
                != spec_fingerprint({"v": record.spec.get(key)})
            )
        )
        if usage != record.usage:
            self._store.replace_usage(record, usage, self._now())
        record.spec = spec
        record.fingerprint = fingerprint
        record.request_id = system.request_id
        return ApplyOutcome(item.kind, item.name, "updated", record.resource_id, changes=changes)

    # -- seeding, drift and introspection ------------------------------------

    def populate(
        self,
        systems: Iterable[tuple[SystemRef, Sequence[DesiredResource]]],
        *,
        created_at: datetime | None = None,
    ) -> int:
        """Bulk-create managed resources as if they had always been there.

        Models pre-existing cloud contents for scale runs: quotas, capacity and faults
        are not consulted, existing ``(system, kind, name)`` are skipped, and resources
        sharing one spec object share its stored copy. Returns how many were created.
        """
        at = _utc(created_at, "created_at") if created_at else self._now()
        created = 0
        # Keyed by id(); the original spec is kept in the value so ids are not reused.
        prepared: dict[
            tuple[str, int], tuple[Mapping[str, object], dict[str, object], str, Usage]
        ] = {}
        with self._session(write=True) as store:
            for system, desired in systems:
                for item in desired:
                    if (item.kind, item.name) in store.owned(system.tenant, system.system):
                        continue
                    cache_key = (item.kind, id(item.spec))
                    cached = prepared.get(cache_key)
                    if cached is None:
                        cached = prepared[cache_key] = (item.spec, *self._prepare(item))
                    self._create(store, item, system, cached[1:], at)
                    created += 1
        return created

    def add_unmanaged(
        self, resources: Iterable[DesiredResource], *, created_at: datetime | None = None
    ) -> list[str]:
        """Create resources without govcloud tags (drift someone made by hand)."""
        at = _utc(created_at, "created_at") if created_at else self._now()
        with self._session(write=True) as store:
            return [
                self._create(store, item, None, self._prepare(item), at).resource_id
                for item in resources
            ]

    def tamper(self, resource_id: str, spec: Mapping[str, object]) -> None:
        """Change a resource's spec behind govcloud's back (out-of-band drift)."""
        with self._session(write=True) as store:
            record = self._record(store, resource_id)
            new_spec, fingerprint, usage = self._prepare(
                DesiredResource(record.kind, record.name, spec)
            )
            if usage != record.usage:
                store.replace_usage(record, usage, self._now())
            record.spec, record.fingerprint = new_spec, fingerprint

    def remove_out_of_band(self, resource_id: str) -> None:
        """Delete a resource as an operator would in the cloud console."""
        with self._session(write=True) as store:
            store.remove(self._record(store, resource_id), self._now())

    def _record(self, store: Store, resource_id: str) -> Record:
        record = store.active.get(resource_id)
        if record is None:
            raise ProviderNotFound(self.name, f"no resource {resource_id}")
        return record

    @property
    def resource_count(self) -> int:
        """How many resources exist now (managed and unmanaged)."""
        with self._session(write=False) as store:
            return len(store.active)

    def quota_usage(self, tenant: str) -> dict[str, Decimal]:
        """How much of each quota dimension ``tenant`` consumes now."""
        with self._session(write=False) as store:
            return {k: v for k, v in store.tenant_totals.get(tenant, {}).items() if v}
