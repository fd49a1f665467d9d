"""The evaluation engine: admission of a plan and continuous audit of inventory.

Pure: it runs bound rules over :mod:`policies.views` values and returns
:class:`~policies.verdicts.Verdict` values; it never reads a database or calls a cloud.
Level gating, missing inputs, pending rules and message composition (rule id, clause,
field) happen here once, so rule bodies only say what is wrong and where.
Imports only :mod:`policies` internals.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from policies.binding import BoundPacks, BoundRule
from policies.params import Params
from policies.registry import ALL_LEVELS, Finding, MissingInput, not_applicable, not_evaluable
from policies.verdicts import Enforcement, Outcome, Severity, Verdict
from policies.views import PlanView, ResourceView
from policies.waivers import WaiverBook

__all__ = [
    "PAPERWORK_GRACE",
    "AdmissionResult",
    "Assessment",
    "AuditResult",
    "admit",
    "assess",
    "audit",
    "audit_results",
    "evaluate_plan",
    "evaluate_resource",
]

# how long after go-live a system may still lack its paperwork before the audit counts it
PAPERWORK_GRACE = timedelta(days=30)


@dataclass(frozen=True)
class AdmissionResult:
    """The policy answer for one plan.

    Denied when an enforced rule fails, or when an enforced *critical* rule cannot be
    evaluated (fail closed: a legal red line is never assumed to hold). Paperwork rules
    never deny here: their findings are ``deferred`` warnings until the continuous audit
    holds the system to them after go-live.
    """

    admitted: bool
    verdicts: tuple[Verdict, ...]

    @property
    def denials(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if _denies(v))

    @property
    def warnings(self) -> tuple[Verdict, ...]:
        return tuple(
            v
            for v in self.verdicts
            if v.outcome in (Outcome.FAIL, Outcome.NOT_EVALUABLE) and not _denies(v)
        )


def _denies(v: Verdict) -> bool:
    if v.blocking:
        return True
    return (
        not v.deferred
        and v.outcome is Outcome.NOT_EVALUABLE
        and v.severity is Severity.CRITICAL
        and v.enforcement.rank > 0
    )


def _level_gate(bound: BoundRule, level: int | None) -> Finding | None:
    levels = bound.spec.levels
    if levels == ALL_LEVELS:
        return None
    if level is None:
        return not_evaluable("system level (spec.classifiedProtection)")
    if level not in levels:
        return not_applicable(
            f"适用于 {sorted(levels)} 级，本系统 {level} 级",
            f"applies to levels {sorted(levels)}; the system is level {level}",
        )
    return None


def _collect(run: Callable[[], Iterable[Finding]]) -> list[Finding]:
    findings: list[Finding] = []
    try:
        findings.extend(run())
    except MissingInput as missing:
        findings.append(not_evaluable(missing.name))
    return findings


def _verdicts(
    bound: BoundRule,
    findings: list[Finding],
    subject_kind: str,
    subject_id: str,
    system: str | None,
    tenant: str | None,
    at: datetime | None,
    deferred: bool = False,
) -> list[Verdict]:
    spec = bound.spec
    if not findings:  # positional arguments: this runs for every rule of every plan
        return [
            Verdict(
                spec.id,
                Outcome.PASS,
                spec.severity,
                bound.enforcement,
                subject_kind,
                subject_id,
                system,
                tenant,
                None,
                bound.pass_zh,
                bound.pass_en,
                "",
                "",
                None,
                False,
                at,
            )
        ]
    out: list[Verdict] = []
    for finding in findings:
        message_zh, message_en = _messages(bound, finding)
        outcome = finding.outcome
        failed = outcome is Outcome.FAIL
        out.append(
            Verdict(
                spec.id,
                outcome,
                spec.severity,
                bound.enforcement,
                subject_kind,
                subject_id,
                system,
                tenant,
                finding.field,
                message_zh,
                message_en,
                spec.remediation_zh if failed else "",
                spec.remediation_en if failed else "",
                finding.missing,
                failed and spec.high_risk,
                at,
                None,
                deferred and outcome is not Outcome.NOT_APPLICABLE,
            )
        )
    return out


_MESSAGES_KEPT = 4096
"""Composed messages remembered per bound rule (the same findings recur over a batch)."""


def _messages(bound: BoundRule, finding: Finding) -> tuple[str, str]:
    """The verdict's zh and en messages for ``finding`` of ``bound`` (composed once)."""
    cache = bound.messages
    found = cache.get(finding)
    if found is not None:
        return found
    spec = bound.spec
    where_zh = f"（字段 {finding.field}）" if finding.field else ""
    where_en = f" (field {finding.field})" if finding.field else ""
    found = (
        f"{spec.id}［{spec.citation_zh}］{spec.title_zh}：{finding.zh}{where_zh}",
        f"{spec.id} [{spec.citation_en}] {spec.title_en}: {finding.en}{where_en}",
    )
    if len(cache) >= _MESSAGES_KEPT:
        cache.clear()
    cache[finding] = found
    return found


