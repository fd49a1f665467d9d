"""The compliance report of a level-3 system, built from stored results.

Cases: the report's totals equal an independent count of the stored rows of that
system in the latest run; the Markdown carries those totals, the per-测评单元
conclusions (部分符合 where a rule both passed and failed, 高风险 flagged) and the open
waiver; the XLSX, opened with openpyxl, has the same totals, one evidence row per
stored result and the waiver; an unknown system and a database never audited are
refused.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from controlplane.app import App
from controlplane.compliance import (
    NoAuditRun,
    StaticRoles,
    SystemNotFound,
    compliance_service,
    waiver_service,
)
from controlplane.compliance.store import held_at
from controlplane.db.tables_compliance import AuditRun, PolicyResult
from policies import WaiverScope
from policies.reports import Conclusion, render_markdown, render_xlsx

from .conftest import Inventory


def _stored_counts(app: App, system: str) -> Counter[str]:
    with app.sessions() as session:
        run = session.exec(select(AuditRun).order_by(col(AuditRun.id).desc())).first()
        assert run is not None
        rows = session.exec(
            select(PolicyResult.outcome)
            .where(held_at(run.id))
            .where(col(PolicyResult.system) == system)
        )
        return Counter(rows)


@pytest.fixture
def audited(app: App, sample: Inventory) -> App:
    waivers = waiver_service(app, StaticRoles({"sec-lead": ["approver"]}))
    asked = waivers.request(
        rule_id="DATA-IMP-02",
        scope=WaiverScope.RESOURCE,
        target="vol-plain",
        reason="迁移排期 / migration scheduled",
        expires_at=app.clock() + timedelta(days=30),
        requester="ops",
    )
    assert asked.id is not None
    waivers.approve(asked.id, approver="sec-lead")
    service = compliance_service(app)
    service.audit()
    sample.update("logs-short", retention_days=30)
    service.audit()  # the report reads the latest run
    return app


def test_report_counts_match_stored_results(audited: App) -> None:
    report = compliance_service(audited).report("sso-portal")
    stored = _stored_counts(audited, "sso-portal")
    assert {str(k): v for k, v in report.totals.items()} == dict(stored)
    assert report.result_count == sum(stored.values()) > 0
    assert stored["fail"] and stored["pass"] and stored["waived"] == 1
    retention = next(c for c in report.controls if "L3-SMC1-10" in c.units)
    assert retention.conclusion is Conclusion.PARTIAL and retention.high_risk
    assert [w.id for w in report.waivers] == ["W-1"]


def test_markdown_and_xlsx_render_the_stored_counts(audited: App) -> None:
    report = compliance_service(audited).report("sso-portal")
    stored = _stored_counts(audited, "sso-portal")
    order = ("pass", "fail", "waived", "not_applicable", "not_evaluable")
    totals_row = "| " + " | ".join(str(stored[o]) for o in order) + f" | {sum(stored.values())} |"

    markdown = render_markdown(report, "zh")
    assert "信息系统: sso-portal" in markdown
    assert totals_row in markdown
    assert "部分符合" in markdown and "| 是 |" in markdown  # a 高风险 control
    assert "| W-1 | DATA-IMP-02 | resource:vol-plain |" in markdown

    book = load_workbook(io.BytesIO(render_xlsx(report, "zh")))
    summary = {row[0]: row[1] for row in book["结果汇总"].iter_rows(values_only=True)}
    labels = {"pass": "通过", "fail": "不通过", "waived": "已豁免"}
    labels |= {"not_applicable": "不适用", "not_evaluable": "无法评估"}
    assert {o: summary[labels[o]] for o in order} == {o: stored[o] for o in order}
    assert summary["合计"] == sum(stored.values())
    evidence = list(book["证据"].iter_rows(values_only=True))[1:]
    assert len(evidence) == sum(stored.values())
    assert Counter(row[4] for row in evidence)["已豁免"] == 1
    waivers = list(book["有效豁免"].iter_rows(values_only=True))[1:]
    assert [row[0] for row in waivers] == ["W-1"]


def test_unknown_system_and_no_run_are_refused(app: App, sample: Inventory) -> None:
    service = compliance_service(app)
    with pytest.raises(NoAuditRun):
        service.report("sso-portal")
    service.audit()
    with pytest.raises(SystemNotFound):
        service.report("no-such-system")
