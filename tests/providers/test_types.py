"""Provider-neutral value types.

Cases: SystemRef tags and Kubernetes labels, level and name validation, ownership
ignores the request id; managed_identity reads tags and labels and rejects partial
or unmanaged marks; canonical_spec is neutral to key order, tuple/list and Decimal
text and rejects non-plain data; outcomes carry an error exactly when failed;
usage observations refuse naive times, empty intervals, floats and negatives;
quota sets refuse negatives; value objects are frozen.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from providers.errors import ProviderConflict
from providers.types import (
    ApplyOutcome,
    DesiredResource,
    HealthReport,
    QuotaSet,
    SystemRef,
    UsageObservation,
    canonical_spec,
    managed_identity,
    spec_fingerprint,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_system_tags_and_labels() -> None:
    ref = SystemRef("hrss", "portal", "req-1", 3)
    assert ref.tags() == {
        "govcloud:tenant": "hrss",
        "govcloud:system": "portal",
        "govcloud:request": "req-1",
        "govcloud:managed": "true",
    }
    assert ref.labels()["govcloud.io/system"] == "portal"
    assert managed_identity(ref.tags()) == ("hrss", "portal", "req-1")
    assert managed_identity(ref.labels()) == ("hrss", "portal", "req-1")


@pytest.mark.parametrize(
    "tags",
    [
        {},
        {"govcloud:tenant": "hrss", "govcloud:system": "portal"},
        {"govcloud:managed": "true", "govcloud:tenant": "hrss"},
        {"govcloud:managed": "false", "govcloud:tenant": "a", "govcloud:system": "b"},
    ],
)
def test_managed_identity_rejects_partial_marks(tags: dict[str, str]) -> None:
    assert managed_identity(tags) is None


@pytest.mark.parametrize(("tenant", "system", "level"), [("", "s", 2), ("t", "", 2), ("t", "s", 5)])
def test_system_ref_validation(tenant: str, system: str, level: int) -> None:
    with pytest.raises(ValueError, match=r"."):
        SystemRef(tenant, system, "r", level)


def test_owns_ignores_request() -> None:
    ref = SystemRef("hrss", "portal", "req-2", 3)
    assert ref.owns("hrss", "portal")
    assert not ref.owns("hrss", "other")
    assert not ref.owns(None, None)


def test_canonical_spec_is_neutral() -> None:
    a = {"b": [1, 2], "a": Decimal("1.50")}
    b = {"a": Decimal("1.50"), "b": (1, 2)}
    assert canonical_spec(a) == canonical_spec(b)
    assert spec_fingerprint(a) == spec_fingerprint(b)
    assert spec_fingerprint(a) != spec_fingerprint({"a": Decimal("1.5"), "b": [1, 2]})
    with pytest.raises(TypeError):
        canonical_spec({"x": object()})


def test_outcome_error_invariant() -> None:
    error = ProviderConflict("p", "x")
    assert not ApplyOutcome("server", "a", "failed", None, error).ok
    assert ApplyOutcome("server", "a", "created", "id").ok
    with pytest.raises(ValueError, match="error"):
        ApplyOutcome("server", "a", "failed", None)
    with pytest.raises(ValueError, match="error"):
        ApplyOutcome("server", "a", "created", "id", error)


def _usage(**overrides: object) -> UsageObservation:
    values: dict[str, object] = {
        "provider": "p",
        "resource_id": "r",
        "tenant": "t",
        "system": "s",
        "meter": "compute.vcpu",
        "quantity": Decimal(4),
        "start": T0,
        "end": T0 + timedelta(hours=1),
        "source_key": "k",
    }
    values.update(overrides)
    return UsageObservation(**values)  # type: ignore[arg-type]


def test_usage_observation_validation() -> None:
    assert _usage().quantity == 4
    with pytest.raises(ValueError, match="timezone"):
        _usage(start=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="non-empty"):
        _usage(end=T0)
    with pytest.raises(TypeError):
        _usage(quantity=4.0)
    with pytest.raises(ValueError, match="negative"):
        _usage(quantity=Decimal(-1))


def test_health_and_quota_validation() -> None:
    report = HealthReport("p", True, False, 3.0, T0, "x")
    assert not report.healthy
    with pytest.raises(ValueError, match="timezone"):
        HealthReport("p", True, True, 3.0, datetime(2026, 1, 1), "x")
    with pytest.raises(ValueError, match="negative"):
        QuotaSet(vcpu=-1)
    assert QuotaSet().vcpu is None


def test_values_are_frozen() -> None:
    item = DesiredResource("server", "web", {"vcpu": 2})
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.name = "other"  # type: ignore[misc]
    assert item.key == "server/web"
    with pytest.raises(ValueError, match="kind and a name"):
        DesiredResource("", "web", {})
