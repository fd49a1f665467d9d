"""Rule parameters: pydantic schemas whose every field declares which way is stricter.

A rule's parameters (risky ports, retention days, allowed CPU vendors...) are a
``Params`` model. Each field carries a :class:`Tighten` marker in its ``Annotated``
metadata, so merging two packs (take the stricter) and refusing an overlay that loosens
the provincial baseline are generic over every rule, never per-rule code. Imports
nothing internal.
"""

from __future__ import annotations

from collections.abc import Set
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ["NoParams", "ParamConflict", "Params", "Tighten", "tightening"]


class Tighten(StrEnum):
    """The direction in which a parameter value becomes stricter."""

    HIGHER = "higher-is-stricter"  # minimum retention days, required flags (True > False)
    LOWER = "lower-is-stricter"  # maximum ages, maximum port-range widths
    SUPERSET = "superset-is-stricter"  # forbidden ports
    SUBSET = "subset-is-stricter"  # allowed CPU vendors, allowed ciphers
    FIXED = "must-not-change"  # the province code

    def is_looser(self, base: Any, other: Any) -> bool:
        """Whether ``other`` is less strict than ``base``."""
        if self is Tighten.HIGHER:
            return bool(other < base)
        if self is Tighten.LOWER:
            return bool(other > base)
        if self is Tighten.SUPERSET:
            return not _as_set(other) >= _as_set(base)
        if self is Tighten.SUBSET:
            return not _as_set(other) <= _as_set(base)
        return bool(other != base)

    def strictest(self, a: Any, b: Any) -> Any:
        """The stricter of two values; raises :class:`ParamConflict` for FIXED clashes."""
        if self is Tighten.HIGHER:
            return max(a, b)
        if self is Tighten.LOWER:
            return min(a, b)
        if self is Tighten.SUPERSET:
            return frozenset(_as_set(a) | _as_set(b))
        if self is Tighten.SUBSET:
            return frozenset(_as_set(a) & _as_set(b))
        if a != b:
            raise ParamConflict(a, b)
        return a

    @property
    def zh(self) -> str:
        return _TIGHTEN_ZH[self]


_TIGHTEN_ZH = {
    Tighten.HIGHER: "只能调高",
    Tighten.LOWER: "只能调低",
    Tighten.SUPERSET: "只能增加",
    Tighten.SUBSET: "只能减少",
    Tighten.FIXED: "不得更改",
}


def _as_set(value: Any) -> Set[Any]:
    return value if isinstance(value, Set) else frozenset(value)


class ParamConflict(ValueError):
    """Two packs bind a must-not-change parameter to different values."""

    def __init__(self, a: Any, b: Any) -> None:
        super().__init__(f"conflicting values {a!r} and {b!r}")
        self.a = a
        self.b = b


class Params(BaseModel):
    """Base of every rule's parameters: camelCase in packs, frozen, no unknown keys."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, alias_generator=to_camel
    )


class NoParams(Params):
    """For rules without parameters."""


def tightening(model: type[BaseModel]) -> dict[str, Tighten]:
    """Each field's direction; raises ``TypeError`` for a field that declares none."""
    out: dict[str, Tighten] = {}
    for name, info in model.model_fields.items():
        marks = [m for m in info.metadata if isinstance(m, Tighten)]
        if len(marks) != 1:
            raise TypeError(f"{model.__name__}.{name} must declare exactly one Tighten direction")
        out[name] = marks[0]
    return out
