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
    # Labels and column headings, English in natural case: tables upper-case them
    # (one heading style), ``show`` prints them as they are.
    # -- estate, providers, tenants
    "estate": ("资源目录", "estate"),
    "revision": ("版本", "revision"),
    "applied_at": ("应用时间", "applied at"),
    "applied_by": ("应用人", "applied by"),
    "providers": ("云平台", "providers"),
    "provider": ("云平台", "provider"),
    "tenants": ("部门", "tenants"),
    "tenant": ("部门", "tenant"),
    "flavors": ("规格", "flavors"),
    "flavor": ("规格", "flavor"),
    "images": ("镜像", "images"),
    "image": ("镜像", "image"),
    "principal": ("用户", "principal"),
    "quota": ("配额", "quota"),
    "quota.pushed": ("已下发到云平台", "pushed to the cloud"),
    "approval_step": ("审批步骤", "approval step"),
    "discount": ("折扣", "discount"),
    "policy_binding": ("策略绑定", "policy binding"),
    "sla_tier": ("SLA 扣减档", "SLA tier"),
    "name": ("名称", "name"),
    "name_en": ("英文名称", "English name"),
    "tier": ("层级", "tier"),
    "kind": ("类型", "kind"),
    "serves": ("服务范围", "serves"),
    "cert_level": ("等保", "level"),
    "level": ("级别", "level"),
    "certified_level": ("备案等保等级", "certified level"),
    "arch": ("架构", "arch"),
    "cpu_vendor": ("CPU 厂商", "CPU vendor"),
    "xinchuang": ("信创", "XC"),
    "engine": ("开通引擎", "engine"),
    "in_province": ("省内", "in province"),
    "credentials": ("凭据", "credentials"),
    "cloud": ("clouds.yaml 名称", "cloud"),
    "context": ("kubeconfig 上下文", "context"),
    "region": ("区域", "region"),
    "city": ("城市", "city"),
    "sector": ("行业", "sector"),
    "capacity": ("容量", "capacity"),
    "vcpu": ("vCPU", "vCPU"),
    "memory_gib": ("内存GiB", "memory GiB"),
    "storage_gib": ("存储GiB", "storage GiB"),
    "public_ips": ("公网IP", "public IPs"),
    "memory": ("内存GiB", "mem GiB"),
    "storage": ("存储GiB", "disk GiB"),
    "availability_target": ("可用性目标%", "availability target %"),
    "updated_at": ("更新时间", "updated"),
    "updated": ("更新时间", "updated"),
    "code": ("编码", "code"),
    "budget": ("年度预算(元)", "budget CNY"),
    "amount": ("金额(元)", "amount CNY"),
    # -- rate cards
    "rate_card": ("价目表", "rate card"),
    "effective_from": ("生效日期", "effective from"),
    "effective_to": ("失效日期", "effective to"),
    "currency": ("币种", "currency"),
    "approval_ref": ("批准文号", "approval"),
    "meter": ("计量项", "meter"),
    "unit": ("单位", "unit"),
    "proration": ("计费粒度", "proration"),
    "provincial": ("省级", "provincial"),
    "municipal": ("市级", "municipal"),
    "version": ("价目版本", "version"),
    # -- requests
    "id": ("编号", "ID"),
    "system": ("系统", "system"),
    "state": ("状态", "state"),
    "status": ("状态", "status"),
    "requester": ("申请人", "requester"),
    "expires": ("到期时间", "expires"),
    "request": ("申请", "request"),
    "spec_hash": ("规格摘要", "spec hash"),
    "events": ("状态变更", "events"),
    "approvals": ("审批", "approvals"),
    "outcomes": ("开通结果", "outcomes"),
    "reasons": ("未准入原因", "reasons"),
    "reason": ("原因", "reason"),
    "at": ("时间", "at"),
    "from": ("原状态", "from"),
    "to": ("新状态", "to"),
    "actor": ("操作人", "actor"),
    "step": ("步骤", "step"),
    "role": ("角色", "role"),
    "by": ("决定人", "by"),
    "resource_id": ("资源ID", "resource ID"),
    "error": ("错误", "error"),
    "retryable": ("可重试", "retryable"),
    "monthly_price": ("月度价格(元)", "monthly price CNY"),
    "apply": ("申请", "apply"),
    # -- bills
    "month": ("月份", "month"),
    "tenant_name": ("部门名称", "department"),
    "lines_total": ("用量费用", "usage"),
    "adjustments_total": ("调整", "adjustments"),
    "total": ("应付", "total"),
    "content_hash": ("内容摘要", "content hash"),
    "annual_budget": ("年度预算", "annual budget"),
    "spent_before_month": ("本月前已支出", "spent before month"),
    "month_to_date": ("本月至今", "month to date"),
    "projected_month": ("本月预测", "projected month"),
    "projected_year": ("全年预测", "projected year"),
    "projected_overrun": ("预计超支", "projected overrun"),
    "finalized_at": ("定稿时间", "finalized at"),
    "finalized_by": ("定稿人", "finalized by"),
    "adjustment": ("调整", "adjustment"),
    "availability": ("可用性%", "availability %"),
    "evidence": ("依据", "evidence"),
    # -- estate apply
    "field": ("字段", "field"),
    "value": ("值", "value"),
    "entity": ("对象", "entity"),
    "action": ("操作", "action"),
    "changed": ("变更字段", "changed"),
    "count": ("数量", "count"),
    "latency ms": ("延迟ms", "latency ms"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "create": ("新建", "create"),
    "update": ("更新", "update"),
    "delete": ("删除", "delete"),
    "unchanged": ("不变", "unchanged"),
    # messages
    "estate.unchanged": (
        "资源目录无变化（重复应用不做任何修改）",
        "estate unchanged (re-apply is a no-op)",
    ),
    "init.done": (
        "数据库 {where}：结构版本 {before} → {after}",
        "database {where}: schema {before} -> {after}",
    ),
    "estate.applied": ("资源目录已应用", "estate applied"),
    "estate.dry_run": ("仅预览，未做任何修改", "dry run: nothing was changed"),
    "invalid": ("输入无效，未做任何修改", "invalid input; nothing was changed"),
    "not_found": ("未找到", "not found"),
    "no_rows": ("（无记录）", "(none)"),
    "more_rows": ("还有更多，继续查看：", "more rows; next page:"),
    "no_eligible_provider": ("没有符合条件的云平台：", "no eligible provider:"),
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
    # -- the operations console (govcloud tui)
    "tui.overview": ("总览", "overview"),
    "tui.requests": ("申请", "requests"),
    "tui.resources": ("资源", "resources"),
    "tui.drift": ("漂移", "drift"),
    "tui.violations": ("违规", "violations"),
    "tui.waivers": ("豁免", "waivers"),
    "tui.statements": ("账单", "statements"),
    "tui.area": ("领域", "area"),
    "tui.figure": ("指标", "figure"),
    "tui.pending_approvals": ("待审批", "pending approvals"),
    "tui.open": ("未处理", "open"),
    "tui.spend": ("本月支出", "spend"),
    "tui.rule": ("规则", "rule"),
    "tui.severity": ("严重性", "severity"),
    "tui.subject": ("对象", "subject"),
    "tui.target": ("豁免对象", "target"),
    "tui.first_seen": ("首次发现", "first seen"),
    "tui.read_only": ("只读", "READ-ONLY"),
    "tui.write": ("可写", "WRITE"),
    "tui.as_of": ("数据时间", "as of"),
    "tui.stale": ("已过期", "stale"),
    "tui.paused": ("已暂停刷新", "paused"),
    "tui.loading": ("加载中…", "loading…"),
    "tui.rows": ("行", "rows"),
    "tui.filter": ("过滤", "filter"),
    "tui.sort": ("排序", "sort"),
    "tui.marked": ("已标记", "marked"),
    "tui.key.command": ("跳转视图", "go to view"),
    "tui.key.filter": ("过滤", "filter"),
    "tui.key.help": ("帮助", "help"),
    "tui.key.back": ("返回", "back"),
    "tui.key.describe": ("详情", "describe"),
    "tui.key.sort": ("按列排序", "sort by column"),
    "tui.key.reverse": ("反向排序", "reverse sort"),
    "tui.key.pause": ("暂停/继续刷新", "pause/resume refresh"),
    "tui.key.refresh": ("立即刷新", "refresh now"),
    "tui.key.write": ("切换写模式", "toggle write mode"),
    "tui.key.mark": ("标记", "mark"),
    "tui.key.approve": ("批准", "approve"),
    "tui.key.reject": ("驳回", "reject"),
    "tui.key.sync": ("同步云平台", "sync provider"),
    "tui.key.quit": ("退出", "quit"),
    "tui.key.drill": ("进入", "open"),
    "tui.help.title": ("按键说明", "Keys"),
    "tui.help.views": ("视图（: 后输入，Tab 补全）", "views (type after :, Tab completes)"),
    "tui.help.filter": (
        "过滤：文字 | 字段:值 | !取反，空格分隔的条件须全部满足",
        "filter: text | field:value | !negate; all space-separated terms must hold",
    ),
    "tui.unknown_view": ("没有这个视图：{name}", "no such view: {name}"),
    "tui.read_only_refused": (
        "只读模式：按 w 切换到写模式后再操作",
        "read-only mode: press w to allow writes first",
    ),
    "tui.no_writes": ("当前角色不能执行任何写操作", "this role may not write anything"),
    "tui.confirm.title": ("确认操作", "Confirm"),
    "tui.confirm.body": ("{action} {count} 个对象：", "{action} {count} target(s):"),
    "tui.confirm.yes": ("确认 (y)", "Confirm (y)"),
    "tui.confirm.no": ("取消 (n)", "Cancel (n)"),
    "tui.confirm.reason": ("原因（必填）", "reason (required)"),
    "tui.confirm.limit": ("一次最多操作 {limit} 个对象", "at most {limit} targets at once"),
    "tui.done": ("{action}：成功 {ok}，失败 {failed}", "{action}: {ok} done, {failed} failed"),
    "tui.describe.close": ("按 esc 或 q 关闭", "esc or q closes"),
    "tui.plan": ("计划", "plan"),
    "tui.total": ("总数", "total"),
    "tui.severity.critical": ("严重", "critical"),
    "tui.severity.high": ("高", "high"),
    "tui.severity.medium": ("中", "medium"),
    "tui.severity.low": ("低", "low"),
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
