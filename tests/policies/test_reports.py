"""Compliance reports for a sample level-3 system.

Cases: conclusions per row (符合 / 部分符合 / 不符合 / 不适用 / 无法判定) from the
outcome mix; a report built from an audit of a level-3 system (with a waived result and
results of another system filtered out) has totals equal to the input results; the
Markdown, JSON and XLSX renderings carry the same counts (the XLSX opened with
openpyxl: summary totals, control-row sums and one evidence row per result); open
waivers and 高风险 flags appear; English headings on request; results stored as
plain records and read back give the same report.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from policy_fixtures import NOW, make_system

from policies import (
    BUILTIN_PACKS,
    IngressRule,
    Outcome,
    ResourceView,
    Verdict,
    WaiverBook,
    WaiverScope,
    audit,
    bind_packs,
    grant_waiver,
)
from policies.reports import (
    Conclusion,
    build_report,
    render_json,
    render_markdown,
    render_xlsx,
)
from policies.reports.model import conclude
from policies.reports.render import OUTCOME_ORDER


@pytest.mark.parametrize(
    ("counts", "conclusion"),
    [
        ({Outcome.PASS: 3}, Conclusion.CONFORM),
        ({Outcome.PASS: 2, Outcome.FAIL: 1}, Conclusion.PARTIAL),
        ({Outcome.PASS: 2, Outcome.WAIVED: 1}, Conclusion.PARTIAL),
        ({Outcome.FAIL: 2, Outcome.NOT_APPLICABLE: 1}, Conclusion.NONCONFORM),
        ({Outcome.NOT_APPLICABLE: 4}, Conclusion.NOT_APPLICABLE),
        ({}, Conclusion.NOT_APPLICABLE),
        ({Outcome.NOT_EVALUABLE: 1}, Conclusion.UNDETERMINED),
    ],
)
def test_conclusions(counts: dict[Outcome, int], conclusion: Conclusion) -> None:
    assert conclude(counts) is conclusion


def _inventory() -> list[ResourceView]:
    system = make_system(3)
    other = replace(system, name="other-system")

    def view(kind: str, rid: str, sys_: object = system, **attrs: object) -> ResourceView:
        return ResourceView(kind, rid, rid, "hrss", sys_, attrs=attrs)  # type: ignore[arg-type]

    return [
        view("system", system.name),
        view(
            "volume",
            "vol-1",
            replica_count=3,
            encrypted=True,
            key_owner="tenant",
            cipher="sm4",
            kms_gm_certified=True,
        ),
        view("volume", "vol-2", replica_count=1, encrypted=False),
        view("log_sink", "logs", retention_days=90, worm=True, tenant_deletable=False, backup=True),
        view("user", "u-1", human=True, mfa_enabled=False),
        replace(
            view("security_group", "sg-1", attached_ports=2), ingress=(IngressRule("internet", 22),)
        ),
        view("volume", "vol-x", sys_=other, replica_count=1),
    ]


def _results() -> tuple[list[Verdict], WaiverBook]:
    waiver = grant_waiver(
        waiver_id="W-7",
        rule_id="MLPS-L3-BAK-05",
        scope=WaiverScope.RESOURCE,
        target="vol-2",
        reason="迁移到三副本池中",
        requester="zhao.ops",
        approver="li.approver",
        expires_at=NOW + timedelta(days=20),
        now=NOW,
        is_approver=lambda name: name == "li.approver",
    )
    book = WaiverBook([waiver])
    return list(audit(_inventory(), bind_packs(BUILTIN_PACKS), NOW, book)), book


def test_report_counts_match_results_in_every_format() -> None:
    results, book = _results()
    mine = [r for r in results if r.system == "social-security-portal"]
    assert len(mine) < len(results)
    expected = Counter(r.outcome for r in mine)
    assert expected[Outcome.WAIVED] == 1 and expected[Outcome.FAIL] > 0
    report = build_report(
        results, system="social-security-portal", generated_at=NOW, waivers=book.waivers
    )
    assert dict(report.totals) == dict(expected)
    assert sum(sum(c.counts.values()) for c in report.controls) == len(mine)
    assert [w.id for w in report.waivers] == ["W-7"]
    risky = {c.key for c in report.controls if c.high_risk}
    assert "L3-SMC1-10" in risky  # log retention below six months
    assert "L3-CES1-04" in risky  # no MFA on a level-3 system

    data = json.loads(render_json(report))
    assert data["totals"] == {str(o): expected.get(o, 0) for o in OUTCOME_ORDER}
    assert sum(len(c["evidence"]) for c in data["controls"]) == len(mine)

    markdown = render_markdown(report)
    assert "# 等级保护合规报告" in markdown and "W-7" in markdown
    totals_row = (
        "| " + " | ".join(str(expected.get(o, 0)) for o in OUTCOME_ORDER) + f" | {len(mine)} |"
    )
    assert totals_row in markdown
    assert markdown.count("| volume/") + markdown.count("| system/") + markdown.count(
        "| log_sink/"
    ) + markdown.count("| user/") + markdown.count("| security_group/") == len(mine)

    book_ = load_workbook(io.BytesIO(render_xlsx(report)))
    assert book_.sheetnames == ["结果汇总", "测评单元结论", "证据", "有效豁免"]
    summary = {row[0]: row[1] for row in book_["结果汇总"].iter_rows(values_only=True)}
    assert summary["合计"] == len(mine)
    for outcome in OUTCOME_ORDER:
        assert summary[outcome.zh] == expected.get(outcome, 0)
    control_rows = list(book_["测评单元结论"].iter_rows(min_row=2, values_only=True))
    assert len(control_rows) == len(report.controls)
    assert sum(sum(row[3 : 3 + len(OUTCOME_ORDER)]) for row in control_rows) == len(mine)  # type: ignore[misc]
    evidence = list(book_["证据"].iter_rows(min_row=2, values_only=True))
    assert len(evidence) == len(mine)
    assert Counter(row[4] for row in evidence) == {o.zh: n for o, n in expected.items()}
    assert [row[0] for row in book_["有效豁免"].iter_rows(min_row=2, values_only=True)] == ["W-7"]


def test_english_rendering_and_not_applicable_rows() -> None:
    results, _ = _results()
    report = build_report(results, generated_at=NOW, rules=["MLPS-L4-PLT-02"])
    plt = next(c for c in report.controls if any(s.id == "MLPS-L4-PLT-02" for s in c.rules))
    assert plt.conclusion is Conclusion.NOT_APPLICABLE and not plt.evidence
    markdown = render_markdown(report, lang="en")
    assert "# Classified-protection compliance report" in markdown
    assert "not applicable" in markdown
    sheet = load_workbook(io.BytesIO(render_xlsx(report, lang="en")))
    assert sheet.sheetnames[0] == "Summary"


def test_report_from_stored_records_is_identical() -> None:
    results, book = _results()
    stored = [json.loads(json.dumps(r.to_record())) for r in results]
    again = [Verdict.from_record(record) for record in stored]
    first = build_report(results, generated_at=NOW, waivers=book.waivers)
    second = build_report(again, generated_at=NOW, waivers=book.waivers)
    assert render_json(first) == render_json(second)


def test_expired_waivers_are_not_listed_as_open() -> None:
    results, book = _results()
    later = NOW + timedelta(days=30)
    report = build_report(results, generated_at=later, waivers=book.waivers)
    assert report.waivers == ()