def _pending(bound: BoundRule) -> list[Finding]:
    return [not_evaluable("; ".join(bound.spec.pending_inputs))]


def _fixed(bound: BoundRule, level: int | None, has_system: bool) -> list[Finding] | None:
    """``bound``'s findings when they do not depend on the subject (no system binding
    for a rule that needs one, out of the level's scope, or waiting for inputs), else
    ``None``: the rule body decides."""
    if not has_system:
        if bound.spec.needs_system:
            return [not_evaluable("system binding of the resource")]
    elif (gate := _level_gate(bound, level)) is not None:
        return [gate]
    if not bound.spec.implemented:
        return _pending(bound)
    return None


def evaluate_plan(bound: BoundRule, plan: PlanView) -> list[Verdict]:
    """One bound rule on one plan."""
    findings = _fixed(bound, plan.system.level, True)
    if findings is None:
        findings = _collect(lambda: bound.rule.plan(plan, bound.params))
    return _verdicts(
        bound,
        findings,
        "request",
        plan.request,
        plan.system.name,
        plan.tenant,
        plan.as_of,
        deferred=bound.spec.paperwork,
    )


def evaluate_resource(
    bound: BoundRule, resource: ResourceView, now: datetime, grace: timedelta = PAPERWORK_GRACE
) -> list[Verdict]:
    """One bound rule on one inventory resource.

    A paperwork rule's findings are ``deferred`` while the system is within ``grace`` of
    going live: reported, but not yet a violation.
    """
    system = resource.system
    findings = _fixed(bound, system.level if system is not None else None, system is not None)
    if findings is None:
        findings = _collect(lambda: bound.rule.resource(resource, bound.params, now))
    return _verdicts(
        bound,
        findings,
        resource.kind,
        resource.id,
        system.name if system is not None else None,
        resource.tenant,
        now,
        deferred=bound.spec.paperwork and _within_grace(resource, now, grace),
    )


def _within_grace(resource: ResourceView, now: datetime, grace: timedelta) -> bool:
    live = resource.system.live_since if resource.system is not None else None
    return live is not None and now < live + grace


def admit(plan: PlanView, bound: BoundPacks) -> AdmissionResult:
    """Run every bound admission rule on ``plan``; the system level selects which apply.

    The same verdicts as :func:`evaluate_plan` of each rule (see :func:`assess`).
    """
    found = assess(plan, bound)
    return AdmissionResult(found.admitted, found.verdicts)


class Assessment:
    """The policy answer for one plan, its verdicts built only when first read.

    Whether the plan is admitted is decided from the rule bodies' findings directly: a
    plan reports a verdict for every bound rule, passes included (~40 per plan), and a
    batch mostly asks only whether each was admitted, so building them (and composing
    their messages) waits until the plan is shown or recorded. The verdicts are those
    :func:`evaluate_plan` gives for each rule, in binding order.
    """

    __slots__ = ("_findings", "_plan", "_verdicts", "admitted")

    def __init__(
        self,
        plan: PlanView,
        findings: tuple[tuple[BoundRule, tuple[Finding, ...]], ...],
        admitted: bool,
    ) -> None:
        self._plan = plan
        self._findings = findings
        self._verdicts: tuple[Verdict, ...] | None = None
        self.admitted = admitted

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        built = self._verdicts
        if built is None:
            plan, system = self._plan, self._plan.system
            out: list[Verdict] = []
            for rule, findings in self._findings:
                out.extend(
                    _verdicts(
                        rule,
                        list(findings),
                        "request",
                        plan.request,
                        system.name,
                        plan.tenant,
                        plan.as_of,
                        deferred=rule.spec.paperwork,
                    )
                )
            built = self._verdicts = tuple(out)
        return built

    @property
    def denials(self) -> tuple[Verdict, ...]:
        return AdmissionResult(self.admitted, self.verdicts).denials

    @property
    def warnings(self) -> tuple[Verdict, ...]:
        return AdmissionResult(self.admitted, self.verdicts).warnings


