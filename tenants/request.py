"""The department-facing ``SystemRequest`` (one 信息系统, the unit of 等保 grading).

These pydantic models are the YAML contract of DESIGN.md: camelCase in YAML, snake_case in
Python, unknown fields refused at every level, numbers and booleans strict. Every rule
that involves more than one field raises :func:`tenants.validation.schema_error` pointing
at the exact offending field, so a manifest's errors read ``file:line:col: path: message``.

Defaults where DESIGN.md is silent are chosen to be safe and are stated on each model.
Rules that need the estate (does the tenant exist, is the flavour in the catalogue, may
the pinned provider host this system) are not here: the control plane checks them and
locates its findings with the request's :class:`tenants.located.LocatedDocument`.

:meth:`SystemRequest.spec_hash` identifies a validated spec independently of YAML layout,
key order, comments and equivalent spellings (``"16"`` / ``16`` / ``16000m``), so
re-applying an unchanged manifest is recognisably a no-op. Imports no other govcloud
package.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any, Literal

from pydantic import Field, PlainSerializer, PlainValidator, Strict, model_validator

from tenants import bounds
from tenants.fields import CatalogName, Days, DnsLabel, PositiveInt, StrictBool
from tenants.quantity import ByteQuantity, CountQuantity, CpuQuantity, format_quantity
from tenants.records import SystemRecords
from tenants.validation import StrictModel, ValueModel, schema_error

__all__ = [
    "API_VERSION",
    "KIND",
    "BackupSpec",
    "ComputeSpec",
    "DataClassification",
    "EncryptionSpec",
    "IngressRule",
    "IngressSource",
    "KubernetesQuota",
    "KubernetesSpec",
    "LimitRange",
    "LoggingSpec",
    "NetworkSpec",
    "Placement",
    "PortRange",
    "RequestMetadata",
    "ResourceList",
    "SystemRequest",
    "SystemRequestSpec",
    "Tier",
    "Volume",
    "source_text",
]

API_VERSION = "govcloud.io/v1"
KIND = "SystemRequest"

Tier = Literal["provincial", "municipal", "sector"]
DataClassification = Literal["general", "important", "core"]


# --- ports and sources -------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class PortRange:
    """An inclusive range of TCP/UDP ports; a single port has ``first == last``."""

    first: int
    last: int

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.first <= port <= self.last


_PORT_EXPECTED = 'a port 1..65535 or a range such as "8000-8080"'
_PORT_TEXT = re.compile(r"([0-9]{1,6})(?:-([0-9]{1,6}))?")


def _port(value: Any) -> PortRange:
    if isinstance(value, PortRange):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        first = last = value
    elif isinstance(value, str) and (match := _PORT_TEXT.fullmatch(value)):
        first = int(match[1])
        last = int(match[2]) if match[2] is not None else first
    else:
        raise schema_error("not a port", expected=_PORT_EXPECTED, found=repr(value))
    for port in (first, last):
        if not 1 <= port <= 65535:
            raise schema_error(
                f"port {port} is out of range", expected=_PORT_EXPECTED, found=repr(value)
            )
    if first > last:
        raise schema_error(
            "port range runs backwards", expected="first port <= last port", found=repr(value)
        )
    return PortRange(first, last)


def _port_out(ports: PortRange) -> int | str:
    return ports.first if ports.first == ports.last else str(ports)


Ports = Annotated[PortRange, PlainValidator(_port), PlainSerializer(_port_out, when_used="json")]

IngressSource = Literal["internet"] | IPv4Network | IPv6Network
_SOURCE_EXPECTED = '"internet" or a network in CIDR notation, e.g. 10.20.0.0/16 or 2001:db8::/32'


@functools.lru_cache(maxsize=4096)
def _network(text: str) -> IPv4Network | IPv6Network:
    """``ip_network(text)``, once per distinct text: a province's requests name the same
    few management and office ranges thousands of times (networks are immutable)."""
    return ip_network(text, strict=True)


def _source(value: Any) -> IngressSource:
    if isinstance(value, IPv4Network | IPv6Network):
        return value
    if value == "internet":
        return "internet"
    if not isinstance(value, str):
        raise schema_error("not a traffic source", expected=_SOURCE_EXPECTED, found=repr(value))
    try:
        return _network(value)
    except ValueError as exc:
        try:
            loose = ip_network(value, strict=False)
        except ValueError:
            raise schema_error(
                "not a CIDR network", expected=_SOURCE_EXPECTED, found=repr(value)
            ) from exc
        raise schema_error(
            "the address has host bits set",
            expected=f"the network address, i.e. {loose}",
            found=repr(value),
        ) from exc


@functools.lru_cache(maxsize=4096)
def source_text(source: IngressSource) -> str:
    """``str(source)``, once per distinct source: :mod:`ipaddress` formats a network anew
    each time it is shown, and the spec hash, the plan's resources and its policy view
    each show every rule's source."""
    return str(source)


