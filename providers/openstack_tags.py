"""How govcloud marks what it creates in OpenStack, and how it reads the marks back.

Owns the tag vocabulary on OpenStack resources (Nova server tags, Neutron tags,
Keystone project tags, Cinder metadata), the deterministic names and description
markers used to find a resource again after a crash, and the inverse mapping from a
resource's tags to ``(tenant, system, request)``.

A resource of system ``portal`` of tenant ``hrss`` carries the tags
``govcloud:tenant=hrss``, ``govcloud:system=portal``, ``govcloud:request=<id>``,
``govcloud:managed=true``, ``govcloud:name=<desired name>`` and
``govcloud:spec=<fingerprint>``. Neutron does not accept tags on create, so each
Neutron resource is also created with a description marker (written atomically with
the resource); a re-run adopts a marked but untagged resource instead of creating a
second one.

Must not import anything internal except ``providers.types`` and ``providers.errors``,
nor any cloud SDK.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from providers.types import (
    TAG_MANAGED,
    TAG_SYSTEM,
    TAG_TENANT,
    SystemRef,
    managed_identity,
)

__all__ = [
    "TAG_NAME",
    "TAG_SPEC",
    "cloud_name",
    "identity_of",
    "marker",
    "parse_marker",
    "parse_tags",
    "project_name",
    "project_tags",
    "resource_tags",
    "tag_filter",
]

TAG_NAME = "govcloud:name"
TAG_SPEC = "govcloud:spec"
_MARKER = re.compile(
    r"^govcloud (?P<tenant>[^/ ]+)/(?P<system>[^/ ]+) (?P<kind>\w+)/(?P<name>\S+)$"
)
# Nova: at most 60 characters, neither "/" nor ","; Neutron and Keystone are laxer.
_MAX_TAG = 60


def _tag(key: str, value: str) -> str:
    text = f"{key}={value}"
    if len(text) > _MAX_TAG or "/" in text or "," in text:
        raise ValueError(f"cannot encode {text!r} as an OpenStack tag (≤60 chars, no '/' or ',')")
    return text


def project_name(tenant: str) -> str:
    """The Keystone project of a department: one per tenant, shared by its systems."""
    return f"govcloud-{tenant}"


def project_tags(tenant: str) -> list[str]:
    return [_tag(TAG_TENANT, tenant), _tag(TAG_MANAGED, "true")]


def cloud_name(system: SystemRef, name: str) -> str:
    """The OpenStack name of desired resource ``name``: ``<system>-<name>``."""
    return f"{system.system}-{name}"


def resource_tags(system: SystemRef, name: str, fingerprint: str) -> list[str]:
    """Every tag a resource created for ``system`` as desired ``name`` carries."""
    marks = {**system.tags(), TAG_NAME: name, TAG_SPEC: fingerprint}
    return sorted(_tag(key, value) for key, value in marks.items())


def tag_filter(system: SystemRef) -> str:
    """The ``tags=`` list filter (all must match) that selects ``system``'s resources."""
    return ",".join([_tag(TAG_TENANT, system.tenant), _tag(TAG_SYSTEM, system.system)])


def parse_tags(tags: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``key=value`` tags (or Cinder-style metadata) as a dict; other tags are ignored."""
    if tags is None:
        return {}
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    found: dict[str, str] = {}
    for tag in tags:
        key, sep, value = str(tag).partition("=")
        if sep:
            found[key] = value
    return found


def identity_of(
    tags: Iterable[str] | Mapping[str, str] | None,
) -> tuple[str, str, str | None, str | None] | None:
    """``(tenant, system, request, desired name)`` of a govcloud resource, else ``None``."""
    parsed = parse_tags(tags)
    found = managed_identity(parsed)
    if found is None:
        return None
    tenant, system, request = found
    return tenant, system, request, parsed.get(TAG_NAME)


def marker(system: SystemRef, kind: str, name: str) -> str:
    """The description written atomically with a Neutron resource at creation."""
    return f"govcloud {system.tenant}/{system.system} {kind}/{name}"


def parse_marker(description: str | None) -> tuple[str, str, str, str] | None:
    """``(tenant, system, kind, name)`` from a description marker, else ``None``."""
    match = _MARKER.match(description or "")
    if match is None:
        return None
    return match["tenant"], match["system"], match["kind"], match["name"]