def assess(plan: PlanView, bound: BoundPacks) -> Assessment:
    """Every bound admission rule's findings on ``plan``, its verdicts built lazily.

    The level gate and the pending inputs of a rule depend only on the level, so they
    are decided once per binding and level (:func:`_admission_steps`), and only rule
    bodies run per plan.
    """
    out: list[tuple[BoundRule, tuple[Finding, ...]]] = []
    admitted = True
    for rule, fixed, denies, body, params in _admission_steps(bound, plan.system.level):
        if fixed is None:
            # as :func:`_collect` (inline: this runs for every rule of every plan)
            findings: list[Finding] = []
            try:
                findings.extend(body(plan, params))
            except MissingInput as missing:
                findings.append(_not_evaluable(missing.name))
            fixed = tuple(findings)
        if admitted and denies is not None and fixed:
            # whether the finding denies the plan, without building its verdict; the
            # part of that which depends on the rule alone is decided once (_denies_on)
            for finding in fixed:
                outcome = finding.outcome
                if outcome is Outcome.FAIL or (denies and outcome is Outcome.NOT_EVALUABLE):
                    admitted = False
                    break
        out.append((rule, fixed))
    return Assessment(plan, tuple(out), admitted)


@functools.lru_cache(maxsize=1024)
def _not_evaluable(missing: str) -> Finding:
    """``not_evaluable(missing)``, made once per input name: a plan's view lacks the same
    few facts for every plan of a batch (findings are values, never changed)."""
    return not_evaluable(missing)


_Step = tuple[BoundRule, tuple[Finding, ...] | None]
_PlanBody = Callable[[PlanView, Params], Iterable[Finding]]
_AdmissionStep = tuple[BoundRule, tuple[Finding, ...] | None, bool | None, _PlanBody, Params]
"""A step with what denies: ``None`` when none of the rule's findings can (not enforced,
or paperwork), else whether a not-evaluable one does (a critical rule's) besides a fail;
then the rule's admission body and its bound parameters (looked up once)."""


def _admission_steps(bound: BoundPacks, level: int | None) -> tuple[_AdmissionStep, ...]:
    """Each admission rule of ``bound`` with its findings when they do not depend on the
    plan (out of the level's scope, or waiting for inputs), else ``None``, and what of
    its findings denies (:data:`_AdmissionStep`)."""
    steps = bound.admission_by_level.get(level)
    if steps is None:
        steps = bound.admission_by_level[level] = tuple(
            (rule, fixed, _denies_on(rule), rule.rule.plan, rule.params)
            for rule, fixed in _steps(bound.admission_rules, level, True)
        )
    return steps


def _denies_on(rule: BoundRule) -> bool | None:
    """Which of ``rule``'s findings deny, as far as it depends on the rule alone: none
    unless it is enforced and not paperwork (a paperwork rule's findings are deferred);
    else a fail, and a not-evaluable one when the rule is critical (True)."""
    if rule.enforcement is not Enforcement.ENFORCE or rule.spec.paperwork:
        return None
    return rule.spec.severity is Severity.CRITICAL


def _steps(rules: Iterable[BoundRule], level: int | None, has_system: bool) -> tuple[_Step, ...]:
    """Each of ``rules`` with its :func:`_fixed` findings."""
    out: list[_Step] = []
    for rule in rules:
        fixed = _fixed(rule, level, has_system)
        out.append((rule, None if fixed is None else tuple(fixed)))
    return tuple(out)


@dataclass(frozen=True, slots=True, eq=False)
class AuditResult:
    """A verdict without its subject: what one bound rule found, the same object for
    every subject it found alike (most results of an audit are the same pass of the same
    rule), so a caller can keep what it derives from one by the object itself.

    :meth:`verdict` puts it on a subject; :func:`audit_results` gives a resource's.
    """

    rule_id: str
    outcome: Outcome
    severity: Severity
    enforcement: Enforcement
    field: str | None
    message_zh: str
    message_en: str
    remediation_zh: str
    remediation_en: str
    missing: str | None
    high_risk: bool
    waiver_id: str | None
    deferred: bool

    def verdict(
        self,
        subject_kind: str,
        subject_id: str,
        system: str | None,
        tenant: str | None,
        at: datetime | None,
    ) -> Verdict:
        return Verdict(
            self.rule_id,
            self.outcome,
            self.severity,
            self.enforcement,
            subject_kind,
            subject_id,
            system,
            tenant,
            self.field,
            self.message_zh,
            self.message_en,
            self.remediation_zh,
            self.remediation_en,
            self.missing,
            self.high_risk,
            at,
            self.waiver_id,
            self.deferred,
        )

    @classmethod
    def of(cls, verdict: Verdict) -> AuditResult:
        """``verdict`` without its subject."""
        v = verdict
        return cls(v.rule_id, v.outcome, v.severity, v.enforcement, v.field, v.message_zh,
                   v.message_en, v.remediation_zh, v.remediation_en, v.missing, v.high_risk,
                   v.waiver_id, v.deferred)  # fmt: skip


