"""File persistence of the simulator's state, so separate CLI runs see one cloud.

Owns ``save_store`` / ``load_store``: one JSON document written atomically (temporary
file, then ``os.replace``) so a crash never leaves a half-written cloud. Decimals and
datetimes are stored as text and read back exactly. ``StateFile`` adds an advisory
file lock and reload-on-change so several processes share one cloud (POSIX only).

Must not import anything internal outside ``providers``.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from providers.sim.store import Record, Segment, Store, Usage
from providers.types import QuotaSet

__all__ = ["FORMAT_VERSION", "StateFile", "load_store", "save_store"]

FORMAT_VERSION = 1


def _usage_out(usage: Usage) -> list[list[str]]:
    return [[meter, str(quantity)] for meter, quantity in usage]


def _usage_in(data: list[list[str]]) -> Usage:
    return tuple((meter, Decimal(quantity)) for meter, quantity in data)


def _record_out(record: Record) -> list[Any]:
    return [
        record.resource_id,
        record.kind,
        record.name,
        record.tenant,
        record.system,
        record.request_id,
        record.status,
        record.spec,
        record.fingerprint,
        _usage_out(record.usage),
        record.usage_since.isoformat(),
        record.created_at.isoformat(),
        record.deleted_at.isoformat() if record.deleted_at else None,
        [[s.isoformat(), e.isoformat(), _usage_out(u)] for s, e, u in record.past or ()],
    ]


def _record_in(row: list[Any]) -> Record:
    (rid, kind, name, tenant, system, request, status, spec, fp, usage) = row[:10]
    usage_since, created_at, deleted_at, past = row[10:]
    record = Record(
        rid,
        kind,
        name,
        tenant,
        system,
        request,
        status,
        spec,
        fp,
        _usage_in(usage),
        datetime.fromisoformat(created_at),
    )
    record.usage_since = datetime.fromisoformat(usage_since)
    record.deleted_at = datetime.fromisoformat(deleted_at) if deleted_at else None
    segments: list[Segment] = [
        (datetime.fromisoformat(s), datetime.fromisoformat(e), _usage_in(u)) for s, e, u in past
    ]
    record.past = segments or None
    return record


def _json_default(value: object) -> object:
    if isinstance(value, Decimal | datetime):
        return str(value)
    if isinstance(value, tuple | frozenset | set):
        return list(value)
    raise TypeError(f"cannot persist {type(value).__name__}")


def save_store(store: Store, path: Path) -> None:
    """Write ``store`` to ``path`` atomically."""
    document = {
        "format": FORMAT_VERSION,
        "seed": store.seed,
        "counter": store.counter,
        "quotas": {tenant: asdict(quota) for tenant, quota in store.quotas.items()},
        "records": [_record_out(record) for record in store.all_records()],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, default=_json_default)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def load_store(path: Path) -> Store:
    """Read a store saved by ``save_store``; ``ValueError`` if the file is not one."""
    with path.open(encoding="utf-8") as handle:
        document = json.load(handle)
    if not isinstance(document, dict) or document.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path} is not a simulator state file (format {FORMAT_VERSION})")
    store = Store(int(document["seed"]))
    store.counter = int(document["counter"])
    store.quotas = {tenant: QuotaSet(**quota) for tenant, quota in document["quotas"].items()}
    for row in document["records"]:
        record = _record_in(row)
        if record.deleted_at is None:
            store.add(record)
        else:
            store.bury(record)
    return store


class StateFile:
    """One state file shared by several processes (CLI runs, the server).

    Mutations hold an exclusive ``flock`` on a sibling ``.lock`` file, reads a shared
    one; before either, the state is reloaded if another process replaced the file
    since this one last read or wrote it, so no process works on a stale cloud.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")
        self._stamp: tuple[int, int, int] | None = None

    def _current(self) -> tuple[int, int, int] | None:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return None
        return status.st_ino, status.st_mtime_ns, status.st_size

    @contextmanager
    def locked(self, *, exclusive: bool) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock_path.open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def load_if_changed(self) -> Store | None:
        """The stored state if the file changed since last seen, else ``None``."""
        stamp = self._current()
        if stamp is None or stamp == self._stamp:
            return None
        store = load_store(self.path)
        self._stamp = stamp
        return store

    def save(self, store: Store) -> None:
        save_store(store, self.path)
        self._stamp = self._current()
