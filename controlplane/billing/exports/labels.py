"""Headings and words of the finance exports, in Simplified Chinese and English.

Owns every user-visible string of the exports, keyed by language (``"zh"``, the
default, or ``"en"``). Imports nothing internal.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]

_LABELS: dict[str, tuple[str, str]] = {
    "title": ("政务云服务费用结算单", "Government Cloud Service Statement"),
    "summary": ("汇总", "Summary"),
    "month": ("账期", "Month"),
    "tenant": ("部门编码", "Department code"),
    "tenant_name": ("部门名称", "Department"),
    "record": ("记录类型", "Record"),
    "system": ("信息系统", "System"),
    "provider": ("云平台", "Provider"),
    "tier": ("层级", "Tier"),
    "meter": ("计量项", "Meter"),
    "unit": ("单位", "Unit"),
    "proration": ("计费方式", "Proration"),
    "rate_version": ("价目版本", "Rate card version"),
    "approval_ref": ("文号", "Approval ref."),
    "approver": ("审批人", "Approver"),
    "unit_price": ("单价（元/单位·月）", "Unit price (CNY/unit·month)"),
    "billed_quantity": ("计费量", "Billed quantity"),
    "period_units": ("当月计费单位数", "Units in month"),
    "discount": ("折扣（%）", "Discount (%)"),
    "amount": ("金额（元）", "Amount (CNY)"),
    "note": ("说明", "Note"),
    "content_hash": ("内容哈希（SHA-256）", "Content hash (SHA-256)"),
    "line": ("明细", "line"),
    "adjustment": ("调整", "adjustment"),
    "subtotal": ("小计", "Subtotal"),
    "lines_total": ("用量费用合计", "Usage charges"),
    "adjustments_total": ("调整合计", "Adjustments"),
    "total": ("应付总额", "Total due"),
    "adjustments": ("调整项", "Adjustments"),
    "reason": ("原因", "Reason"),
    "relates_to": ("所属账期", "Relates to"),
    "evidence": ("依据", "Evidence"),
    "kind": ("类别", "Kind"),
    "no_lines": ("本月无用量", "No usage this month"),
    "sla": ("服务水平考核扣减", "SLA deduction"),
    "correction": ("更正", "Correction"),
    "hour": ("按小时", "hourly"),
    "day": ("按天", "daily"),
    "month_rate": ("按月", "monthly"),
    "provincial": ("省级", "provincial"),
    "municipal": ("市级", "municipal"),
    "sector": ("行业", "sector"),
    "versions": ("价目表版本及文号", "Rate card versions and approval refs"),
}


def label(key: str, lang: Lang) -> str:
    """The ``lang`` text of ``key``; an unknown key is a programming error."""
    zh, en = _LABELS[key]
    return zh if lang == "zh" else en


def check_lang(lang: str) -> Lang:
    if lang == "zh":
        return "zh"
    if lang == "en":
        return "en"
    raise ValueError(f"export language must be 'zh' or 'en', got {lang!r}")


def proration_label(proration: str, lang: Lang) -> str:
    return label("month_rate" if proration == "month" else proration, lang)