Source = Annotated[
    IngressSource, PlainValidator(_source), PlainSerializer(source_text, when_used="json")
]


# --- the spec's parts --------------------------------------------------------------------


_META_KEY = re.compile(
    r"(?:[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
)
_LABEL_VALUE = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")
_META_KEY_EXPECTED = (
    "a key like Kubernetes': an optional DNS-subdomain prefix and '/', then up to 63 "
    "letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
)


def _meta_key(value: str) -> str:
    if _META_KEY.fullmatch(value):
        return value
    raise schema_error("not a metadata key", expected=_META_KEY_EXPECTED, found=repr(value))


def _label_value(value: str) -> str:
    if _LABEL_VALUE.fullmatch(value):
        return value
    raise schema_error(
        "not a label value",
        expected="at most 63 letters, digits, '-', '_' or '.', starting and ending with "
        "a letter or digit",
        found=repr(value[:60]),
    )


MetaKey = Annotated[str, Strict(), PlainValidator(lambda v: _meta_key(_text(v)))]
LabelValue = Annotated[str, Strict(), PlainValidator(lambda v: _label_value(_text(v)))]
AnnotationValue = Annotated[str, Strict(), Field(max_length=4096)]


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    raise schema_error("must be text", expected="a string", found=repr(value))


class RequestMetadata(StrictModel):
    """Which system this is (``name``), which department asks (``tenant``, its code), and
    free-form ``labels`` / ``annotations`` as Kubernetes spells them. Level-3+ updates
    carry their change ticket as ``annotations.changeTicket`` (MLPS-L3-CHG-01). Neither
    is part of the spec: a new ticket alone changes nothing."""

    name: DnsLabel
    tenant: DnsLabel
    labels: dict[MetaKey, LabelValue] = Field(default_factory=dict)
    annotations: dict[MetaKey, AnnotationValue] = Field(default_factory=dict)


class Placement(ValueModel):
    """Optional pins; when both are absent the scheduler chooses the provider."""

    tier: Tier | None = None
    provider: DnsLabel | None = None


class Volume(ValueModel):
    """A data volume attached to every instance of its compute group.

    Defaults: ``type: ssd`` (the priced storage class), ``encrypted: true`` — volumes are
    encrypted unless the department opts out explicitly; the algorithm is
    ``spec.encryption.atRest`` (the provider's default when that is ``none``).
    """

    size_gib: Annotated[int, Strict(), Field(ge=1, le=65536, alias="sizeGiB")]
    type: Literal["ssd", "hdd"] = "ssd"
    encrypted: StrictBool = True


class ComputeSpec(ValueModel):
    """A group of identical virtual machines. ``count`` defaults to 1.

    ``flavor`` and ``image`` are names from the estate's catalogue; whether they exist is
    checked against the estate, not here.
    """

    name: DnsLabel
    flavor: CatalogName
    count: Annotated[PositiveInt, Field(le=bounds.MAX_INSTANCES_PER_GROUP)] = 1
    image: CatalogName
    volumes: Annotated[
        list[Volume], bounds.at_most_items(bounds.MAX_VOLUMES_PER_INSTANCE, "volumes")
    ] = Field(default_factory=list)


class ResourceList(ValueModel):
    """CPU (cores, e.g. ``500m``) and memory (bytes, e.g. ``512Mi``); either may be left out."""

    cpu: Annotated[CpuQuantity, Field(le=bounds.MAX_NAMESPACE_CPU)] | None = None
    memory: Annotated[ByteQuantity, Field(le=bounds.MAX_NAMESPACE_MEMORY)] | None = None


_RESOURCE_NAMES = ("cpu", "memory")


def _not_above(
    lower: ResourceList | None,
    upper: ResourceList | None,
    lower_at: tuple[str, ...],
    upper_name: str,
) -> None:
    """Raise, at the offending field of ``lower``, when it exceeds ``upper``."""
    if lower is None or upper is None:
        return
    for resource in _RESOURCE_NAMES:
        low, high = getattr(lower, resource), getattr(upper, resource)
        if low is not None and high is not None and low > high:
            binary = resource == "memory"
            raise schema_error(
                f"{resource} is above {upper_name}",
                expected=f"at most {format_quantity(high, binary=binary)}",
                found=format_quantity(low, binary=binary),
                at=(*lower_at, resource),
            )


