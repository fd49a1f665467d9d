"""Render a :class:`~policies.reports.model.ComplianceReport` as Markdown, JSON or XLSX.

Chinese headings by default, English with ``lang="en"``. Every renderer prints the
totals from the report, and the evidence rows are the input results, one each, so a
reader (or a test) can check that the counts add up. Pure: returns text or bytes.
Imports only :mod:`policies` and openpyxl.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

from openpyxl import Workbook

from policies.reports.model import ComplianceReport, ControlResult
from policies.verdicts import Outcome, Verdict

__all__ = ["OUTCOME_ORDER", "render_json", "render_markdown", "render_xlsx", "report_data"]

OUTCOME_ORDER = (
    Outcome.PASS,
    Outcome.FAIL,
    Outcome.WAIVED,
    Outcome.NOT_APPLICABLE,
    Outcome.NOT_EVALUABLE,
)

_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "等级保护合规报告",
        "system": "信息系统",
        "all": "全部",
        "generated": "生成时间",
        "summary": "结果汇总",
        "controls": "测评单元结论",
        "unit": "测评单元/条款",
        "rules": "规则",
        "conclusion": "结论",
        "high_risk": "高风险",
        "evidence": "证据",
        "subject": "检查对象",
        "time": "时间",
        "result": "结果",
        "message": "说明",
        "waivers": "有效豁免",
        "waiver": "豁免编号",
        "scope": "范围",
        "reason": "理由",
        "approver": "批准人",
        "expires": "到期",
        "total": "合计",
        "yes": "是",
        "no": "否",
        "none": "无",
    },
    "en": {
        "title": "Classified-protection compliance report",
        "system": "System",
        "all": "all",
        "generated": "Generated",
        "summary": "Summary",
        "controls": "Conclusions per assessment unit",
        "unit": "Unit / clause",
        "rules": "Rules",
        "conclusion": "Conclusion",
        "high_risk": "High risk",
        "evidence": "Evidence",
        "subject": "Subject",
        "time": "Time",
        "result": "Result",
        "message": "Message",
        "waivers": "Open waivers",
        "waiver": "Waiver",
        "scope": "Scope",
        "reason": "Reason",
        "approver": "Approver",
        "expires": "Expires",
        "total": "Total",
        "yes": "yes",
        "no": "no",
        "none": "none",
    },
}


def _outcome(outcome: Outcome, lang: str) -> str:
    return outcome.zh if lang == "zh" else str(outcome)


def _time(at: datetime | None) -> str:
    return at.isoformat(timespec="seconds") if at is not None else ""


def _message(v: Verdict, lang: str) -> str:
    return v.message_zh if lang == "zh" else v.message_en


def _rule_titles(control: ControlResult, lang: str) -> str:
    return "; ".join(f"{s.id} {s.title_zh if lang == 'zh' else s.title_en}" for s in control.rules)


def report_data(report: ComplianceReport, lang: str = "zh") -> dict[str, Any]:
    """The report as JSON-ready data."""
    return {
        "system": report.system,
        "generated_at": _time(report.generated_at),
        "language": lang,
        "baselineOptOut": None if report.opt_out is None else report.opt_out.to_record(),
        "totals": {str(o): report.totals.get(o, 0) for o in OUTCOME_ORDER},
        "result_count": report.result_count,
        "controls": [
            {
                "key": c.key,
                "units": list(c.units),
                "rules": [s.id for s in c.rules],
                "clauses": [s.citation_zh if lang == "zh" else s.citation_en for s in c.rules],
                "conclusion": str(c.conclusion),
                "conclusion_label": c.conclusion.label(lang),
                "high_risk": c.high_risk,
                "counts": {str(o): c.counts.get(o, 0) for o in OUTCOME_ORDER},
                "evidence": [v.to_record() for v in c.evidence],
                "waivers": [w.id for w in c.waivers],
            }
            for c in report.controls
        ],
        "waivers": [
            {
                "id": w.id,
                "rule_id": w.rule_id,
                "scope": str(w.scope),
                "target": w.target,
                "reason": w.reason,
                "requester": w.requester,
                "approver": w.approver,
                "expires_at": _time(w.expires_at),
            }
            for w in report.waivers
        ],
    }


def render_json(report: ComplianceReport, lang: str = "zh") -> str:
    return json.dumps(report_data(report, lang), ensure_ascii=False, indent=2)


def _opt_out_lines(report: ComplianceReport, lang: str) -> list[str]:
    opt_out = report.opt_out
    if opt_out is None:
        return []
    return ["", "> ⚠ " + (opt_out.warning_zh if lang == "zh" else opt_out.warning_en)]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: ComplianceReport, lang: str = "zh") -> str:
    t = _LABELS[lang]
    out: list[str] = [
        f"# {t['title']}",
        "",
        f"- {t['system']}: {report.system or t['all']}",
        f"- {t['generated']}: {_time(report.generated_at)}",
        *_opt_out_lines(report, lang),
        "",
        f"## {t['summary']}",
        "",
        "| " + " | ".join(_outcome(o, lang) for o in OUTCOME_ORDER) + f" | {t['total']} |",
        "|" + "---|" * (len(OUTCOME_ORDER) + 1),
        "| "
        + " | ".join(str(report.totals.get(o, 0)) for o in OUTCOME_ORDER)
        + f" | {report.result_count} |",
        "",
        f"## {t['controls']}",
        "",
        f"| {t['unit']} | {t['rules']} | {t['conclusion']} | "
        + " | ".join(_outcome(o, lang) for o in OUTCOME_ORDER)
        + f" | {t['high_risk']} |",
        "|" + "---|" * (len(OUTCOME_ORDER) + 4),
    ]
    for c in report.controls:
        counts = " | ".join(str(c.counts.get(o, 0)) for o in OUTCOME_ORDER)
        risk = t["yes"] if c.high_risk else t["no"]
        units = ", ".join(c.units) or c.key
        out.append(
            f"| {_cell(units)} | {_cell(_rule_titles(c, lang))} | "
            f"{c.conclusion.label(lang)} | {counts} | {risk} |"
        )
    out += ["", f"## {t['evidence']}", ""]
    for c in report.controls:
        if not c.evidence:
            continue
        out += [
            f"### {', '.join(c.units) or c.key} — {c.conclusion.label(lang)}",
            "",
            f"| {t['subject']} | {t['time']} | {t['result']} | {t['message']} |",
            "|---|---|---|---|",
        ]
        for v in c.evidence:
            out.append(
                f"| {_cell(f'{v.subject_kind}/{v.subject_id}')} | {_time(v.evaluated_at)} | "
                f"{_outcome(v.outcome, lang)} | {_cell(_message(v, lang))} |"
            )
        out.append("")
    out += [f"## {t['waivers']}", ""]
    if not report.waivers:
        out.append(t["none"])
    else:
        out += [
            f"| {t['waiver']} | {t['rules']} | {t['scope']} | {t['reason']} | "
            f"{t['approver']} | {t['expires']} |",
            "|---|---|---|---|---|---|",
        ]
        for w in report.waivers:
            out.append(
                f"| {w.id} | {w.rule_id} | {w.scope}:{_cell(w.target)} | {_cell(w.reason)} | "
                f"{w.approver} | {_time(w.expires_at)} |"
            )
    return "\n".join(out) + "\n"


def render_xlsx(report: ComplianceReport, lang: str = "zh") -> bytes:
    """A workbook with summary, control, evidence and waiver sheets."""
    t = _LABELS[lang]
    book = Workbook()
    summary = book.active
    summary.title = t["summary"]
    summary.append([t["system"], report.system or t["all"]])
    summary.append([t["generated"], _time(report.generated_at)])
    for outcome in OUTCOME_ORDER:
        summary.append([_outcome(outcome, lang), report.totals.get(outcome, 0)])
    summary.append([t["total"], report.result_count])

    controls = book.create_sheet(t["controls"][:31])
    controls.append(
        [t["unit"], t["rules"], t["conclusion"]]
        + [_outcome(o, lang) for o in OUTCOME_ORDER]
        + [t["high_risk"]]
    )
    for c in report.controls:
        controls.append(
            [", ".join(c.units) or c.key, _rule_titles(c, lang), c.conclusion.label(lang)]
            + [c.counts.get(o, 0) for o in OUTCOME_ORDER]
            + [t["yes"] if c.high_risk else t["no"]]
        )

    evidence = book.create_sheet(t["evidence"])
    evidence.append(
        [t["unit"], t["rules"], t["subject"], t["time"], t["result"], t["message"], t["waiver"]]
    )
    for c in report.controls:
        for v in c.evidence:
            evidence.append(
                [
                    ", ".join(c.units) or c.key,
                    v.rule_id,
                    f"{v.subject_kind}/{v.subject_id}",
                    _time(v.evaluated_at),
                    _outcome(v.outcome, lang),
                    _message(v, lang),
                    v.waiver_id or "",
                ]
            )

    waivers = book.create_sheet(t["waivers"])
    waivers.append([t["waiver"], t["rules"], t["scope"], t["reason"], t["approver"], t["expires"]])
    for w in report.waivers:
        waivers.append(
            [w.id, w.rule_id, f"{w.scope}:{w.target}", w.reason, w.approver, _time(w.expires_at)]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
