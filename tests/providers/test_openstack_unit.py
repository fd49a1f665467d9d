"""OpenStack driver pieces that need no cloud: error mapping, tags, usage, inventory.

Cases:
- every SDK failure class maps to the right ``ProviderError`` with the SDK exception
  kept as ``__cause__``: connection refused → unavailable (temporary), 401 → auth,
  403 "Quota exceeded" (Nova) and 409 over-quota (Neutron) → quota exceeded, 403
  policy → auth, 404 → not found, 409 → conflict (temporary), 429 → unavailable with
  ``retry_after``, 5xx → unavailable, 400 → invalid request, clouds.yaml problems →
  auth, wait time-outs → unavailable;
- a bare ``SDKException`` wrapping a keystoneauth error (what ``authorize`` raises) is
  classified by that cause;
- ``translated`` re-raises SDK errors as provider errors and lets other errors through;
- tags round-trip to ``(tenant, system, request, name)``; untagged or half-tagged
  resources are unmanaged; over-long or "/"-containing tags are refused;
- description markers round-trip and foreign descriptions are not markers;
- usage: a server allocates its flavour from launch to termination, clipped to the
  window, memory in GiB as Decimal; never-launched servers allocate nothing; keys are
  stable across calls and differ per window;
- inventory mapping: a tagged server is managed with its flavour spec; an untagged
  one is ``managed=False`` with its project kept;
- volumes: an ``ssd-encrypted`` volume is observed as ``type: ssd, encrypted: true``
  with its server's govcloud name (its id when unknown, ``None`` when detached); it
  allocates ``storage.ssd`` GiB from creation (``hdd`` as ``storage.hdd``, any other
  type as SSD), a volume in ``error`` nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import requests
from keystoneauth1 import exceptions as ksa
from openstack import exceptions as sdk

from providers.errors import (
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderInvalidRequest,
    ProviderNotFound,
    ProviderQuotaExceeded,
    ProviderUnavailable,
)
from providers.openstack_errors import to_provider_error, translated
from providers.openstack_inventory import observe_server, observe_volume, volume_type_name
from providers.openstack_tags import (
    identity_of,
    marker,
    parse_marker,
    parse_tags,
    resource_tags,
)
from providers.openstack_usage import clip, parse_time, server_allocations, volume_allocation
from providers.types import SystemRef

SYSTEM = SystemRef("hrss", "portal", "req-42", 3)
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _http(status: int, message: str, headers: dict[str, str] | None = None) -> sdk.HttpException:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    response._content = b""
    return sdk.HttpException(message=message, response=response)


@pytest.mark.parametrize(
    ("exc", "expected", "temporary"),
    [
        (ksa.ConnectFailure("Connection refused"), ProviderUnavailable, True),
        (ksa.ConnectTimeout("timed out"), ProviderUnavailable, True),
        (
            ksa.http.Unauthorized("The request you have made requires authentication."),
            ProviderAuthError,
            False,
        ),
        (_http(401, "unauthorized"), ProviderAuthError, False),
        (
            _http(403, "Quota exceeded for cores: Requested 2, but already used 2 of 2 cores"),
            ProviderQuotaExceeded,
            False,
        ),
        (_http(409, "Quota exceeded for resources: ['floatingip']."), ProviderQuotaExceeded, False),
        (
            _http(403, "Policy doesn't allow os_compute_api:servers:create to be performed."),
            ProviderAuthError,
            False,
        ),
        (_http(404, "Network abc could not be found."), ProviderNotFound, False),
        (sdk.ResourceNotFound("No Flavor found for c99"), ProviderNotFound, False),
        (
            _http(409, "Cannot 'delete' instance while it is in task_state spawning"),
            ProviderConflict,
            True,
        ),
        (_http(400, "Invalid input for field/attribute cidr."), ProviderInvalidRequest, False),
        (_http(500, "Internal Server Error"), ProviderUnavailable, True),
        (_http(503, "Service Unavailable"), ProviderUnavailable, True),
        (sdk.ConfigException("Cloud nope was not found."), ProviderAuthError, False),
        (ksa.MissingRequiredOptions([]), ProviderAuthError, False),
        (
            sdk.ResourceTimeout("Timeout waiting for the server to come up."),
            ProviderUnavailable,
            True,
        ),
        (sdk.ResourceFailure("Error in creating the server."), ProviderConflict, True),
        (ksa.EndpointNotFound("no compute endpoint"), ProviderUnavailable, True),
        (sdk.SDKException("something odd"), ProviderError, False),
    ],
)
def test_error_mapping(exc: Exception, expected: type[ProviderError], temporary: bool) -> None:
    error = to_provider_error("prov-main", exc)
    assert type(error) is expected
    assert error.__cause__ is exc
    assert error.temporary is temporary
    assert error.provider == "prov-main"
    assert error.describe("zh").startswith("云平台 prov-main")


def test_bare_sdk_exception_is_classified_by_its_cause() -> None:
    inner = ksa.http.Unauthorized("requires authentication")
    try:
        try:
            raise inner
        except ksa.ClientException as exc:
            raise sdk.SDKException(str(exc)) from exc
    except sdk.SDKException as exc:
        outer = exc
    error = to_provider_error("prov-main", outer)
    assert isinstance(error, ProviderAuthError)
    assert error.__cause__ is outer
    assert outer.__cause__ is inner


def test_rate_limit_keeps_retry_after() -> None:
    exc = _http(429, "Too Many Requests", {"Retry-After": "7"})
    error = to_provider_error("prov-main", exc)
    assert isinstance(error, ProviderUnavailable)
    assert error.retry_after == 7.0


def test_translated_wraps_sdk_errors_only() -> None:
    cause = ksa.ConnectFailure("refused")
    with pytest.raises(ProviderUnavailable) as info, translated("city-a"):
        raise cause
    assert info.value.__cause__ is cause
    with pytest.raises(KeyError), translated("city-a"):
        raise KeyError("a programming error is not a provider error")


def test_tags_round_trip() -> None:
    tags = resource_tags(SYSTEM, "web-0", "0123456789abcdef")
    assert "govcloud:managed=true" in tags
    assert all(len(tag) <= 60 and "/" not in tag and "," not in tag for tag in tags)
    assert identity_of(tags) == ("hrss", "portal", "req-42", "web-0")
    assert parse_tags([*tags, "unrelated"])["govcloud:spec"] == "0123456789abcdef"


@pytest.mark.parametrize(
    "tags",
    [None, [], ["env=prod"], ["govcloud:tenant=hrss", "govcloud:system=portal"]],
)
def test_untagged_or_half_tagged_is_unmanaged(tags: list[str] | None) -> None:
    assert identity_of(tags) is None


def test_unencodable_tag_is_refused() -> None:
    with pytest.raises(ValueError, match="OpenStack tag"):
        resource_tags(SystemRef("hrss", "portal", "r/1", 3), "web", "f")
    with pytest.raises(ValueError, match="60"):
        resource_tags(SYSTEM, "x" * 60, "f")


def test_marker_round_trip() -> None:
    text = marker(SYSTEM, "security_rule", "https")
    assert parse_marker(text) == ("hrss", "portal", "security_rule", "https")
    assert parse_marker("created by hand") is None
    assert parse_marker(None) is None


def test_server_usage_is_clipped_and_stable() -> None:
    allocations = server_allocations(
        "srv-1",
        "hrss",
        "portal",
        vcpus=4,
        ram_mib=8192,
        launched_at=T0 + timedelta(minutes=30),
        created_at=T0,
        terminated_at=T0 + timedelta(hours=5),
        status="DELETED",
    )
    window = (T0 + timedelta(hours=1), T0 + timedelta(hours=3))
    first = list(clip("prov-main", allocations, *window))
    assert [(o.meter, o.quantity, o.start, o.end) for o in first] == [
        ("compute.vcpu", Decimal(4), *window),
        ("compute.memory", Decimal(8), *window),
    ]
    assert [o.source_key for o in clip("prov-main", allocations, *window)] == [
        o.source_key for o in first
    ]
    later = list(clip("prov-main", allocations, T0 + timedelta(hours=4), T0 + timedelta(hours=8)))
    assert {o.end for o in later} == {T0 + timedelta(hours=5)}
    assert {o.source_key for o in later}.isdisjoint(o.source_key for o in first)
    assert (
        list(clip("prov-main", allocations, T0 + timedelta(hours=6), T0 + timedelta(hours=7))) == []
    )


def test_never_launched_server_allocates_nothing() -> None:
    assert (
        server_allocations(
            "srv-2",
            None,
            None,
            vcpus=2,
            ram_mib=4096,
            launched_at=None,
            created_at=T0,
            terminated_at=None,
            status="ERROR",
        )
        == []
    )


def test_parse_time_forms() -> None:
    assert parse_time("2026-03-01T00:00:00Z") == T0
    assert parse_time("2026-03-01T00:00:00.000000") == T0
    assert parse_time(None) is None


def _server(tags: list[str]) -> SimpleNamespace:
    return SimpleNamespace(
        id="srv-9",
        name="portal-web-0",
        status="ACTIVE",
        tags=tags,
        project_id="proj-1",
        created_at="2026-03-01T00:00:00Z",
        flavor={"original_name": "c4m8", "vcpus": 4, "ram": 8192},
        image={"id": "img-1"},
    )


def test_inventory_maps_tagged_and_untagged_servers() -> None:
    managed = observe_server(
        "prov-main", _server(resource_tags(SYSTEM, "web-0", "f")), {"img-1": "kylin-v10-sp3"}
    )
    assert (managed.tenant, managed.system, managed.request_id, managed.name) == (
        "hrss",
        "portal",
        "req-42",
        "web-0",
    )
    assert managed.managed
    assert managed.spec["flavor"] == "c4m8"
    assert managed.spec["image"] == "kylin-v10-sp3"
    assert managed.created_at == T0
    stray = observe_server("prov-main", _server(["owner=someone"]), {})
    assert not stray.managed
    assert stray.tenant is None
    assert stray.name == "portal-web-0"
    assert stray.spec["project_id"] == "proj-1"


def _volume(volume_type: str, encrypted: bool, attached: list[str]) -> SimpleNamespace:
    return SimpleNamespace(
        id="vol-1",
        name="portal-db-1-vol1",
        status="in-use" if attached else "available",
        size=100,
        volume_type=volume_type,
        is_encrypted=encrypted,
        attachments=[{"server_id": s} for s in attached],
        metadata=dict(t.partition("=")[::2] for t in resource_tags(SYSTEM, "db-1-vol1", "f")),
        project_id="proj-1",
        created_at="2026-03-01T00:00:00.000000",
    )


def test_volume_type_names() -> None:
    assert volume_type_name("ssd", True) == "ssd-encrypted"
    assert volume_type_name("hdd", False) == "hdd"


def test_inventory_maps_volumes_in_declared_terms() -> None:
    observed = observe_volume(
        "prov-main", _volume("ssd-encrypted", True, ["srv-9"]), {}, {"srv-9": "db-1"}
    )
    assert (observed.name, observed.system, observed.managed) == ("db-1-vol1", "portal", True)
    assert {k: observed.spec[k] for k in ("size_gib", "type", "encrypted", "server")} == {
        "size_gib": 100,
        "type": "ssd",
        "encrypted": True,
        "server": "db-1",
    }
    assert observed.spec["attached_to"] == ["srv-9"]
    foreign = observe_volume("prov-main", _volume("ssd", False, ["srv-x"]), {}, {})
    assert (foreign.spec["type"], foreign.spec["encrypted"], foreign.spec["server"]) == (
        "ssd",
        False,
        "srv-x",
    )
    # an unencrypted type that merely ends in the suffix keeps its name
    odd = observe_volume("prov-main", _volume("hdd-encrypted", False, []), {}, {})
    assert (odd.spec["type"], odd.spec["server"]) == ("hdd-encrypted", None)


def test_volume_allocates_its_size_from_creation() -> None:
    ident = identity_of(resource_tags(SYSTEM, "db-1-vol1", "f"))
    created = T0 + timedelta(minutes=10)
    ssd = volume_allocation(
        "vol-1", ident, size_gib=100, volume_type="ssd-encrypted", created_at=created,
        status="in-use",
    )  # fmt: skip
    assert ssd is not None
    window = (T0, T0 + timedelta(hours=2))
    (observed,) = clip("prov-main", [ssd], *window)
    assert (observed.meter, observed.quantity, observed.start, observed.end) == (
        "storage.ssd", Decimal(100), created, window[1],
    )  # fmt: skip
    assert (observed.tenant, observed.system) == ("hrss", "portal")
    hdd = volume_allocation(
        "vol-2", None, size_gib=5, volume_type="hdd", created_at=T0, status="available"
    )
    assert hdd is not None and hdd.meter == "storage.hdd" and hdd.tenant is None
    other = volume_allocation(
        "vol-3", None, size_gib=5, volume_type="__DEFAULT__", created_at=T0, status="available"
    )
    assert other is not None and other.meter == "storage.ssd"
    assert (
        volume_allocation(
            "vol-4", None, size_gib=5, volume_type="ssd", created_at=T0, status="error"
        )
        is None
    )
