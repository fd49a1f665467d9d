"""The user-visible words of the compliance commands, in Simplified Chinese and English.

Kept with the area that shows them (the shared :mod:`controlplane.i18n` table belongs to
the foundation); :func:`word` falls back to the key itself for anything not listed.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["word"]

_WORDS: Mapping[str, tuple[str, str]] = {
    "rule": ("规则", "Rule"),
    "severity": ("严重性", "Severity"),
    "levels": ("适用等级", "Levels"),
    "mode": ("模式", "Mode"),
    "status": ("状态", "Status"),
    "title": ("名称", "Title"),
    "implemented": ("已实现", "implemented"),
    "missing_input": ("无法评估，缺少输入：", "not evaluable, missing input: "),
    "run": ("审计批次", "Run"),
    "started_at": ("开始时间", "Started"),
    "finished_at": ("结束时间", "Finished"),
    "resources": ("资源数", "Resources"),
    "rules_bound": ("绑定规则数", "Rules bound"),
    "results": ("结果数", "Results"),
    "pass": ("通过", "pass"),
    "fail": ("不通过", "fail"),
    "waived": ("已豁免", "waived"),
    "not_applicable": ("不适用", "not applicable"),
    "not_evaluable": ("无法评估", "not evaluable"),
    "opened": ("新增违规", "new violations"),
    "resolved": ("已解决违规", "resolved violations"),
    "open": ("未解决", "open"),
    "id": ("编号", "ID"),
    "scope": ("范围", "Scope"),
    "reason": ("理由", "Reason"),
    "requester": ("申请人", "Requester"),
    "approver": ("批准人", "Approver"),
    "expires_at": ("到期", "Expires"),
    "state": ("状态", "State"),
    "requested": ("待批准", "requested"),
    "approved": ("已批准", "approved"),
    "subject": ("对象", "Subject"),
    "system": ("信息系统", "System"),
    "last_seen_at": ("最近发现", "Last seen"),
    "opened_at": ("首次发现", "Opened"),
    "waiver_requested": ("已提交豁免申请", "waiver requested"),
    "waiver_approved": ("已批准豁免", "waiver approved"),
    "report_written": ("报告已写入", "report written to"),
    "xlsx_needs_file": (
        "xlsx 格式须用 --output-file 指定输出文件",
        "xlsx needs an output file (--output-file FILE)",
    ),
    "refused": ("拒绝", "refused"),
}


def word(key: str, lang: str) -> str:
    pair = _WORDS.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]