_RESULTS_KEPT = 4096
"""Results remembered per bound rule (as :data:`_MESSAGES_KEPT`)."""


def _results(bound: BoundRule, findings: list[Finding], deferred: bool) -> list[AuditResult]:
    """The results :func:`_verdicts` gives for ``findings``, each made once per bound
    rule and (finding, deferred)."""
    cache: dict[object, AuditResult] = bound.results
    if not findings:
        found = cache.get(None)
        if found is None:
            found = cache[None] = AuditResult.of(
                _verdicts(bound, findings, "", "", None, None, None, deferred)[0]
            )
        return [found]
    out: list[AuditResult] = []
    for finding in findings:
        key = (finding, deferred)
        found = cache.get(key)
        if found is None:
            if len(cache) >= _RESULTS_KEPT:
                cache.clear()
            found = cache[key] = AuditResult.of(
                _verdicts(bound, [finding], "", "", None, None, None, deferred)[0]
            )
        out.append(found)
    return out


def audit_results(
    resource: ResourceView,
    bound: BoundPacks,
    now: datetime,
    waivers: WaiverBook | None = None,
    grace: timedelta = PAPERWORK_GRACE,
) -> list[AuditResult]:
    """The results of every applicable bound audit rule on ``resource``, passes included:
    :func:`audit`'s verdicts of the resource without their subject, in the same order.

    What does not depend on the resource (the level gate, a missing system binding,
    pending inputs) is decided once per (kind, level, bound to a system) by
    :func:`_audit_steps`, and only rule bodies run per resource. Active waivers turn
    matching failures into ``waived`` results; expired ones no longer do.
    """
    system = resource.system
    level = system.level if system is not None else None
    grace_checked: bool | None = None
    out: list[AuditResult] = []
    for rule, fixed in _audit_steps(bound, resource.kind, level, system is not None):
        if fixed is not None:
            findings = list(fixed)
        else:
            findings = []
            try:
                findings.extend(rule.rule.resource(resource, rule.params, now))
            except MissingInput as missing:
                findings.append(not_evaluable(missing.name))
        deferred = False
        if rule.spec.paperwork:
            if grace_checked is None:
                grace_checked = _within_grace(resource, now, grace)
            deferred = grace_checked
        out.extend(_results(rule, findings, deferred))
    if waivers is not None:
        name = system.name if system is not None else None
        for index, result in enumerate(out):
            if result.outcome is Outcome.FAIL:
                verdict = result.verdict(resource.kind, resource.id, name, resource.tenant, now)
                waived = waivers.apply(verdict, now)
                if waived is not verdict:
                    out[index] = AuditResult.of(waived)
    return out


def audit(
    resources: Iterable[ResourceView],
    bound: BoundPacks,
    now: datetime,
    waivers: WaiverBook | None = None,
    grace: timedelta = PAPERWORK_GRACE,
) -> Iterator[Verdict]:
    """Every applicable bound audit rule on every resource, passes included.

    The same verdicts as :func:`evaluate_resource` of each rule the binding's index
    gives the resource's (kind, level), so rules that cannot apply cost nothing: each
    resource's :func:`audit_results` put on the resource.
    """
    for resource in resources:
        system = resource.system
        name = system.name if system is not None else None
        kind, subject, tenant = resource.kind, resource.id, resource.tenant
        for result in audit_results(resource, bound, now, waivers, grace):
            yield result.verdict(kind, subject, name, tenant, now)


def _audit_steps(
    bound: BoundPacks, kind: str, level: int | None, has_system: bool
) -> tuple[_Step, ...]:
    """Each audit rule of ``bound`` for a resource of ``kind`` at ``level``, with its
    findings when they do not depend on the resource (as :func:`evaluate_resource`
    decides them), else ``None``."""
    key = (kind, level, has_system)
    steps = bound.audit_by_kind.get(key)
    if steps is None:
        rules = bound.audit_index.get((kind, level), ())
        steps = bound.audit_by_kind[key] = _steps(rules, level, has_system)
    return steps
