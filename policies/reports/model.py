"""The compliance report model: per 测评单元/control conclusions built from stored results.

Each rule belongs to one report row, keyed by its first 测评单元 (or its clause when the
catalogue gives none), so every input result is counted exactly once and a report's
counts always equal its inputs. A row's conclusion is 符合 / 部分符合 / 不符合 /
不适用, or 无法判定 when nothing could be evaluated. Pure; imports only :mod:`policies`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from policies.level_baseline import BaselineOptOut
from policies.registry import RuleSpec, catalog
from policies.verdicts import Outcome, Verdict
from policies.waivers import Waiver

__all__ = ["ComplianceReport", "Conclusion", "ControlResult", "build_report"]


class Conclusion(StrEnum):
    CONFORM = "conform"
    PARTIAL = "partial"
    NONCONFORM = "nonconform"
    NOT_APPLICABLE = "not_applicable"
    UNDETERMINED = "undetermined"

    def label(self, lang: str) -> str:
        return _CONCLUSION[self][0 if lang == "zh" else 1]


_CONCLUSION = {
    Conclusion.CONFORM: ("符合", "conforms"),
    Conclusion.PARTIAL: ("部分符合", "partly conforms"),
    Conclusion.NONCONFORM: ("不符合", "does not conform"),
    Conclusion.NOT_APPLICABLE: ("不适用", "not applicable"),
    Conclusion.UNDETERMINED: ("无法判定", "undetermined"),
}


def conclude(counts: Mapping[Outcome, int]) -> Conclusion:
    passed = counts.get(Outcome.PASS, 0)
    failed = counts.get(Outcome.FAIL, 0)
    waived = counts.get(Outcome.WAIVED, 0)
    if passed == failed == waived == 0:
        unknown = counts.get(Outcome.NOT_EVALUABLE, 0)
        return Conclusion.UNDETERMINED if unknown else Conclusion.NOT_APPLICABLE
    if failed and not passed and not waived:
        return Conclusion.NONCONFORM
    if not failed and not waived and not counts.get(Outcome.NOT_EVALUABLE, 0):
        return Conclusion.CONFORM
    return Conclusion.PARTIAL


@dataclass(frozen=True)
class ControlResult:
    """One report row: a 测评单元 (or clause), its rules, conclusion and evidence."""

    key: str
    units: tuple[str, ...]
    rules: tuple[RuleSpec, ...]
    conclusion: Conclusion
    counts: Mapping[Outcome, int]
    high_risk: bool
    evidence: tuple[Verdict, ...]
    waivers: tuple[Waiver, ...]


@dataclass(frozen=True)
class ComplianceReport:
    system: str | None
    generated_at: datetime
    controls: tuple[ControlResult, ...]
    totals: Mapping[Outcome, int]
    waivers: tuple[Waiver, ...]
    # the estate let the 等保 level floor only warn: every report says so first
    opt_out: BaselineOptOut | None = None

    @property
    def result_count(self) -> int:
        return sum(self.totals.values())

    @property
    def conclusions(self) -> Mapping[Conclusion, int]:
        return MappingProxyType(dict(Counter(c.conclusion for c in self.controls)))


def _row_key(spec: RuleSpec) -> str:
    return spec.units[0] if spec.units else f"{spec.standard_en} {spec.clause}"


def build_report(
    results: Iterable[Verdict],
    *,
    generated_at: datetime,
    system: str | None = None,
    waivers: Iterable[Waiver] = (),
    rules: Iterable[str] | None = None,
    opt_out: BaselineOptOut | None = None,
) -> ComplianceReport:
    """The report over ``results`` (filtered to ``system`` if given).

    ``rules`` lists rule ids to show even without results (as 不适用), e.g. every rule
    bound to the system; by default only rules with results appear.
    """
    specs = {spec.id: spec for spec in catalog()}
    chosen = [r for r in results if system is None or r.system == system]
    open_waivers = tuple(w for w in waivers if w.active(generated_at))
    by_rule: dict[str, list[Verdict]] = {}
    for result in chosen:
        by_rule.setdefault(result.rule_id, []).append(result)
    wanted = set(by_rule) | set(rules or ())
    rows: dict[str, list[RuleSpec]] = {}
    for rule_id in sorted(wanted):
        spec = specs.get(rule_id)
        if spec is None:
            raise KeyError(f"result for unknown rule {rule_id}")
        rows.setdefault(_row_key(spec), []).append(spec)
    controls: list[ControlResult] = []
    for key in sorted(rows):
        row_specs = tuple(rows[key])
        evidence = tuple(v for spec in row_specs for v in by_rule.get(spec.id, ()))
        counts = Counter(v.outcome for v in evidence)
        ids = {spec.id for spec in row_specs}
        units = tuple(dict.fromkeys(u for spec in row_specs for u in spec.units))
        controls.append(
            ControlResult(
                key=key,
                units=units,
                rules=row_specs,
                conclusion=conclude(counts),
                counts=MappingProxyType(dict(counts)),
                high_risk=any(v.high_risk and v.outcome is Outcome.FAIL for v in evidence),
                evidence=evidence,
                waivers=tuple(w for w in open_waivers if w.rule_id in ids),
            )
        )
    totals = Counter(v.outcome for v in chosen)
    return ComplianceReport(
        system,
        generated_at,
        tuple(controls),
        MappingProxyType(dict(totals)),
        open_waivers,
        opt_out,
    )
