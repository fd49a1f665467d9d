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
    "audit.event": ("审计事件", "audit event"),
    "audit.anchored": (
        "最近的签名检查点：第 {seq} 号事件（{at}），其后 {after} 个事件仅由密钥担保",
        "latest signed checkpoint: event #{seq} ({at}); {after} event(s) after it rest on the key alone",
    ),
    "audit.no_checkpoint": (
        "尚无签名检查点：无法排除末尾事件被删除（运行 `govcloud audit checkpoint`）",
        "no signed checkpoint yet: deletion of the newest events cannot be ruled out "
        "(run `govcloud audit checkpoint`)",
    ),
    "audit.unkeyed": (
        "第 1–{count} 号事件写于密钥环启用之前，仅由普通摘要链接，由其后第一个带密钥事件封存",
        "events #1–#{count} predate the key ring: plainly chained, sealed by the first keyed event after them",
    ),
    "audit.checkpointed": (
        "已写入签名检查点：第 {seq} 号事件，哈希 {hash}",
        "signed checkpoint written: event #{seq}, hash {hash}",
    ),
    "audit.empty": ("审计日志为空，无需检查点", "the audit log is empty: nothing to checkpoint"),
    "audit.rotated": (
        "审计密钥已轮换：{old} → {new}（旧密钥保留用于校验）",
        "audit key rotated: {old} -> {new} (the old key is kept for verification)",
    ),
    "audit.break.removed": (
        "此处应为第 {expected} 号事件：有事件被删除",
        "expected #{expected} here: an event was removed",
    ),
    "audit.break.reordered": (
        "此处应为第 {expected} 号事件：事件重复或顺序被调换",
        "expected #{expected} here: an event was duplicated or reordered",
    ),
    "audit.break.link": (
        "前一哈希与前一事件不符",
        "previous-hash link does not match the event before it",
    ),
    "audit.break.altered": (
        "内容被修改（带密钥哈希不符）",
        "content was altered (keyed hash does not match)",
    ),
    "audit.break.rechained": (
        "第 {first}–{last} 号事件被重新链接：哈希在没有密钥的情况下被重算",
        "re-chained: events #{first}..#{last} were re-hashed without the audit key",
    ),
    "audit.break.forged": (
        "伪造的追加：第 {first}–{last} 号事件未经审计密钥签署",
        "forged append: events #{first}..#{last} are not sealed by the audit key",
    ),
    "audit.break.unkeyed": (
        "不带密钥的事件出现在第 {keyed} 号起的带密钥事件之后：伪造",
        "an event without a key after keyed events (keyed from #{keyed}): forged",
    ),
    "audit.break.unknown_key": (
        "由密钥 {key} 签署，但密钥环 {keyring} 中没有该密钥（伪造，或密钥环不完整）",
        "sealed with key {key}, which the key ring {keyring} does not hold (forged, or the ring is incomplete)",
    ),
    "audit.break.truncated": (
        "日志被截断：签名检查点（{at}）记录到第 {last} 号事件，但日志止于第 {head} 号；第 {first}–{last} 号事件被删除",
        "truncated: the signed checkpoint of {at} records event #{last} but the log ends at #{head}; "
        "events #{first}..#{last} were removed",
    ),
    "audit.break.emptied": (
        "日志被清空：签名检查点（{at}）记录了第 {first}–{last} 号事件，但日志中没有任何事件",
        "all events were removed: the signed checkpoint of {at} records events #{first}..#{last} "
        "but the log is empty",
    ),
    "audit.break.rewritten": (
        "链被改写：该事件的哈希与 {at} 的签名检查点不符",
        "the chain was rewritten: this event's hash differs from the signed checkpoint of {at}",
    ),
    "audit.break.malformed": (
        "行被篡改：字段 {field} 不是有效值（{problem}）",
        "row was tampered with: field {field} is not a valid value ({problem})",
    ),
    "audit.break.checkpoint": ("检查点不可信：{problem}", "untrusted checkpoint: {problem}"),
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
