"""Admission, audit and waivers over bound packs.

Cases: the design's level-3 example plan is admitted under every built-in pack; an
enforced failure denies naming rule, clause and field; warn mode admits with a warning;
an enforced critical rule that cannot be evaluated denies (fail closed); the system
level selects the rules; audit evaluates only rules indexed for a resource's kind and
level, and gives exactly what evaluating each of them alone gives; a resource's
``audit_results`` are shared by subjects judged alike (a waived one is its subject's
own) and are the audit's verdicts without the subject. Waivers: a valid grant; same-person approval refused; an approver without the
role refused; critical rule refused; missing or past expiry refused; a waived failure
still shows (as waived) and, once the waiver expires, is a violation again; scope
matching by system, resource and tenant.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from policy_fixtures import NOW, make_plan, make_system

from policies import (
    BUILTIN_PACKS,
    AdmissionResult,
    BoundPacks,
    Enforcement,
    IngressRule,
    Outcome,
    PlanView,
    ResourceView,
    WaiverBook,
    WaiverRefused,
    WaiverScope,
    admit,
    assess,
    audit,
    audit_results,
    bind_packs,
    evaluate_plan,
    evaluate_resource,
    grant_waiver,
)
from policies.binding import BoundRule

ALL = bind_packs(BUILTIN_PACKS)


def approvers(name: str) -> bool:
    return name in {"li.approver", "wang.approver"}


def test_design_example_is_admitted() -> None:
    result = admit(make_plan(), ALL)
    assert result.admitted, [v.message_en for v in result.denials]
    assert not result.denials
    assert {v.rule_id for v in result.verdicts} == {b.spec.id for b in ALL.admission_rules}


def test_enforced_failure_denies_with_rule_clause_and_field() -> None:
    plan = make_plan()
    bad = replace(plan, ingress=(*plan.ingress, IngressRule("internet", 3389)))
    result = admit(bad, ALL)
    assert not result.admitted
    denial = next(v for v in result.denials if v.rule_id == "MLPS-L1-NET-02")
    assert denial.field == "spec.network.ingress[2].port"
    assert "8.1.4.4 b, c" in denial.message_zh and "3389" in denial.message_en


def test_warn_mode_admits_with_a_warning() -> None:
    warned = BoundPacks.of(
        (),
        [
            replace(b, enforcement=Enforcement.WARN) if b.spec.id == "MLPS-L3-HA-01" else b
            for b in ALL.rules.values()
        ],
    )
    plan = make_plan()
    bad = replace(plan, compute=(replace(plan.compute[0], count=1),))
    result = admit(bad, warned)
    assert result.admitted
    assert [v.rule_id for v in result.warnings] == ["MLPS-L3-HA-01"]


def test_unevaluable_critical_rule_fails_closed() -> None:
    result = admit(replace(make_plan(), provider=None), ALL)
    assert not result.admitted
    assert {v.rule_id for v in result.denials} >= {"MLPS-L2-PLT-01", "MLPS-L1-LOC-01"}
    assert all(v.outcome is Outcome.NOT_EVALUABLE for v in result.denials)


def test_system_level_selects_rules() -> None:
    level2 = make_plan(2)
    unencrypted = replace(
        level2.compute[0], volumes=(replace(level2.compute[0].volumes[0], encrypted=False),)
    )
    plan = replace(
        level2, compute=(unencrypted,), system=replace(level2.system, data_grade="general")
    )
    by_rule = {v.rule_id: v for v in admit(plan, ALL).verdicts}
    assert by_rule["MLPS-L3-IMG-03"].outcome is Outcome.NOT_APPLICABLE
    l3 = replace(plan, system=replace(plan.system, level=3))
    by_rule = {v.rule_id: v for v in admit(l3, ALL).verdicts}
    assert by_rule["MLPS-L3-IMG-03"].outcome is Outcome.FAIL


def _volume(rid: str, system: str = "portal", replicas: int = 1) -> ResourceView:
    return ResourceView(
        kind="volume",
        id=rid,
        name=rid,
        tenant="hrss",
        system=replace(make_system(3), name=system),
        attrs={"replica_count": replicas},
    )


def test_audit_uses_the_kind_and_level_index() -> None:
    only = BoundPacks.of((), [ALL.rules["MLPS-L3-BAK-05"], ALL.rules["MLPS-L1-NET-04"]])
    volume = _volume("v1")
    level2 = replace(volume, system=make_system(2))
    unknown = replace(volume, kind="quantum_foam")
    results = list(audit([volume, level2, unknown], only, NOW))
    assert [(r.subject_id, r.rule_id, r.outcome) for r in results] == [
        ("v1", "MLPS-L3-BAK-05", Outcome.FAIL)
    ]


def test_audit_gives_what_each_indexed_rule_gives() -> None:
    """The audit's per-(kind, level) steps decide exactly as evaluate_resource does:
    without a system, with a system of no level, at every level, within the paperwork
    grace period, with inputs missing and present."""
    kinds = sorted({kind for kind, _ in ALL.audit_index})
    systems = [None, replace(make_system(3), level=None)]
    systems += [make_system(level) for level in (1, 2, 3, 4)]
    systems.append(replace(make_system(3), live_since=NOW - timedelta(days=1)))
    attrs: list[dict[str, object]] = [{}, {"encrypted": False, "replica_count": 1}]
    views = [
        ResourceView(kind, f"{kind}-{n}", kind, "hrss", system=system, attrs=given)
        for kind in kinds
        for n, (system, given) in enumerate((s, a) for s in systems for a in attrs)
    ]
    expected = [
        verdict
        for view in views
        for rule in ALL.audit_index.get(
            (view.kind, view.system.level if view.system is not None else None), ()
        )
        for verdict in evaluate_resource(rule, view, NOW)
    ]
    assert len(expected) > len(views)
    assert list(audit(views, ALL, NOW)) == expected


def _grant(**overrides: object) -> object:
    args: dict[str, object] = {
        "waiver_id": "W-1",
        "rule_id": "MLPS-L3-BAK-05",
        "scope": WaiverScope.SYSTEM,
        "target": "portal",
        "reason": "存储池扩容中 / pool expansion under way",
        "requester": "zhao.ops",
        "approver": "li.approver",
        "expires_at": NOW + timedelta(days=30),
        "now": NOW,
        "is_approver": approvers,
    }
    args.update(overrides)
    return grant_waiver(**args)  # type: ignore[arg-type]


def test_valid_waiver_is_granted() -> None:
    waiver = _grant()
    assert waiver.active(NOW) and not waiver.active(NOW + timedelta(days=30))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"approver": "zhao.ops", "is_approver": lambda _: True}, "cannot approve their own"),
        ({"approver": "sun.clerk"}, "does not hold the approver role"),
        ({"rule_id": "MLPS-L2-DAT-01"}, "cannot be waived"),
        ({"expires_at": None}, "expiry is mandatory"),
        ({"expires_at": NOW - timedelta(seconds=1)}, "in the past"),
        ({"expires_at": NOW + timedelta(days=400)}, "at most"),
        ({"reason": "  "}, "reason is required"),
    ],
)
def test_waiver_refusals(overrides: dict[str, object], reason: str) -> None:
    with pytest.raises(WaiverRefused) as caught:
        _grant(**overrides)
    assert any(reason in en for _, en in caught.value.reasons), caught.value.reasons


def test_waived_then_expired_becomes_a_violation_again() -> None:
    waiver = _grant()
    book = WaiverBook([waiver])  # type: ignore[list-item]
    only = BoundPacks.of((), [ALL.rules["MLPS-L3-BAK-05"]])
    resources = [_volume("v1"), _volume("v2", system="other"), _volume("v3", replicas=3)]
    during = {r.subject_id: r for r in audit(resources, only, NOW + timedelta(days=1), book)}
    assert during["v1"].outcome is Outcome.WAIVED and during["v1"].waiver_id == "W-1"
    assert during["v2"].outcome is Outcome.FAIL  # another system: not covered
    assert during["v3"].outcome is Outcome.PASS
    after = {r.subject_id: r for r in audit(resources, only, NOW + timedelta(days=31), book)}
    assert after["v1"].outcome is Outcome.FAIL and after["v1"].waiver_id is None


def test_waiver_scopes_and_critical_guard() -> None:
    (fail,) = audit([_volume("v1")], BoundPacks.of((), [ALL.rules["MLPS-L3-BAK-05"]]), NOW)
    by_resource = replace(_grant(), scope=WaiverScope.RESOURCE, target="v1")  # type: ignore[type-var]
    by_tenant = replace(_grant(), scope=WaiverScope.TENANT, target="hrss")  # type: ignore[type-var]
    wrong = replace(_grant(), scope=WaiverScope.TENANT, target="edu")  # type: ignore[type-var]
    for waiver, expected in (
        (by_resource, Outcome.WAIVED),
        (by_tenant, Outcome.WAIVED),
        (wrong, Outcome.FAIL),
    ):
        assert WaiverBook([waiver]).apply(fail, NOW).outcome is expected
    critical = replace(
        fail, rule_id="MLPS-L2-DAT-01", severity=ALL.rules["MLPS-L2-DAT-01"].spec.severity
    )
    forged = replace(by_resource, rule_id="MLPS-L2-DAT-01")
    assert WaiverBook([forged]).apply(critical, NOW).outcome is Outcome.FAIL


def test_bound_rule_messages_are_cached_per_rule() -> None:
    bound: BoundRule = ALL.rules["CSL-LOG-01"]
    assert bound.pass_zh is bound.pass_zh
    assert "CSL-LOG-01" in bound.pass_en


def _plans_to_judge() -> list[tuple[PlanView, BoundPacks]]:
    plan, level2 = make_plan(), make_plan(2)
    warned = BoundPacks.of(
        (), [replace(b, enforcement=Enforcement.WARN) for b in ALL.rules.values()]
    )
    no_paperwork = replace(plan, system=replace(plan.system, filing_number=None, assessed_on=None))
    internet_rdp = replace(plan, ingress=(*plan.ingress, IngressRule("internet", 3389)))
    return [
        (plan, ALL),
        (level2, ALL),
        (internet_rdp, ALL),
        (internet_rdp, warned),
        (replace(plan, provider=None), ALL),
        (replace(plan, provider=None), warned),
        (no_paperwork, ALL),
        (replace(plan, system=replace(plan.system, level=None)), ALL),
    ]


@pytest.mark.parametrize("index", range(8))
def test_assessment_decides_as_its_verdicts_would(index: int) -> None:
    """``assess`` decides from findings and builds verdicts later: both as one rule at a
    time by ``evaluate_plan`` gives them and as the verdicts' own denials decide."""
    plan, bound = _plans_to_judge()[index]
    found = assess(plan, bound)
    expected = tuple(v for b in bound.admission_rules for v in evaluate_plan(b, plan))
    assert found.verdicts == expected
    assert found.admitted is (not AdmissionResult(True, expected).denials)
    assert found.denials == AdmissionResult(found.admitted, expected).denials
    assert found.warnings == AdmissionResult(found.admitted, expected).warnings
    assert admit(plan, bound) == AdmissionResult(found.admitted, expected)


def test_assessment_covers_admitted_and_denied_plans() -> None:
    decided = [assess(plan, bound).admitted for plan, bound in _plans_to_judge()]
    assert True in decided and False in decided


def test_audit_results_are_shared_and_waivers_stay_per_subject() -> None:
    """A resource's results are its verdicts without the subject; subjects judged alike
    share the same result objects, and a waiver changes only its own subject's."""
    waiver = _grant()
    book = WaiverBook([waiver])  # type: ignore[list-item]
    only = BoundPacks.of((), [ALL.rules["MLPS-L3-BAK-05"]])
    at = NOW + timedelta(days=1)
    v1, v2, v3 = _volume("v1"), _volume("v2", system="other"), _volume("v3", system="other")
    (r1,), (r2,), (r3,) = (audit_results(v, only, at, book) for v in (v1, v2, v3))
    assert r2 is r3 and r2.outcome is Outcome.FAIL  # alike: one object
    assert r1.outcome is Outcome.WAIVED and r1.waiver_id == "W-1"  # covered: its own
    assert [r.verdict(v.kind, v.id, v.system.name, v.tenant, at) for r, v in
            ((r1, v1), (r2, v2))] == list(audit([v1, v2], only, at, book))  # fmt: skip
