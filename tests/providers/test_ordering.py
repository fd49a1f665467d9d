"""Dependency ordering and failure isolation shared by drivers.

Cases: dependencies come first and input order breaks ties; bare and ``kind/name``
references; duplicates, unknown, ambiguous references and cycles are refused
before any step runs; a failing step becomes a ``failed`` outcome, its dependents
are skipped with a linked ``ProviderConflict`` carrying the retry semantics, and
independent resources still run; non-provider exceptions propagate.
"""

from __future__ import annotations

import pytest

from providers.errors import (
    ProviderConflict,
    ProviderInvalidRequest,
    ProviderQuotaExceeded,
)
from providers.ordering import dependency_order, run_in_order
from providers.types import ApplyOutcome, DesiredResource


def r(kind: str, name: str, *deps: str) -> DesiredResource:
    return DesiredResource(kind, name, {}, tuple(deps))


def test_dependencies_first_then_input_order() -> None:
    desired = [
        r("server", "web", "net", "volume/data"),
        r("volume", "data"),
        r("network", "net"),
        r("floating_ip", "ip", "server/web"),
    ]
    keys = [item.key for item in dependency_order(desired, provider="p")]
    assert keys == ["volume/data", "network/net", "server/web", "floating_ip/ip"]


@pytest.mark.parametrize(
    ("desired", "message"),
    [
        ([r("server", "a"), r("server", "a")], "duplicate"),
        ([r("server", "a", "nothing")], "unknown"),
        ([r("server", "a", "volume/nothing")], "unknown"),
        ([r("server", "x"), r("volume", "x"), r("network", "n", "x")], "ambiguous"),
        ([r("server", "a", "b"), r("volume", "b", "a")], "cycle"),
    ],
)
def test_bad_graphs_are_refused_before_any_step(
    desired: list[DesiredResource], message: str
) -> None:
    steps: list[str] = []

    def step(item: DesiredResource) -> ApplyOutcome:
        steps.append(item.key)
        return ApplyOutcome(item.kind, item.name, "created", "id")

    with pytest.raises(ProviderInvalidRequest, match=message):
        run_in_order(desired, provider="p", step=step)
    assert steps == []


def test_failure_isolation() -> None:
    desired = [
        r("volume", "data"),
        r("server", "web", "volume/data"),
        r("floating_ip", "ip", "server/web"),
        r("network", "net"),
    ]
    attempted: list[str] = []

    def step(item: DesiredResource) -> ApplyOutcome:
        attempted.append(item.key)
        if item.name == "data":
            raise ProviderQuotaExceeded("p", "storage")
        return ApplyOutcome(item.kind, item.name, "created", f"id-{item.name}")

    outcomes = {o.name: o for o in run_in_order(desired, provider="p", step=step)}
    assert attempted == ["volume/data", "network/net"]
    assert outcomes["net"].action == "created"
    assert isinstance(outcomes["data"].error, ProviderQuotaExceeded)
    for name in ("web", "ip"):
        error = outcomes[name].error
        assert isinstance(error, ProviderConflict)
        assert error.temporary is False  # inherited from the permanent quota error
        assert error.__cause__ is not None


def test_crash_propagates() -> None:
    def step(item: DesiredResource) -> ApplyOutcome:
        raise RuntimeError("process died")

    with pytest.raises(RuntimeError, match="died"):
        run_in_order([r("server", "a")], provider="p", step=step)