class LimitRange(ValueModel):
    """Per-container defaults and ceiling in the namespace (a Kubernetes LimitRange).

    ``defaultRequest`` <= ``default`` <= ``max`` for each resource present.
    """

    default: ResourceList | None = None
    default_request: ResourceList | None = None
    max: ResourceList | None = None

    @model_validator(mode="after")
    def _ordered(self) -> LimitRange:
        _not_above(self.default_request, self.default, ("defaultRequest",), "default")
        _not_above(self.default_request, self.max, ("defaultRequest",), "max")
        _not_above(self.default, self.max, ("default",), "max")
        return self


class KubernetesQuota(ValueModel):
    """The namespace's ResourceQuota: total cpu (cores), memory (bytes) and pods."""

    cpu: Annotated[CpuQuantity, Field(gt=0, le=bounds.MAX_NAMESPACE_CPU)]
    memory: Annotated[ByteQuantity, Field(gt=0, le=bounds.MAX_NAMESPACE_MEMORY)]
    pods: Annotated[CountQuantity, Field(gt=0, le=bounds.MAX_NAMESPACE_PODS)]


class KubernetesSpec(ValueModel):
    """A namespace for the system; a container's ``limitRange.max`` cannot exceed the quota."""

    quota: KubernetesQuota
    limit_range: LimitRange | None = None

    @model_validator(mode="after")
    def _limits_within_quota(self) -> KubernetesSpec:
        if self.limit_range is not None:
            ceiling = ResourceList(cpu=self.quota.cpu, memory=self.quota.memory)
            for part in ("max", "default", "default_request"):
                alias = "defaultRequest" if part == "default_request" else part
                _not_above(getattr(self.limit_range, part), ceiling, ("limitRange", alias), "quota")
        return self


class IngressRule(ValueModel):
    """Traffic allowed in: ``port`` (one or a range), ``protocol``, ``from``.

    ``protocol`` defaults to ``tcp``. ``from`` is required — exposure to the internet is
    never a default. tcp and udp rules need a port; icmp rules must not have one.
    """

    port: Ports | None = None
    protocol: Literal["tcp", "udp", "icmp"] = "tcp"
    source: Source = Field(alias="from")

    @model_validator(mode="after")
    def _port_fits_protocol(self) -> IngressRule:
        if self.protocol == "icmp" and self.port is not None:
            raise schema_error(
                "icmp has no ports",
                expected="no port for protocol icmp",
                found=str(self.port),
                at=("port",),
            )
        if self.protocol != "icmp" and self.port is None:
            raise schema_error(
                f"a {self.protocol} rule needs a port",
                expected=_PORT_EXPECTED,
                at=("protocol",),
            )
        return self


class NetworkSpec(ValueModel):
    """Inbound rules; nothing is reachable unless a rule allows it (default: no rules).

    ``subnetPrefix`` asks for the size of the system's own subnet (``/26`` = 64
    addresses), allocated from its cloud's address pool; absent: a ``/24``.
    """

    ingress: Annotated[
        list[IngressRule], bounds.at_most_items(bounds.MAX_INGRESS_RULES, "ingress rules")
    ] = Field(default_factory=list)
    subnet_prefix: int | None = Field(default=None, ge=16, le=28)


class BackupSpec(ValueModel):
    """Backups. Defaults: disabled (policy packs require it from 等保 level 3), no offsite
    copy, 30 days' retention when enabled. An offsite copy needs backups enabled."""

    enabled: StrictBool = False
    offsite: StrictBool = False
    retention_days: Days = 30

    @model_validator(mode="after")
    def _offsite_needs_backup(self) -> BackupSpec:
        if self.offsite and not self.enabled:
            raise schema_error(
                "an offsite copy needs backups enabled",
                expected="enabled: true, or offsite: false",
                found="offsite: true with enabled: false",
                at=("offsite",),
            )
        return self


class LoggingSpec(ValueModel):
    """Log retention; defaults to 180 days, the six months required by 网络安全法 art. 21."""

    retention_days: Days = 180


class EncryptionSpec(ValueModel):
    """Cryptography. Defaults: ``atRest: sm4`` (商用密码, as 密评 expects), ``inTransit: tls``."""

    at_rest: Literal["sm4", "aes256", "none"] = "sm4"
    in_transit: Literal["tls", "tlcp", "none"] = "tls"
    # keys held in the department's own KMS project (等保 8.2.4.5 e); unsaid is unknown
    customer_managed_key: StrictBool | None = None


