"""Pure pieces of inventory sync and its views (no database, no cloud).

Cases: spec drift compares only desired keys (skipping keys the driver does not
observe), treats "5" and 5 alike but not 2 and 8,
and reports nested differences; ``differs`` ignores the observation stamp but not a
status or spec change; ``plain_spec`` keeps Decimal exact as text; kubectl-style ages;
the package's ``__all__`` names exactly what it exports.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import controlplane.inventory as inventory
from controlplane.cli.get_cmd import age
from controlplane.inventory.compare import differs, plain_spec, resource_values, spec_changes
from providers import ObservedResource

NOW = datetime(2026, 3, 1, 8, tzinfo=UTC)


def test_spec_changes_compare_only_desired_keys() -> None:
    desired = {"vcpu": 2, "pods": "5", "rules": [{"port": 443}]}
    observed = {"vcpu": 8, "pods": 5, "rules": [{"port": 443}], "added_by_cloud": True}
    assert spec_changes(desired, observed) == {"vcpu": {"desired": 2, "observed": 8}}
    assert spec_changes(desired, {**observed, "vcpu": 2}) == {}
    assert spec_changes({"rules": [{"port": 443}]}, {"rules": [{"port": 22}]}) == {
        "rules": {"desired": [{"port": 443}], "observed": [{"port": 22}]}
    }
    assert spec_changes({"size": 10}, {"size": None}) == {"size": {"desired": 10, "observed": None}}
    assert spec_changes({"network": "net"}, {"flavor": "c2m4"}) == {}  # not observable


def _observed(**changes: object) -> ObservedResource:
    fields: dict[str, object] = {
        "provider": "p", "kind": "server", "resource_id": "r1", "name": "web",
        "tenant": "hrss", "system": "portal", "request_id": None, "status": "ACTIVE",
        "spec": {"vcpu": 2}, "created_at": NOW, "managed": True,
    }  # fmt: skip
    fields.update(changes)
    return ObservedResource(**fields)  # type: ignore[arg-type]


def test_differs_ignores_the_stamp_only() -> None:
    def values(observed: ObservedResource, stamp: datetime) -> dict[str, object]:
        return resource_values(
            observed, provider_id=1, tenant_id=2, system_id=3, names=("p", "t", "s"), stamp=stamp
        )

    stored = values(_observed(), NOW)
    assert not differs(stored, values(_observed(), NOW + timedelta(hours=1)))
    assert differs(stored, values(_observed(status="SHUTOFF"), NOW))
    assert differs(stored, values(_observed(spec={"vcpu": 4}), NOW))
    assert differs({**stored, "deleted_at": NOW}, values(_observed(), NOW))


def test_plain_spec_keeps_decimals_exact() -> None:
    assert plain_spec({"price": Decimal("0.10"), "tags": ("a", "b")}) == {
        "price": "0.10",
        "tags": ["a", "b"],
    }


def test_kubectl_style_age() -> None:
    assert [age(NOW - delta, NOW) for delta in (
        timedelta(seconds=5), timedelta(minutes=3), timedelta(hours=5),
        timedelta(days=3), timedelta(days=800), timedelta(seconds=-5),
    )] == ["5s", "3m", "5h", "3d", "2y", "0s"]  # fmt: skip


def test_public_api_is_explicit() -> None:
    # the names load on first use (controlplane.lazy), so what ``dir`` shows depends on
    # what ran before: resolve every exported name first, then nothing else is public
    for name in inventory.__all__:
        getattr(inventory, name)  # AttributeError if it names nothing
    exported = {name for name in dir(inventory) if not name.startswith("_")}
    modules = {
        "addresses", "applied", "compare", "drift", "health", "keys", "query", "repair",
        "service", "sync", "views", "words",
    }  # fmt: skip
    machinery = {"TYPE_CHECKING", "annotations", "exports"}
    assert set(inventory.__all__) == exported - modules - machinery
