"""The estate's policy section: the provincial baseline binding and city/sector overlays.

``estate apply`` passes the located estate document here. The baseline names packs and
optional per-rule overrides; each overlay, scoped to a city, sector or tenant, may add
packs and rules or tighten settings but never loosen the baseline: dropping a rule,
turning enforce into warn, or moving a parameter against its declared direction
(retention 180 → 90 days, removing a risky port) is refused with a located problem.
The comparison is generic over every rule through the parameters' ``Tighten``
directions. Imports :mod:`tenants` for located documents, nothing else internal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field, model_validator

from policies.binding import BoundPacks, BoundRule, PackConflict
from policies.packs import Pack, bind_packs, builtin_packs, validate_params
from policies.params import Tighten
from policies.registry import get_rule
from policies.verdicts import Enforcement
from tenants import LocatedDocument, ManifestError, Problem, StrictModel, parse_model

__all__ = [
    "EstatePolicy",
    "PolicyBinding",
    "Scope",
    "load_policy_binding",
    "loosenings",
]

Path = tuple[str | int, ...]


class RuleOverride(StrictModel):
    mode: Enforcement | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    disabled: bool = False


class Layer(StrictModel):
    """Packs to bind and per-rule overrides; an overlay's packs add to the baseline's."""

    packs: list[str] | None = None
    rules: dict[str, RuleOverride] = Field(default_factory=dict)


class Scope(StrictModel):
    city: str | None = None
    sector: str | None = None
    tenant: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Scope:
        if sum(v is not None for v in (self.city, self.sector, self.tenant)) != 1:
            raise ValueError("name exactly one of city, sector or tenant")
        return self


class Overlay(Layer):
    name: str
    scope: Scope


class PolicyBinding(StrictModel):
    baseline: Layer
    overlays: list[Overlay] = Field(default_factory=list)


@dataclass(frozen=True)
class EstatePolicy:
    """The resolved bindings: the baseline and each overlay's effective rules."""

    baseline: BoundPacks
    overlays: tuple[tuple[str, Scope, BoundPacks], ...] = ()

    def for_scope(
        self, *, tenant: str | None = None, city: str | None = None, sector: str | None = None
    ) -> BoundPacks:
        """The most specific binding: tenant, then sector, then city, then the baseline."""
        for key, value in (("tenant", tenant), ("sector", sector), ("city", city)):
            if value is None:
                continue
            for _, scope, bound in self.overlays:
                if getattr(scope, key) == value:
                    return bound
        return self.baseline


def _resolve(
    layer: Layer,
    parent: BoundPacks | None,
    packs: Mapping[str, Pack],
    doc: LocatedDocument,
    path: Path,
) -> tuple[BoundPacks | None, list[Problem]]:
    problems: list[Problem] = []
    if parent is None and layer.packs is None:
        problems.append(doc.problem(path, "the baseline must list its packs"))
    added = list(layer.packs or ())
    for i, name in enumerate(added):
        if name not in packs:
            problems.append(
                doc.problem(
                    (*path, "packs", i),
                    "unknown policy pack",
                    expected=", ".join(packs),
                    found=name,
                )
            )
    names = [*(parent.packs if parent else ()), *(n for n in added if n in packs)]
    try:
        # an overlay starts from the baseline's effective rules and may only add to them
        inherited = list(parent.rules.values()) if parent else []
        bound = BoundPacks.of(
            names,
            [
                *inherited,
                *bind_packs(names[len(parent.packs) if parent else 0 :], packs).rules.values(),
            ],
        )
    except PackConflict as exc:
        problems.append(doc.problem((*path, "packs"), str(exc)))
        return None, problems
    rules = dict(bound.rules)
    for rule_id, override in layer.rules.items():
        where = (*path, "rules", rule_id)
        try:
            rule = get_rule(rule_id)
        except KeyError:
            problems.append(doc.problem(where, "unknown rule id", found=rule_id, key=True))
            continue
        if override.disabled:
            rules.pop(rule_id, None)
            continue
        current = rules.get(rule_id)
        base = current.params if current is not None else rule.spec.default_params()
        params = validate_params(rule_id, override.params, doc, (*where, "params"), base)
        if isinstance(params, list):
            problems.extend(params)
            continue
        mode = override.mode or (current.enforcement if current else Enforcement.ENFORCE)
        rules[rule_id] = BoundRule(rule, mode, params, current.packs if current else ())
    return BoundPacks.of(names, rules.values()), problems


def loosenings(
    baseline: BoundPacks, overlay: BoundPacks, layer: Layer, doc: LocatedDocument, path: Path
) -> list[Problem]:
    """Located problems for every way ``overlay`` is looser than ``baseline``."""
    problems: list[Problem] = []
    for rule_id, base in baseline.rules.items():
        override = layer.rules.get(rule_id)
        rule_path = (*path, "rules", rule_id)
        fallback = rule_path if override is not None else (*path, "packs")
        mine = overlay.rules.get(rule_id)
        if mine is None:
            problems.append(
                doc.problem(
                    fallback,
                    f"overlay drops rule {rule_id} of the provincial baseline "
                    f"（下级不得删除省级基线规则）",
                    key=override is not None,
                )
            )
            continue
        if mine.enforcement.rank < base.enforcement.rank:
            where = (*rule_path, "mode") if override is not None and override.mode else fallback
            problems.append(
                doc.problem(
                    where,
                    f"overlay weakens {rule_id} from {base.enforcement} to {mine.enforcement} "
                    "（下级不得放宽省级基线）",
                    expected=str(base.enforcement),
                    found=str(mine.enforcement),
                )
            )
        for name, direction in base.spec.directions.items():
            was, now = getattr(base.params, name), getattr(mine.params, name)
            if not direction.is_looser(was, now):
                continue
            alias = base.spec.params.model_fields[name].alias or name
            where = (
                (*rule_path, "params", alias)
                if override is not None and alias in override.params
                else fallback
            )
            problems.append(
                doc.problem(
                    where,
                    f"overlay loosens {rule_id}.{alias} ({direction}; {direction.zh}) "
                    "（下级不得放宽省级基线）",
                    expected=_show(was)
                    if direction is Tighten.FIXED
                    else f"{_show(was)} or stricter",
                    found=_show(now),
                )
            )
    return problems


def _show(value: Any) -> str:
    if isinstance(value, frozenset | set):
        return "[" + ", ".join(str(v) for v in sorted(value, key=str)) + "]"
    return str(value)


def load_policy_binding(
    doc: LocatedDocument, path: Path = ("spec", "policies"), packs: Mapping[str, Pack] | None = None
) -> EstatePolicy:
    """Resolve the estate's policy section; ``ManifestError`` lists every located problem."""
    table = builtin_packs() if packs is None else packs
    binding = parse_model(PolicyBinding, doc, path)
    baseline, problems = _resolve(binding.baseline, None, table, doc, (*path, "baseline"))
    overlays: list[tuple[str, Scope, BoundPacks]] = []
    for i, overlay in enumerate(binding.overlays):
        where = (*path, "overlays", i)
        bound, found = _resolve(overlay, baseline, table, doc, where)
        problems.extend(found)
        if bound is None or baseline is None:
            continue
        problems.extend(loosenings(baseline, bound, overlay, doc, where))
        overlays.append((overlay.name, overlay.scope, bound))
    if problems or baseline is None:
        raise ManifestError(problems or [doc.problem(path, "no usable baseline binding")])
    return EstatePolicy(baseline, tuple(overlays))