class SystemRequestSpec(StrictModel):
    """What the system needs. ``classifiedProtection`` and ``dataClassification`` are
    required (they drive policy and placement); ``xinchuang`` defaults to false; every
    block after them is optional with the defaults of its model. A request asks for at
    least one compute group or a Kubernetes namespace; compute group names are unique."""

    classified_protection: Annotated[int, Strict(), Field(ge=1, le=4)]
    data_classification: DataClassification
    xinchuang: StrictBool = False
    placement: Placement = Field(default_factory=Placement.at_defaults)
    compute: Annotated[
        list[ComputeSpec], bounds.at_most_items(bounds.MAX_COMPUTE_GROUPS, "compute groups")
    ] = Field(default_factory=list)
    kubernetes: KubernetesSpec | None = None
    network: NetworkSpec = Field(default_factory=NetworkSpec.at_defaults)
    backup: BackupSpec = Field(default_factory=BackupSpec.at_defaults)
    logging: LoggingSpec = Field(default_factory=LoggingSpec.at_defaults)
    encryption: EncryptionSpec = Field(default_factory=EncryptionSpec.at_defaults)
    records: SystemRecords = Field(default_factory=SystemRecords.at_defaults)  # 等保 paperwork

    @model_validator(mode="after")
    def _asks_for_something(self) -> SystemRequestSpec:
        if not self.compute and self.kubernetes is None:
            raise schema_error(
                "a system needs at least one compute group or a kubernetes namespace",
                expected="a non-empty compute list or a kubernetes block",
                at=("compute",),
                key=True,
            )
        first_at: dict[str, int] = {}
        for index, group in enumerate(self.compute):
            if group.name in first_at:
                raise schema_error(
                    f"duplicate compute name {group.name!r}",
                    expected=f"a name not already used by compute[{first_at[group.name]}]",
                    found=repr(group.name),
                    at=("compute", index, "name"),
                )
            first_at[group.name] = index
        return self

    def canonical(self) -> dict[str, Any]:
        """The spec as plain JSON data in one canonical spelling.

        Quantities, ports and networks are written canonically; compute groups are ordered
        by name and ingress rules as a set, since neither order means anything.
        """
        # the serializer itself: what ``model_dump(mode="json", by_alias=True)`` calls
        data: dict[str, Any] = self.__pydantic_serializer__.to_python(
            self, mode="json", by_alias=True
        )
        data["compute"] = sorted(data["compute"], key=lambda group: group["name"])
        ingress = data["network"]["ingress"]
        if len(ingress) > 1:
            data["network"]["ingress"] = sorted(ingress, key=_rule_json)
        if data["network"].get("subnetPrefix") is None:
            # not asked for: the same spelling (and hash) as before the field existed
            data["network"].pop("subnetPrefix", None)
        # facts added later count only when written, so older specs hash as before
        # (the records as stored: :meth:`SystemRecords.stored` of the dump above)
        data["records"] = _without_none(data["records"])
        if not data["records"]:
            del data["records"]
        if data["encryption"]["customerManagedKey"] is None:
            del data["encryption"]["customerManagedKey"]
        return data


# ``json.dumps`` with these options, its encoder made once (dumps makes one per call);
# without the check for circular references, which only ever raises: a canonical spec
# is a fresh dump, a tree of plain JSON values (the text is the same either way)
_canonical_json = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
).encode


_RULE_KEYS = ("from", "port", "protocol")  # an ingress rule's dump, in sorted order
_json_text = json.JSONEncoder(ensure_ascii=False).encode  # one string: C's encode_basestring


def _rule_json(rule: dict[str, Any]) -> str:
    """``_canonical_json(rule)`` of one dumped ingress rule (its sort key), written out
    directly: a plan's rules are sorted by it, and ``json.dumps`` costs more than the
    text it makes."""
    if tuple(sorted(rule)) != _RULE_KEYS:
        return _canonical_json(rule)
    port = rule["port"]
    if type(port) is int:
        port_text = str(port)
    elif isinstance(port, str):
        port_text = _json_text(port)
    elif port is None:
        port_text = "null"
    else:
        return _canonical_json(rule)
    return (
        f'{{"from":{_json_text(rule["from"])},"port":{port_text},'
        f'"protocol":{_json_text(rule["protocol"])}}}'
    )


def _without_none(data: Any) -> Any:
    """``data`` (dumped JSON) without the ``None`` fields at any depth, as ``exclude_none``
    dumps it."""
    if isinstance(data, dict):
        return {k: _without_none(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_without_none(v) for v in data]
    return data


class SystemRequest(StrictModel):
    """One ``SystemRequest`` document: ``apiVersion: govcloud.io/v1``."""

    api_version: Literal["govcloud.io/v1"]
    kind: Literal["SystemRequest"]
    metadata: RequestMetadata
    spec: SystemRequestSpec

    def spec_hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON of the validated spec.

        Equal for manifests that differ only in layout, comments, key order, order of
        compute groups or ingress rules, spelled-out defaults, or equivalent quantities.
        """
        return hashlib.sha256(_canonical_json(self.spec.canonical()).encode()).hexdigest()
