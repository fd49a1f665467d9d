"""Pure comparisons for inventory sync: stored values of an observation, spec drift.

No I/O and no database: plain data in, plain data out. Must not import ``sqlmodel``,
any SDK or the drivers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from providers.types import ObservedResource, canonical_spec

__all__ = [
    "DRIFTED_STATUS",
    "QUOTA_KIND",
    "TAGS_KEY",
    "Fingerprint",
    "declared_quota",
    "differs",
    "fingerprint",
    "fingerprints_differ",
    "plain_spec",
    "resource_values",
    "spec_changes",
    "spec_text",
]

#: The status a driver reports for an object whose live state left the applied one
#: (the Kubernetes driver compares its applied-state annotation).
DRIFTED_STATUS = "Drifted"
#: The kind drivers report a department's quota on a provider as; its desired side is
#: the estate's quota, not an applied row.
QUOTA_KIND = "project_quota"
#: The drift key naming govcloud's ownership marks (tags, labels) on a resource.
TAGS_KEY = "govcloud_tags"
_QUOTA_FIELDS = ("vcpu", "memory_gib", "storage_gib", "public_ips")


_PLAIN_SCALARS = (str, int, bool, type(None))


class _Limits(Protocol):
    vcpu: int | None
    memory_gib: int | None
    storage_gib: int | None
    public_ips: int | None


def declared_quota(quota: _Limits | None) -> dict[str, Any]:
    """The limits a department's project should hold (``None``: unlimited, or no quota)."""
    return {key: getattr(quota, key) if quota is not None else None for key in _QUOTA_FIELDS}


def _default(value: object) -> object:
    if isinstance(value, Decimal | datetime):
        return str(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"spec value of type {type(value).__name__} is not plain data")


def plain_spec(spec: Mapping[str, object]) -> dict[str, Any]:
    """A JSON-safe copy of ``spec`` (Decimal and times as text, tuples as lists)."""
    result: dict[str, Any] = json.loads(spec_text(spec))
    return result


#: ``json.dumps(..., default=_default)``'s encoder, built once (a sync encodes every spec).
_ENCODER = json.JSONEncoder(default=_default)


def spec_text(spec: Mapping[str, object]) -> str:
    """The JSON text a ``resource.spec`` column holds for ``spec`` (the text the ORM
    writes for ``plain_spec(spec)``: the same serializer, the same key order)."""
    return _ENCODER.encode(spec if type(spec) is dict else dict(spec))


def _scalar_text(value: object) -> object:
    # Drivers echo numbers as text or ints depending on the wire ("5" vs 5): equal here.
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal | str):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _scalar_text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scalar_text(v) for v in value]
    return value


def spec_changes(
    desired: Mapping[str, object], observed: Mapping[str, object]
) -> dict[str, dict[str, Any]]:
    """Keys of ``desired`` whose observed value differs: ``{key: {desired, observed}}``.

    Only keys present in the desired spec count: clouds add fields of their own (status,
    defaults) that govcloud never asked for and must not call drift. A desired key the
    driver does not observe at all (OpenStack reports a server's flavour, not the network
    it was booted on) cannot be judged and is skipped; drivers that can tell a removed
    setting from an unobservable one say so through their status (``Drifted``).
    """
    changes: dict[str, dict[str, Any]] = {}
    for key, wanted in desired.items():
        if key not in observed:
            continue
        seen = observed[key]
        if type(seen) is type(wanted) and type(wanted) in _PLAIN_SCALARS and seen == wanted:
            continue  # the common case, without serializing: same type, same value
        if canonical_spec({"v": _scalar_text(wanted)}) != canonical_spec({"v": _scalar_text(seen)}):
            changes[key] = plain_spec({"desired": wanted, "observed": seen})
    return changes


def resource_values(
    observed: ObservedResource,
    *,
    provider_id: int,
    tenant_id: int | None,
    system_id: int | None,
    names: tuple[str, str | None, str | None],
    stamp: datetime,
    spec: str | None = None,
) -> dict[str, Any]:
    """The ``resource`` row columns an observation stands for (``observed_at = stamp``);
    ``names`` are the provider's, the tenant's code and the system's (``None``: no owner),
    stored beside the ids as the list's order; the spec as plain data, or as the given
    ``spec_text`` of it."""
    provider, tenant, system = names
    return {
        "provider_id": provider_id,
        "tenant_id": tenant_id,
        "system_id": system_id,
        "provider_name": provider,
        "tenant_code": tenant or "",
        "system_name": system or "",
        "kind": observed.kind,
        "resource_id": observed.resource_id,
        "name": observed.name[:255],
        "status": observed.status[:32],
        "managed": observed.managed,
        "spec": plain_spec(observed.spec) if spec is None else spec,
        "created_at": observed.created_at,
        "observed_at": stamp,
        "deleted_at": None,
    }


#: Columns whose change makes a stored resource "updated" (``observed_at`` does not).
_COMPARED = ("tenant_id", "system_id", "name", "status", "managed", "deleted_at")


def differs(stored: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    """Whether a stored row differs from fresh ``resource_values`` beyond the stamp."""
    if any(stored[key] != values[key] for key in _COMPARED):
        return True
    return canonical_spec(stored["spec"]) != canonical_spec(values["spec"])


#: What decides whether a stored ``resource`` row must be rewritten, in one comparable
#: value: ``(tenant_id, system_id, name, status, managed, deleted, spec_text)``.
Fingerprint = tuple[int | None, int | None, str, str, bool, bool, str]


def fingerprint(
    observed: ObservedResource, tenant_id: int | None, system_id: int | None, text: str
) -> Fingerprint:
    """The fingerprint of the row ``resource_values`` writes for ``observed`` (live, its
    spec the ``spec_text`` ``text``); a stored row's is read back by the same columns."""
    return (
        tenant_id, system_id, observed.name[:255], observed.status[:32], observed.managed,
        False, text,
    )  # fmt: skip


def fingerprints_differ(stored: tuple[Any, ...], fresh: Fingerprint) -> bool:
    """``differs`` on fingerprints: equal ones are equal rows; otherwise the columns
    decide, and only where they agree are the two spec texts decoded (a key order, a
    changed value)."""
    if stored == fresh:
        return False
    if stored[:6] != fresh[:6]:
        return True
    return canonical_spec(json.loads(stored[6])) != canonical_spec(json.loads(fresh[6]))
