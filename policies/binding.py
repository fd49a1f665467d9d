"""Bound rules: which rules apply, in which enforcement mode, with which parameters.

A :class:`BoundPacks` is the effective rule set for one scope (the provincial baseline,
or a city/sector/tenant overlay): each rule once, with the strictest enforcement and
parameters of every pack that lists it. It also holds the indexes the engine uses
(admission rules; audit rules by resource kind and level), built once per binding so
auditing 100k resources does no per-resource lookups beyond a dict get.
Imports only :mod:`policies` internals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from policies.params import Params
from policies.registry import ALL_LEVELS, Rule, RuleSpec, get_rule
from policies.verdicts import Enforcement

__all__ = ["BoundPacks", "BoundRule", "PackConflict", "merge_params"]

LEVEL_KEYS: tuple[int | None, ...] = (None, 1, 2, 3, 4)


@dataclass(frozen=True)
class BoundRule:
    """One rule as bound: enforcement, validated parameters and the packs that bound it."""

    rule: Rule[Any]
    enforcement: Enforcement
    params: Params
    packs: tuple[str, ...] = ()

    @property
    def spec(self) -> RuleSpec:
        return self.rule.spec

    @cached_property
    def pass_zh(self) -> str:
        return f"{self.spec.id}［{self.spec.citation_zh}］{self.spec.title_zh}：通过"

    @cached_property
    def pass_en(self) -> str:
        return f"{self.spec.id} [{self.spec.citation_en}] {self.spec.title_en}: passed"

    @cached_property
    def messages(self) -> dict[Any, tuple[str, str]]:
        """The engine's composed (zh, en) messages by finding (filled as they occur)."""
        return {}

    @cached_property
    def results(self) -> dict[Any, Any]:
        """The engine's audit results by (finding, deferred), the pass by ``None``
        (filled as they occur)."""
        return {}


class PackConflict(ValueError):
    """Two packs bind a must-not-change parameter of a rule to different values."""

    def __init__(self, rule_id: str, param: str, a: Any, b: Any) -> None:
        super().__init__(f"{rule_id}.{param}: packs disagree ({a!r} vs {b!r})")
        self.rule_id = rule_id
        self.param = param


def merge_params(spec: RuleSpec, a: Params, b: Params) -> Params:
    """The stricter of two parameter sets, field by field, by each field's direction.

    Only values a pack sets explicitly take part: a pack that leaves a parameter at its
    default has no opinion on it, so it never overrides another pack's explicit choice.
    """
    merged: dict[str, Any] = {}
    for name, direction in spec.directions.items():
        in_a, in_b = name in a.model_fields_set, name in b.model_fields_set
        if not (in_a or in_b):
            continue
        left, right = getattr(a, name), getattr(b, name)
        if not (in_a and in_b) or left == right:
            merged[name] = left if in_a else right
            continue
        try:
            merged[name] = direction.strictest(left, right)
        except ValueError as exc:
            raise PackConflict(spec.id, name, left, right) from exc
    return spec.params.model_validate(merged)


@dataclass(frozen=True)
class BoundPacks:
    """The effective rules of one scope, with the engine's indexes."""

    packs: tuple[str, ...]
    rules: Mapping[str, BoundRule] = field(default_factory=dict)

    @classmethod
    def of(cls, packs: Iterable[str], rules: Iterable[BoundRule]) -> BoundPacks:
        """Bind ``rules``; the same rule twice keeps the stricter of both."""
        out: dict[str, BoundRule] = {}
        for bound in rules:
            seen = out.get(bound.spec.id)
            if seen is None:
                out[bound.spec.id] = bound
                continue
            out[bound.spec.id] = BoundRule(
                bound.rule,
                max(seen.enforcement, bound.enforcement, key=lambda e: e.rank),
                merge_params(bound.spec, seen.params, bound.params),
                (*seen.packs, *bound.packs),
            )
        return cls(tuple(packs), MappingProxyType(dict(sorted(out.items()))))

    @classmethod
    def everything(cls, enforcement: Enforcement = Enforcement.ENFORCE) -> BoundPacks:
        """Every registered rule with its default parameters (for tests and benchmarks)."""
        from policies.registry import catalog

        return cls.of(
            (),
            (
                BoundRule(get_rule(spec.id), enforcement, spec.default_params())
                for spec in catalog()
            ),
        )

    @cached_property
    def admission_rules(self) -> tuple[BoundRule, ...]:
        return tuple(b for b in self.rules.values() if b.spec.mode.admission)

    @cached_property
    def admission_by_level(self) -> dict[int | None, tuple[Any, ...]]:
        """The engine's admission steps by system level (filled as levels occur)."""
        return {}

    @cached_property
    def audit_by_kind(self) -> dict[tuple[str, int | None, bool], tuple[Any, ...]]:
        """The engine's audit steps by (kind, level, bound to a system), filled as they
        occur."""
        return {}

    @cached_property
    def audit_index(self) -> Mapping[tuple[str, int | None], tuple[BoundRule, ...]]:
        """Audit rules by (resource kind, system level); level ``None`` keeps every rule."""
        index: dict[tuple[str, int | None], list[BoundRule]] = {}
        for bound in self.rules.values():
            spec = bound.spec
            if not spec.mode.audit:
                continue
            # a rule waiting for inputs reports once per system, on the system record
            kinds = spec.kinds if spec.implemented else frozenset({"system"})
            for kind in kinds:
                for level in LEVEL_KEYS:
                    if level is None or spec.levels == ALL_LEVELS or level in spec.levels:
                        index.setdefault((kind, level), []).append(bound)
        return MappingProxyType({key: tuple(value) for key, value in index.items()})

    @cached_property
    def pending_rules(self) -> tuple[BoundRule, ...]:
        """Bound audit rules waiting for inputs govcloud does not hold yet."""
        return tuple(b for b in self.rules.values() if not b.spec.implemented)
