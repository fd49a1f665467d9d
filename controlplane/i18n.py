"""User-visible words in Simplified Chinese and English.

The language comes from ``GOVCLOUD_LANG`` or, failing that, the locale (``LANG``/
``LC_ALL`` starting with ``zh`` → Chinese); bills and the TUI default to Chinese there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

__all__ = ["Lang", "detect_lang", "tr"]

Lang = Literal["zh", "en"]

_WORDS: dict[str, tuple[str, str]] = {
    # tiers and kinds
    "provincial": ("省级", "provincial"),
    "municipal": ("市级", "municipal"),
    "sector": ("行业", "sector"),
    "openstack": ("OpenStack", "OpenStack"),
    "kubernetes": ("Kubernetes", "Kubernetes"),
    "simulator": ("模拟器", "simulator"),
    # column headings
    "name": ("名称", "NAME"),
    "tier": ("层级", "TIER"),
    "kind": ("类型", "KIND"),
    "serves": ("服务范围", "SERVES"),
    "level": ("等保", "LEVEL"),
    "arch": ("架构", "ARCH"),
    "xinchuang": ("信创", "XC"),
    "vcpu": ("vCPU", "VCPU"),
    "memory": ("内存GiB", "MEM GiB"),
    "storage": ("存储GiB", "DISK GiB"),
    "code": ("编码", "CODE"),
    "budget": ("年度预算(元)", "BUDGET CNY"),
    "amount": ("金额(元)", "AMOUNT CNY"),
    "id": ("编号", "ID"),
    "tenant": ("部门", "TENANT"),
    "system": ("系统", "SYSTEM"),
    "state": ("状态", "STATE"),
    "updated": ("更新时间", "UPDATED"),
    "principal": ("主体", "PRINCIPAL"),
    "expires": ("到期时间", "EXPIRES"),
    "city": ("城市", "CITY"),
    "field": ("字段", "FIELD"),
    "value": ("值", "VALUE"),
    "entity": ("对象", "ENTITY"),
    "action": ("操作", "ACTION"),
    "changed": ("变更字段", "CHANGED"),
    "count": ("数量", "COUNT"),
    "health": ("健康", "HEALTHY"),
    "latency ms": ("延迟ms", "LATENCY ms"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "create": ("新建", "create"),
    "update": ("更新", "update"),
    "delete": ("删除", "delete"),
    # messages
    "estate.unchanged": (
        "资源目录无变化（重复应用不做任何修改）",
        "estate unchanged (re-apply is a no-op)",
    ),
    "estate.applied": ("资源目录已应用", "estate applied"),
    "estate.dry_run": ("仅预览，未做任何修改", "dry run: nothing was changed"),
    "invalid": ("输入无效，未做任何修改", "invalid input; nothing was changed"),
    "not_found": ("未找到", "not found"),
    "audit.ok": ("审计日志完整，哈希链校验通过", "audit log intact: hash chain verified"),
    "audit.broken": ("审计日志被篡改", "audit log has been tampered with"),
}


def detect_lang(env: Mapping[str, str] | None = None) -> Lang:
    env = os.environ if env is None else env
    explicit = env.get("GOVCLOUD_LANG", "").lower()
    if explicit in ("zh", "en"):
        return "zh" if explicit == "zh" else "en"
    locale = env.get("LC_ALL") or env.get("LC_MESSAGES") or env.get("LANG") or ""
    return "zh" if locale.lower().startswith("zh") else "en"


def tr(key: str, lang: Lang) -> str:
    """The word for ``key`` in ``lang``; unknown keys come back as themselves."""
    pair = _WORDS.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]
