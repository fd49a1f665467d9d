"""tenants.quick_init: the same instances as the dataclass's own ``__init__``, built cheaper.

Each case builds a class twice from one body, once as the plain frozen dataclass and once
with :func:`quick_init`, and holds that both take the same arguments (positional,
keyword, defaults, default factories), give equal fields and the same ``__post_init__``
effects, stay frozen and hash alike; what it cannot reproduce is refused.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import FrozenInstanceError, InitVar, dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from controlplane.planning.diff import ResourceChange
from policies.registry import Finding
from policies.verdicts import Outcome
from tenants import ResourceAmounts, quick_init


def _pair(slots: bool) -> tuple[type[Any], type[Any]]:
    def make() -> type[Any]:
        @dataclass(frozen=True, slots=slots)
        class Value:
            name: str
            amount: Decimal
            tags: tuple[str, ...] = ()
            notes: list[str] = field(default_factory=list)
            extra: dict[str, int] = field(default_factory=lambda: {"n": 1})

        return Value

    return make(), quick_init(make())


@pytest.mark.parametrize("slots", [False, True])
def test_quick_init_builds_what_the_dataclass_builds(slots: bool) -> None:
    plain, quick = _pair(slots)
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        (("a", Decimal("1.5")), {}),
        (("a", Decimal(2), ("x",)), {}),
        (("a",), {"amount": Decimal(3), "extra": {"m": 2}}),
        ((), {"name": "b", "amount": Decimal(0), "notes": ["n"], "tags": ("t", "u")}),
    ]
    for args, kwargs in calls:
        want, got = plain(*args, **kwargs), quick(*args, **kwargs)
        assert dataclasses.astuple(want) == dataclasses.astuple(got)
        assert repr(want).replace("quick", "plain") == repr(got).replace("quick", "plain")
        assert hash((want.name, want.amount, want.tags)) == hash((got.name, got.amount, got.tags))
        assert got == quick(*args, **kwargs)
        with pytest.raises(FrozenInstanceError):
            got.name = "changed"
    # a default factory is called for each instance, never shared
    first, second = quick("a", Decimal(1)), quick("a", Decimal(1))
    assert first.notes == [] and first.notes is not second.notes
    assert first.extra == {"n": 1} and first.extra is not second.extra
    # the same parameters, in the same order, with the same plain defaults
    mine = inspect.signature(quick).parameters
    theirs = inspect.signature(plain).parameters
    assert list(mine) == list(theirs)
    assert [p.default for p in mine.values()][:3] == [p.default for p in theirs.values()][:3]
    with pytest.raises(TypeError):
        quick("a")  # amount is required
    with pytest.raises(TypeError):
        quick("a", Decimal(1), (), [], {}, "one too many")
    assert quick.__init__.__qualname__.endswith("Value.__init__")


def test_quick_init_runs_post_init() -> None:
    @quick_init
    @dataclass(frozen=True)
    class Checked:
        low: int
        high: int

        def __post_init__(self) -> None:
            if self.low > self.high:
                raise ValueError("low above high")

    assert Checked(1, 2).high == 2
    with pytest.raises(ValueError, match="low above high"):
        Checked(3, 2)


def test_quick_init_refuses_what_it_does_not_reproduce() -> None:
    @dataclass
    class Mutable:
        a: int

    @dataclass(frozen=True)
    class WithInitVar:
        a: int
        b: InitVar[int]

    @dataclass(frozen=True)
    class NotInInit:
        a: int
        b: int = field(default=0, init=False)

    @dataclass(frozen=True, kw_only=True)
    class KeywordOnly:
        a: int

    class NotADataclass:
        pass

    for cls in (Mutable, WithInitVar, NotInInit, KeywordOnly, NotADataclass):
        with pytest.raises(TypeError):
            quick_init(cls)


def test_decorated_values_of_the_plan_compare_as_before() -> None:
    amounts = ResourceAmounts(Decimal(2), Decimal(4), public_ips=1)
    assert amounts + ResourceAmounts(vcpu=Decimal(1)) == ResourceAmounts(
        Decimal(3), Decimal(4), Decimal(0), 1, 0
    )
    assert (amounts - amounts) == ResourceAmounts()
    finding = Finding(Outcome.FAIL, "spec.x", "中", "en")
    assert finding.missing is None and finding == Finding(Outcome.FAIL, "spec.x", "中", "en")
    change = ResourceChange("create", "p", "server", "web-0")
    assert change.spec == {} and change.changed == () and change.resource_id is None
    assert change.key == "server/web-0"
