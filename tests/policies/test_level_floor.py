"""The 等保 floor: with no ``policies:`` section a system's level alone binds its packs.

Cases, over the rule registry at levels 2, 3 and 4: every enforce-mode admission rule
of the level's floor that has a failing plan fixture in ``test_rules.CASES`` (the
fixture's system re-graded to that level) also denies under an estate that binds
nothing (the rule id, its clause and the manifest field named in both languages), and
the corrected (passing) fixture is admitted; paperwork rules only warn at admission;
an advisory opt-out admits the same failures as warnings and carries its reason and
文号; the floor's rule set grows with the level.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_rules import CASES

from policies import (
    LEVEL_PACKS,
    BaselineOptOut,
    Enforcement,
    EstatePolicy,
    Outcome,
    PlanView,
    admit,
    evaluate_plan,
    get_rule,
)
from policies.level_baseline import floor_for

LEVELS = (2, 3, 4)
NO_SECTION = EstatePolicy()
ADVISORY = EstatePolicy(opt_out=BaselineOptOut("迁移期", "省数管〔2026〕12号"))


def _at(plan: PlanView, level: int) -> PlanView:
    return replace(plan, system=replace(plan.system, level=level))


def _fails_alone(rule_id: str, plan: PlanView) -> bool:
    """The fixture fails this rule on its own at the plan's level (the rule's own gate)."""
    bound = floor_for(plan.system.level).rules[rule_id]
    return any(v.outcome is Outcome.FAIL for v in evaluate_plan(bound, plan))


def _cases() -> list[tuple[int, str, PlanView, PlanView, str]]:
    out = []
    for level in LEVELS:
        floor = floor_for(level)
        for rule_id, good, bad, field in CASES:
            bound = floor.rules.get(rule_id)
            if bound is None or not isinstance(bad, PlanView) or not isinstance(good, PlanView):
                continue
            if bound.enforcement is not Enforcement.ENFORCE or bound.spec.paperwork:
                continue
            if _fails_alone(rule_id, _at(bad, level)):
                out.append((level, rule_id, _at(good, level), _at(bad, level), field))
    return out


CASES_BY_LEVEL = _cases()


def test_the_floor_covers_the_technical_rules_of_each_level() -> None:
    for level in LEVELS:
        covered = {rule_id for lv, rule_id, *_ in CASES_BY_LEVEL if lv == level}
        assert len(covered) >= 15, (level, sorted(covered))
    assert {"MLPS-L4-PLT-02"} <= {r for lv, r, *_ in CASES_BY_LEVEL if lv == 4}
    assert not {r for lv, r, *_ in CASES_BY_LEVEL if lv < 4} & {"MLPS-L4-PLT-02"}


@pytest.mark.parametrize(
    ("level", "rule_id", "good", "bad", "field"),
    CASES_BY_LEVEL,
    ids=[f"L{c[0]}-{c[1]}-{c[4]}" for c in CASES_BY_LEVEL],
)
def test_no_policies_section_still_denies_and_the_fix_passes(
    level: int, rule_id: str, good: PlanView, bad: PlanView, field: str
) -> None:
    bound = NO_SECTION.for_scope(level=level, tenant=bad.tenant)
    assert bound.packs == LEVEL_PACKS[level]
    denied = admit(bad, bound)
    assert not denied.admitted
    hits = [v for v in denied.denials if v.rule_id == rule_id and v.field == field]
    assert hits, [(v.rule_id, v.field) for v in denied.denials]
    clause = get_rule(rule_id).spec.clause
    for message in (hits[0].message_zh, hits[0].message_en):
        assert rule_id in message and clause in message and field in message
    fixed = admit(good, bound)
    assert fixed.admitted, [(v.rule_id, v.field) for v in fixed.denials]

    relaxed = admit(bad, ADVISORY.for_scope(level=level, tenant=bad.tenant))
    assert relaxed.admitted
    assert any(v.rule_id == rule_id and v.field == field for v in relaxed.warnings)


@pytest.mark.parametrize("level", LEVELS)
def test_paperwork_rules_only_warn_at_admission(level: int) -> None:
    bound = NO_SECTION.for_scope(level=level, tenant="hrss")
    paperwork = {r for r, b in bound.rules.items() if b.spec.paperwork and b.spec.mode.admission}
    assert "MLPS-L2-GOV-01" in paperwork
    plan = _at(
        replace(
            CASES[0][1],  # the compliant plan, without its filing number
            system=replace(CASES[0][1].system, filing_number=None),  # type: ignore[union-attr]
        ),
        level,
    )
    result = admit(plan, bound)
    assert result.admitted
    [warning] = [v for v in result.warnings if v.rule_id == "MLPS-L2-GOV-01"]
    assert warning.deferred and warning.field == "spec.records.filingNumber"


def test_floor_grows_with_the_level() -> None:
    l2, l3, l4 = (set(floor_for(level).rules) for level in LEVELS)
    assert l2 < l3 < l4
    assert set(floor_for(None).rules) >= l4
