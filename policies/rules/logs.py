"""Rules of catalogue §1.4: security audit, audit records and legal log retention.

Imports only :mod:`policies` internals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from pydantic import Field

from policies.params import NoParams, Params, Tighten
from policies.registry import Finding, Rule, attr, fail, need, rule
from policies.rules._common import age_days
from policies.verdicts import RuleMode, Severity
from policies.views import PlanView, ResourceView

GROUP = "audit"


class RetentionParams(Params):
    min_days: Annotated[int, Tighten.HIGHER, Field(ge=1)] = 180


@rule(
    "CSL-LOG-01",
    title=("网络日志留存不少于六个月", "Network logs are kept at least six months"),
    group=GROUP,
    standard=(
        "网络安全法 第二十一条（三）（2026 修正后第二十三条）；GB/T 22239-2019 8.1.5.4 d",
        "Cybersecurity Law Art. 21(3) (Art. 23(3) as amended 2026); GB/T 22239-2019 8.1.5.4 d",
    ),
    clause="Art. 21(3)",
    units=("L3-SMC1-10",),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    high_risk=True,
    kinds=("log_sink",),
    params=RetentionParams,
    remediation=(
        "将日志留存设置为不少于 180 天（spec.logging.retentionDays）。",
        "Set log retention to at least 180 days (spec.logging.retentionDays).",
    ),
)
class LogRetention(Rule[RetentionParams]):
    def plan(self, view: PlanView, params: RetentionParams) -> Iterator[Finding]:
        days = view.logging.retention_days if view.logging else None
        if days is None:
            yield fail(
                "spec.logging.retentionDays",
                "未声明日志留存天数",
                "no log retention is declared",
            )
        elif days < params.min_days:
            yield fail(
                "spec.logging.retentionDays",
                f"日志留存 {days} 天，少于 {params.min_days} 天",
                f"logs kept {days} days, fewer than {params.min_days}",
            )

    def resource(
        self, view: ResourceView, params: RetentionParams, now: datetime
    ) -> Iterator[Finding]:
        days = attr(view, "retention_days", int)
        if days < params.min_days:
            yield fail(
                "log_sink.retention_days",
                f"日志留存 {days} 天，少于 {params.min_days} 天",
                f"logs kept {days} days, fewer than {params.min_days}",
            )
        oldest = view.attrs.get("oldest_record_at")
        created = view.created_at
        if (
            isinstance(oldest, datetime)
            and created is not None
            and (
                age_days(created, now) >= params.min_days
                and age_days(oldest, now) < params.min_days
            )
        ):
            yield fail(
                "log_sink.oldest_record_at",
                f"最早可检索记录只有 {age_days(oldest, now)} 天",
                f"oldest retrievable record is only {age_days(oldest, now)} days old",
            )


@rule(
    "MLPS-L2-AUD-01",
    title=("启用安全审计，覆盖每个用户和重要事件", "Security audit enabled for every user"),
    group=GROUP,
    clause="8.1.4.3 a, 8.1.3.5 a",
    units=("L3-CES1-12", "L3-ABS1-16"),
    levels=(2, 3, 4),
    mode=RuleMode.AUDIT,
    severity=Severity.HIGH,
    kinds=("project", "namespace"),
    remediation=(
        "为部门项目开启 keystone 审计中间件/CADF 通知；K8s 审计策略覆盖租户命名空间。",
        "Turn on the keystone audit middleware / CADF notifications for the project; make "
        "the K8s audit policy cover tenant namespaces.",
    ),
)
class AuditEnabled(Rule[NoParams]):
    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        if not attr(view, "audit_enabled", bool):
            yield fail(f"{view.kind}.audit_enabled", "未开启安全审计", "security audit is off")


@rule(
    "MLPS-L2-AUD-02",
    title=("审计远程管理的特权命令", "Audit privileged remote-management commands"),
    group=GROUP,
    clause="8.2.3.3 a, b",
    units=("L3-ABS2-07", "L3-ABS2-08"),
    levels=(2, 3, 4),
    mode=RuleMode.AUDIT,
    severity=Severity.HIGH,
    pending_inputs=("tenant-visible audit store of Nova delete/reboot notifications",),
    remediation=(
        "采集 compute.instance.delete/reboot 等事件到租户可见的审计库。",
        "Capture compute.instance.delete/reboot events into the tenant-visible audit store.",
    ),
)
class PrivilegedCommands(Rule[NoParams]):
    """Declared only: reported not evaluable, naming its ``pending_inputs``."""


@rule(
    "MLPS-L2-AUD-03",
    title=("保护审计记录", "Audit records are protected"),
    group=GROUP,
    clause="8.1.4.3 c, d",
    units=("L3-CES1-14", "L3-CES1-15"),
    levels=(2, 3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=("log_sink",),
    remediation=(
        "审计日志库采用只追加/WORM，租户管理员不能删除，并定期备份；不得停用审计。",
        "Keep audit logs append-only/WORM, not deletable by tenant admins, backed up; never "
        "disable an audit sink.",
    ),
)
class AuditProtection(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        logging = need(view.logging, "spec.logging")
        if logging.disables_audit_sink:
            yield fail("spec.logging", "请求停用或删除审计日志", "asks to disable an audit sink")
        if logging.immutable is False:
            yield fail(
                "spec.logging.immutable",
                "日志存储可被修改或删除",
                "log store is not append-only",
            )

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        if not attr(view, "worm", bool):
            yield fail("log_sink.worm", "审计日志库不是只追加", "audit store is not append-only")
        if attr(view, "tenant_deletable", bool):
            yield fail(
                "log_sink.tenant_deletable",
                "租户管理员可删除审计日志",
                "tenant admins can delete audit logs",
            )
        if not attr(view, "backup", bool):
            yield fail("log_sink.backup", "审计日志未备份", "audit logs are not backed up")


@rule(
    "MLPS-L3-AUD-04",
    title=("集中收集分析审计数据", "Audit data is collected and analysed centrally"),
    group=GROUP,
    clause="8.1.5.4 d, 8.2.5.1 c",
    units=("L3-SMC1-10", "L3-SMC2-03"),
    levels=(3, 4),
    mode=RuleMode.AUDIT,
    severity=Severity.MEDIUM,
    pending_inputs=("log-forwarder heartbeat registry per server/node", "SIEM source per system"),
    remediation=(
        "每台主机/节点部署日志转发器并登记心跳，每个系统登记 SIEM 数据源。",
        "Run a log forwarder with a heartbeat on every server/node; register a SIEM source.",
    ),
)
class CentralAudit(Rule[NoParams]):
    """Declared only: reported not evaluable, naming its ``pending_inputs``."""
