"""The inventory area's user-visible words, in Simplified Chinese and English."""

from __future__ import annotations

from controlplane.i18n import Lang

__all__ = ["say"]

_WORDS: dict[str, tuple[str, str]] = {
    "provider": ("云平台", "PROVIDER"),
    "tenant": ("部门", "TENANT"),
    "system": ("信息系统", "SYSTEM"),
    "kind": ("类型", "KIND"),
    "name": ("名称", "NAME"),
    "state": ("状态", "STATE"),
    "status": ("平台原始状态", "RAW STATUS"),
    "managed": ("纳管", "MANAGED"),
    "drift": ("漂移", "DRIFT"),
    "age": ("存在时长", "AGE"),
    "resource_id": ("资源ID", "RESOURCE ID"),
    "first_seen": ("首次发现", "FIRST SEEN"),
    "last_seen": ("最近发现", "LAST SEEN"),
    "resolved": ("已消除", "RESOLVED"),
    "detail": ("详情", "DETAIL"),
    "missing": ("缺失", "missing"),
    "changed": ("被改动", "changed"),
    "unmanaged": ("未纳管", "unmanaged"),
    "healthy": ("健康", "healthy"),
    "unhealthy": ("不健康", "unhealthy"),
    "latency": ("延迟", "latency"),
    "observed": ("观测到", "observed"),
    "created": ("新增", "created"),
    "updated": ("更新", "updated"),
    "unchanged": ("未变", "unchanged"),
    "gone": ("已消失", "gone"),
    "drift_found": ("新发现漂移", "drift found"),
    "drift_resolved": ("已消除漂移", "drift resolved"),
    "drift_open": ("未处理漂移", "open drift"),
    "none": ("无", "none"),
    "error": ("错误", "error"),
    "unknown_provider": ("资源目录中没有该云平台", "no such provider in the estate"),
    "name_or_all": ("请给出云平台名称，或使用 --all", "give a provider NAME or --all"),
    "recreate": ("重建", "recreate"),
    "restore": ("恢复", "restore"),
    "retag": ("恢复标记", "retag"),
    "remove": ("删除", "remove"),
    "report": ("仅报告", "report"),
    "repair_plan": ("修复计划", "repair plan"),
    "repair_empty": ("没有漂移，无需修复", "no drift: nothing to repair"),
    "repair_done": ("修复完成，剩余漂移 {left} 条", "repaired; {left} drift left"),
    "repair_dry_run": ("试运行：未做任何更改", "dry run: nothing changed"),
    "repair_prune_hint": (
        "未纳管资源仅报告；加 --prune-unmanaged 才会删除",
        "unmanaged resources are only reported; --prune-unmanaged removes them",
    ),
    "system_ref": ("请以 部门/系统 给出系统", "give the system as TENANT/SYSTEM"),
    "shown_of": (
        "显示 {shown} / 共 {total} 条",
        "showing {shown} of {total}",
    ),
}


def say(key: str, lang: Lang, **values: object) -> str:
    """The phrase ``key`` in ``lang`` (``{placeholders}`` filled from ``values``)."""
    zh, en = _WORDS[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text
