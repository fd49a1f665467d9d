"""The estate's policy section: the provincial baseline binding and city/sector overlays.

``estate apply`` passes the located estate document here. The baseline names packs and
optional per-rule overrides; each overlay, scoped to a city, sector or tenant, may add
packs and rules or tighten settings but never loosen the baseline: dropping a rule,
turning enforce into warn, or moving a parameter against its declared direction
(retention 180 → 90 days, removing a risky port) is refused with a located problem.
The comparison is generic over every rule through the parameters' ``Tighten``
directions. Every scope also carries the 等保 floor of the system's level
(:mod:`policies.level_baseline`): the estate may add to it, and weakening or dropping
one of its enforced rules is refused unless ``levelBaseline`` opts out, visibly, with a
reason and a 文号. Imports :mod:`tenants` for located documents, nothing else internal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import Field, model_validator

from policies.binding import BoundPacks, BoundRule, PackConflict
from policies.engine import PAPERWORK_GRACE
from policies.level_baseline import (
    BaselineOptOut,
    LevelBaselineSpec,
    floor_for,
    floor_rule_ids,
)
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
    # an estate that only opts out of the level floor binds no packs of its own
    baseline: Layer = Field(default_factory=lambda: Layer(packs=[]))
    overlays: list[Overlay] = Field(default_factory=list)
    level_baseline: LevelBaselineSpec = Field(
        default_factory=LevelBaselineSpec, alias="levelBaseline"
    )
    # days after go-live before missing paperwork (filing, assessment...) is a violation
    paperwork_grace_days: int = Field(default=30, ge=0, le=366, alias="paperworkGraceDays")


@dataclass(frozen=True)
class EstatePolicy:
    """The resolved bindings: the baseline, each overlay's rules and the level floor."""

    baseline: BoundPacks = field(default_factory=lambda: BoundPacks.of((), ()))
    overlays: tuple[tuple[str, Scope, BoundPacks], ...] = ()
    opt_out: BaselineOptOut | None = None
    paperwork_grace: timedelta = PAPERWORK_GRACE
    # (scope binding id, level) -> floor + scope; each pair is merged once per policy
    _merged: dict[tuple[int, int | None], BoundPacks] = field(
        default_factory=dict, compare=False, repr=False
    )

    def for_scope(
        self,
        *,
        level: int | None,
        tenant: str | None = None,
        city: str | None = None,
        sector: str | None = None,
    ) -> BoundPacks:
        """The level floor plus the most specific binding (tenant, sector, city, baseline)."""
        scoped = self._scoped(tenant, city, sector)
        key = (id(scoped), level)
        merged = self._merged.get(key)
        if merged is None:
            floor = floor_for(level, self.opt_out is not None)
            names = tuple(dict.fromkeys((*floor.packs, *scoped.packs)))
            merged = BoundPacks.of(names, (*floor.rules.values(), *scoped.rules.values()))
            self._merged[key] = merged
        return merged

    def _scoped(self, tenant: str | None, city: str | None, sector: str | None) -> BoundPacks:
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


def floor_weakenings(layer: Layer, doc: LocatedDocument, path: Path) -> list[Problem]:
    """Located problems for every enforced rule of the 等保 floor ``layer`` weakens."""
    floor = floor_rule_ids()
    problems: list[Problem] = []
    for rule_id, override in layer.rules.items():
        if rule_id not in floor:
            continue
        if override.disabled or override.mode is Enforcement.WARN:
            where = (*path, "rules", rule_id, "disabled" if override.disabled else "mode")
            problems.append(
                doc.problem(
                    where,
                    f"{rule_id} is enforced by the 等保 baseline of the systems' level; relaxing "
                    "it needs spec.policies.levelBaseline: {mode: advisory, reason, reference} "
                    "（放宽等保基线须显式声明 levelBaseline 并给出理由和文号）",
                    expected="enforce",
                    found="disabled" if override.disabled else str(override.mode),
                )
            )
    return problems


def _opt_out(binding: PolicyBinding, doc: LocatedDocument, path: Path) -> list[Problem]:
    spec = binding.level_baseline
    if spec.mode != "advisory":
        return []
    return [
        doc.problem((*path, "levelBaseline", key), f"an advisory level baseline needs its {what}")
        for key, what, value in (
            ("reason", "reason（理由）", spec.reason),
            ("reference", "approving document number（文号）", spec.reference),
        )
        if not value
    ]


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
    problems.extend(_opt_out(binding, doc, path))
    advisory = binding.level_baseline.mode == "advisory"
    if not advisory:
        problems.extend(floor_weakenings(binding.baseline, doc, (*path, "baseline")))
    overlays: list[tuple[str, Scope, BoundPacks]] = []
    for i, overlay in enumerate(binding.overlays):
        where = (*path, "overlays", i)
        bound, found = _resolve(overlay, baseline, table, doc, where)
        problems.extend(found)
        if bound is None or baseline is None:
            continue
        problems.extend(loosenings(baseline, bound, overlay, doc, where))
        if not advisory:
            problems.extend(floor_weakenings(overlay, doc, where))
        overlays.append((overlay.name, overlay.scope, bound))
    if problems or baseline is None:
        raise ManifestError(problems or [doc.problem(path, "no usable baseline binding")])
    spec = binding.level_baseline
    opt_out = BaselineOptOut(spec.reason or "", spec.reference or "") if advisory else None
    grace = timedelta(days=binding.paperwork_grace_days)
    return EstatePolicy(baseline, tuple(overlays), opt_out, grace)
