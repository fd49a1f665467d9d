"""The rule registry: every rule registers here with its metadata and parameter schema.

Like Cloud Custodian's ``type_schema``, a rule is a class decorated with :func:`rule`,
which records its id, titles, standard and clause, 测评单元, levels, mode, severity,
waivability, parameter model and the resource kinds it audits. Rule bodies return
:class:`Finding` values (nothing yielded means pass) and read optional inputs through
:func:`need`, which turns a missing fact into ``not_evaluable`` naming it.
Imports nothing internal outside :mod:`policies` but :func:`tenants.quick_init`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, Generic, TypeVar

from policies.params import NoParams, Params, Tighten, tightening
from policies.verdicts import Outcome, RuleMode, Severity
from policies.views import PlanView, ResourceView
from tenants import quick_init

__all__ = [
    "ALL_LEVELS",
    "Finding",
    "MissingInput",
    "Rule",
    "RuleSpec",
    "attr",
    "catalog",
    "fail",
    "get_rule",
    "need",
    "not_applicable",
    "not_evaluable",
    "rule",
]

ALL_LEVELS = frozenset({1, 2, 3, 4})

P = TypeVar("P", bound=Params)
T = TypeVar("T")


@quick_init
@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule body reports; the engine adds rule metadata to make a Verdict."""

    outcome: Outcome
    field: str | None
    zh: str
    en: str
    missing: str | None = None


def fail(field: str | None, zh: str, en: str) -> Finding:
    return Finding(Outcome.FAIL, field, zh, en)


def not_applicable(zh: str, en: str) -> Finding:
    return Finding(Outcome.NOT_APPLICABLE, None, zh, en)


def not_evaluable(missing: str, field: str | None = None) -> Finding:
    return Finding(
        Outcome.NOT_EVALUABLE, field, f"缺少输入：{missing}", f"missing input: {missing}", missing
    )


class MissingInput(Exception):
    """Raised by :func:`need` inside a rule body; the engine reports not_evaluable."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def need(value: T | None, name: str) -> T:
    """``value`` if present; otherwise the rule cannot be evaluated for want of ``name``."""
    if value is None:
        raise MissingInput(name)
    return value


def attr(view: ResourceView, key: str, kind: type[T]) -> T:
    """The observed attribute ``key`` of a resource, required to be a ``kind``."""
    value = view.attrs.get(key)
    if value is None:
        raise MissingInput(f"{view.kind}.{key}")
    if not isinstance(value, kind):
        raise MissingInput(f"{view.kind}.{key} (as {kind.__name__})")
    return value


class Rule(Generic[P]):
    """A rule body. Override ``plan`` for admission and/or ``resource`` for audit."""

    spec: ClassVar[RuleSpec]

    def plan(self, view: PlanView, params: P) -> Iterable[Finding]:
        raise NotImplementedError(f"{self.spec.id} has no admission check")

    def resource(self, view: ResourceView, params: P, now: datetime) -> Iterable[Finding]:
        raise NotImplementedError(f"{self.spec.id} has no audit check")


@dataclass(frozen=True)
class RuleSpec:
    """A rule's metadata, as ``policy list`` and the reports show it.

    ``pending_inputs`` names inputs govcloud does not hold yet; such a rule is
    registered and bindable but always reports not_evaluable naming them.
    ``paperwork`` marks a rule about records (filing, assessment, approvals, image
    provenance) rather than a technical control: a system under construction may not
    have them yet, so at admission such a rule only warns (see :mod:`policies.engine`).
    """

    id: str
    title_zh: str
    title_en: str
    group: str
    standard_zh: str
    standard_en: str
    clause: str
    units: tuple[str, ...]
    levels: frozenset[int]
    mode: RuleMode
    severity: Severity
    waivable: bool
    high_risk: bool
    params: type[Params]
    kinds: frozenset[str]
    remediation_zh: str
    remediation_en: str
    pending_inputs: tuple[str, ...] = ()
    needs_system: bool = True
    directions: Mapping[str, Tighten] = field(default_factory=dict)
    paperwork: bool = False

    @property
    def implemented(self) -> bool:
        return not self.pending_inputs

    @property
    def citation_zh(self) -> str:
        return f"{self.standard_zh} {self.clause}"

    @property
    def citation_en(self) -> str:
        return f"{self.standard_en} {self.clause}"

    def default_params(self) -> Params:
        return self.params()

    def summary(self) -> dict[str, Any]:
        """A JSON-ready row for ``policy list``."""
        return {
            "id": self.id,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "group": self.group,
            "standard": self.standard_zh,
            "clause": self.clause,
            "units": list(self.units),
            "levels": sorted(self.levels),
            "mode": str(self.mode),
            "severity": str(self.severity),
            "waivable": self.waivable,
            "high_risk": self.high_risk,
            "kinds": sorted(self.kinds),
            "implemented": self.implemented,
            "pending_inputs": list(self.pending_inputs),
            "paperwork": self.paperwork,
        }


_REGISTRY: dict[str, Rule[Any]] = {}


def rule(
    rule_id: str,
    *,
    title: tuple[str, str],
    group: str,
    clause: str,
    levels: Iterable[int] = ALL_LEVELS,
    mode: RuleMode,
    severity: Severity,
    remediation: tuple[str, str],
    standard: tuple[str, str] = ("GB/T 22239-2019", "GB/T 22239-2019"),
    units: tuple[str, ...] = (),
    kinds: Iterable[str] = (),
    params: type[Params] = NoParams,
    high_risk: bool = False,
    waivable: bool | None = None,
    pending_inputs: tuple[str, ...] = (),
    needs_system: bool = True,
    paperwork: bool = False,
) -> Callable[[type[Rule[Any]]], type[Rule[Any]]]:
    """Register a rule class under ``rule_id`` (the catalogue's id)."""

    def register(cls: type[Rule[Any]]) -> type[Rule[Any]]:
        if rule_id in _REGISTRY:
            raise ValueError(f"rule {rule_id} registered twice")
        if mode.audit and not kinds and not pending_inputs:
            raise ValueError(f"audit rule {rule_id} must name the resource kinds it checks")
        if severity is Severity.CRITICAL and waivable:
            raise ValueError(f"critical rule {rule_id} cannot be waivable")
        cls.spec = RuleSpec(
            id=rule_id,
            title_zh=title[0],
            title_en=title[1],
            group=group,
            standard_zh=standard[0],
            standard_en=standard[1],
            clause=clause,
            units=units,
            levels=frozenset(levels),
            mode=mode,
            severity=severity,
            waivable=severity is not Severity.CRITICAL if waivable is None else waivable,
            high_risk=high_risk,
            params=params,
            kinds=frozenset(kinds),
            remediation_zh=remediation[0],
            remediation_en=remediation[1],
            pending_inputs=pending_inputs,
            needs_system=needs_system,
            directions=MappingProxyType(tightening(params)),
            paperwork=paperwork,
        )
        _REGISTRY[rule_id] = cls()
        return cls

    return register


def _load() -> Mapping[str, Rule[Any]]:
    import policies.rules  # noqa: F401  (registers every built-in rule)

    return _REGISTRY


def get_rule(rule_id: str) -> Rule[Any]:
    """The registered rule; ``KeyError`` if unknown."""
    return _load()[rule_id]


def catalog() -> tuple[RuleSpec, ...]:
    """Every registered rule's metadata, by id."""
    return tuple(r.spec for _, r in sorted(_load().items()))
