"""Who may do what: the role table (:data:`RULES`), checked by the facade on every action.

Roles: ``operator`` (runs the platform: applies, deletes and provisions for any
department, but does not approve — 管运分离), ``approver`` (the big-data bureau: reads
and decides approval steps), ``department`` (one tenant's own requests, systems and
resources, nothing else), ``finance`` (bills, budget steps) and ``auditor`` (reads
everything, changes nothing). :data:`RULES` declares, for every action the facade
offers, the roles that may do it and whether a department is held to its own tenant;
``GRANTS`` (by role) is derived from it.

A principal is whoever the estate declares under ``spec.principals``. One exception
keeps a fresh installation usable: while the estate declares no principals at all, the
name ``local-operator`` (the CLI's default ``--as``) acts with the operator role. As soon
as any principal is declared, every actor must be declared, ``local-operator`` included.
Scheduled jobs act as :data:`SYSTEM_PRINCIPAL`, declared here.

:class:`controlplane.facade.Govcloud` checks :func:`authorize` / :func:`scope_of`
before reading or writing; some services check again (defence in depth).
Reads the database (:func:`resolve`) through a session it is handed, never the facade,
the API or the CLI; the table models are imported only when a session is read, so the
embedded read path (:mod:`controlplane.facade.embedded`) checks the same table without
them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast, get_args

from controlplane.errors import GovcloudError
from controlplane.estate.roles import Role

if TYPE_CHECKING:
    from sqlmodel import Session

__all__ = [
    "BOOTSTRAP_OPERATOR",
    "GRANTS",
    "READS",
    "RULES",
    "SYSTEM_PRINCIPAL",
    "Action",
    "Identity",
    "PermissionDenied",
    "Role",
    "Rule",
    "authorize",
    "can",
    "identity_of",
    "resolve",
    "scope_of",
]

Action = Literal[
    "estate.show",
    "estate.apply",
    "provider.list",
    "provider.show",
    "provider.sync",
    "overview.show",
    "tenant.list",
    "tenant.show",
    "request.plan",
    "request.list",
    "request.show",
    "request.apply",
    "request.delete",
    "request.approve",
    "request.reject",
    "request.provision",
    "system.repair",
    "system.list",
    "resource.list",
    "drift.list",
    "policy.list",
    "policy.audit",
    "policy.violations",
    "policy.report",
    "waiver.list",
    "waiver.request",
    "waiver.approve",
    "meter.collect",
    "meter.import",
    "meter.gaps",
    "meter.acknowledge",
    "meter.availability",
    "bill.run",
    "bill.show",
    "bill.confirm",
    "bill.finalize",
    "bill.adjust",
    "bill.export",
    "audit.verify",
    "audit.checkpoint",
    "audit.rotate",
    "audit.list",
    "infra.export",
    "token.create",
    "token.list",
    "token.revoke",
    "principal.impersonate",
    "job.list",
    "job.show",
    "job.run",
    "budget.alerts",
    "budget.project",
]
ACTIONS: tuple[Action, ...] = get_args(Action)
BOOTSTRAP_OPERATOR = "local-operator"
#: The principal scheduled jobs act as (reconcile, sync, audit, meter collect, month
#: close). Declared here, not in the estate: its name cannot be an estate principal's
#: (those never contain ``:``), so nobody can declare or impersonate it through YAML.
SYSTEM_PRINCIPAL = "system:scheduler"
SYSTEM_ROLES: frozenset[Role] = frozenset({"operator"})


@dataclass(frozen=True)
class Rule:
    """Who may do one action: the roles, and whether a department is held to its tenant."""

    roles: frozenset[Role]
    tenant_scoped: bool


_ALL: frozenset[Role] = frozenset(get_args(Role))
_WIDE: frozenset[Role] = _ALL - {"department"}


def _rule(*roles: Role, scoped: bool = True) -> Rule:
    return Rule(frozenset(roles), scoped)


#: The role table: every action the facade offers, who may do it, and whether it is
#: limited to the actor's own tenant for department principals. 管运分离: the operator
#: runs the platform but decides no approval; finance owns bills; the auditor reads.
RULES: dict[Action, Rule] = {
    "estate.show": Rule(_WIDE, tenant_scoped=False),
    "estate.apply": _rule("operator", scoped=False),
    "provider.list": Rule(_ALL, tenant_scoped=False),
    "provider.show": Rule(_ALL, tenant_scoped=False),
    "provider.sync": _rule("operator", scoped=False),
    # the overview (领导驾驶舱): every role; a department sees its own figures only
    "overview.show": Rule(_ALL, tenant_scoped=True),
    "tenant.list": Rule(_ALL, tenant_scoped=True),
    "tenant.show": Rule(_ALL, tenant_scoped=True),
    "request.plan": Rule(_ALL, tenant_scoped=True),
    "request.list": Rule(_ALL, tenant_scoped=True),
    "request.show": Rule(_ALL, tenant_scoped=True),
    "request.apply": _rule("operator", "department"),
    "request.delete": _rule("operator", "department"),
    "request.approve": _rule("approver", "finance"),
    "request.reject": _rule("approver", "finance"),
    "request.provision": _rule("operator"),
    "system.repair": _rule("operator", scoped=False),
    "system.list": Rule(_ALL, tenant_scoped=True),
    "resource.list": Rule(_ALL, tenant_scoped=True),
    "drift.list": Rule(_ALL, tenant_scoped=True),
    "policy.list": Rule(_ALL, tenant_scoped=False),
    "policy.audit": _rule("operator", scoped=False),
    "policy.violations": Rule(_ALL, tenant_scoped=True),
    "policy.report": Rule(_ALL, tenant_scoped=True),
    "waiver.list": Rule(_ALL, tenant_scoped=True),
    "waiver.request": _rule("operator", "department"),
    "waiver.approve": _rule("approver"),
    "meter.collect": _rule("operator", scoped=False),
    "meter.import": _rule("operator", scoped=False),
    "meter.gaps": _rule("operator", "finance", "auditor", scoped=False),
    "meter.acknowledge": _rule("operator", "finance", scoped=False),
    "meter.availability": _rule("operator", scoped=False),
    "bill.run": _rule("operator", "finance", scoped=False),
    "bill.show": Rule(_ALL, tenant_scoped=True),
    "bill.confirm": _rule("finance", "department"),
    "bill.finalize": _rule("finance", scoped=False),
    "bill.adjust": _rule("finance", scoped=False),
    "bill.export": Rule(_ALL, tenant_scoped=True),
    "audit.verify": _rule("operator", "auditor", scoped=False),
    "audit.checkpoint": _rule("operator", scoped=False),
    "audit.rotate": _rule("operator", scoped=False),
    # reading the audit log's events: who did what (operators and auditors; a department
    # would learn of other departments' work)
    "audit.list": _rule("operator", "auditor", scoped=False),
    # a system's Pulumi project: whoever may read its requests (the exporter checks
    # request.show on the system's tenant, so a department gets only its own)
    "infra.export": Rule(_ALL, tenant_scoped=True),
    "token.create": _rule("operator", scoped=False),
    "token.list": _rule("operator", "auditor", scoped=False),
    "token.revoke": _rule("operator", scoped=False),
    # Acting as another principal (``--as`` over the API); see Govcloud.impersonate for
    # the roles an impersonator may never borrow.
    "principal.impersonate": _rule("operator", scoped=False),
    # govcloud serve's scheduled jobs: their runs are read by operators and auditors;
    # queuing a firing now is the operator's
    "job.list": _rule("operator", "auditor", scoped=False),
    "job.show": _rule("operator", "auditor", scoped=False),
    "job.run": _rule("operator", scoped=False),
    # budget alerts (raised by govcloud serve's budget-alerts job): operators, finance and
    # auditors read them all, a department its own; raising them is the operator's job
    "budget.alerts": _rule("operator", "finance", "auditor", "department"),
    "budget.project": _rule("operator", scoped=False),
}

#: Actions that change nothing; every other action is a mutation (refusals are audited).
READS: frozenset[Action] = frozenset(
    {
        "estate.show",
        "provider.list",
        "provider.show",
        "overview.show",
        "tenant.list",
        "tenant.show",
        "request.plan",
        "request.list",
        "request.show",
        "system.list",
        "resource.list",
        "drift.list",
        "policy.list",
        "policy.violations",
        "policy.report",
        "waiver.list",
        "meter.gaps",
        "bill.show",
        "bill.export",
        "audit.verify",
        "audit.list",
        "infra.export",
        "token.list",
        "job.list",
        "job.show",
        "budget.alerts",
    }
)

#: What each role may do, derived from :data:`RULES` (kept for readers by role).
GRANTS: dict[Role, frozenset[Action]] = {
    role: frozenset(a for a, rule in RULES.items() if role in rule.roles) for role in _ALL
}

_ACTION_WORDS: dict[Action, tuple[str, str]] = {
    "estate.show": ("查看资源目录", "read the estate"),
    "estate.apply": ("应用资源目录", "apply the estate"),
    "provider.list": ("列出云平台", "list providers"),
    "provider.show": ("查看云平台", "read providers"),
    "provider.sync": ("同步云平台资源", "sync providers"),
    "overview.show": ("查看总览", "read the overview"),
    "tenant.list": ("列出部门", "list tenants"),
    "tenant.show": ("查看部门", "read tenants"),
    "request.plan": ("预览申请", "plan requests"),
    "request.list": ("列出申请", "list requests"),
    "request.show": ("查看申请", "read requests"),
    "request.apply": ("提交申请", "apply requests"),
    "request.delete": ("提交删除申请", "delete systems"),
    "request.approve": ("审批通过申请", "approve requests"),
    "request.reject": ("驳回申请", "reject requests"),
    "request.provision": ("执行开通", "provision requests"),
    "system.repair": ("修复系统漂移", "repair systems"),
    "system.list": ("列出信息系统", "list systems"),
    "resource.list": ("查看资源", "read resources"),
    "drift.list": ("查看资源漂移", "read drift"),
    "policy.list": ("查看策略目录", "list policy rules"),
    "policy.audit": ("执行合规审计", "run compliance audits"),
    "policy.violations": ("查看违规", "read violations"),
    "policy.report": ("生成合规报告", "build compliance reports"),
    "waiver.list": ("查看豁免", "read waivers"),
    "waiver.request": ("申请豁免", "request waivers"),
    "waiver.approve": ("批准豁免", "approve waivers"),
    "meter.collect": ("采集用量", "collect usage"),
    "meter.import": ("导入用量", "import usage"),
    "meter.gaps": ("查看计量缺口", "read metering gaps"),
    "meter.acknowledge": ("确认计量缺口", "acknowledge metering gaps"),
    "meter.availability": ("记录可用性", "record availability"),
    "bill.run": ("计算账单", "run bills"),
    "bill.show": ("查看账单", "read bills"),
    "bill.confirm": ("确认账单", "confirm bills"),
    "bill.finalize": ("账单定稿", "finalize bills"),
    "bill.adjust": ("调整账单", "adjust bills"),
    "bill.export": ("导出账单", "export bills"),
    "audit.verify": ("校验审计日志", "verify the audit log"),
    "audit.checkpoint": ("写入审计检查点", "checkpoint the audit log"),
    "audit.rotate": ("轮换审计密钥", "rotate the audit key"),
    "audit.list": ("查看审计日志", "read the audit log"),
    "infra.export": ("导出基础设施代码", "export Pulumi projects"),
    "token.create": ("签发访问令牌", "create API tokens"),
    "token.list": ("查看访问令牌", "list API tokens"),
    "token.revoke": ("吊销访问令牌", "revoke API tokens"),
    "principal.impersonate": ("以其他主体身份操作", "act as another principal"),
    "job.list": ("查看计划作业", "list scheduled jobs"),
    "job.show": ("查看计划作业运行记录", "read a scheduled job's runs"),
    "job.run": ("立即运行计划作业", "run a scheduled job now"),
    "budget.alerts": ("查看预算预警", "read budget alerts"),
    "budget.project": ("预测预算并发出预警", "project budgets and raise alerts"),
}


@dataclass(frozen=True)
class Identity:
    """The principal a command acts as: its roles and, for a department, its tenant."""

    name: str
    roles: frozenset[Role]
    tenant: str | None = None
    #: Who is acting as this principal (``--as`` over the API), recorded in the audit log.
    impersonator: str | None = None

    def scoped(self) -> bool:
        """Whether this principal sees only its own tenant (department and nothing wider)."""
        return self.roles <= {"department"}

    def describe(self) -> str:
        scope = f"@{self.tenant}" if self.tenant else ""
        return f"{self.name} ({', '.join(sorted(self.roles))}{scope})"


class PermissionDenied(GovcloudError):
    """The principal may not do this; the message says who, what and (if any) which tenant."""

    code = "forbidden"
    http_status = 403

    def __init__(self, principal: str, action: Action | str, message_zh: str, message_en: str):
        self.principal = principal
        self.action = action
        super().__init__(message_zh, message_en)


def _unknown(name: str) -> PermissionDenied:
    return PermissionDenied(
        name,
        "*",
        f"主体 {name!r} 未在资源清单（estate）的 principals 中声明，无权进行任何操作",
        f"principal {name!r} is not declared under the estate's principals and may do nothing",
    )


def resolve(session: Session, name: str) -> Identity:
    """The declared principal ``name`` (see the module docstring for the bootstrap rule)."""
    from sqlmodel import select

    from controlplane.db.tables_requests import Principal

    def declared(wanted: str) -> tuple[Sequence[str], str | None] | None:
        row = session.get(Principal, wanted)
        return None if row is None else (row.roles, row.tenant)

    def declares_any() -> bool:
        return session.exec(select(Principal).limit(1)).first() is not None

    return identity_of(name, declared, declares_any)


def identity_of(
    name: str,
    declared: Callable[[str], tuple[Sequence[str], str | None] | None],
    declares_any: Callable[[], bool],
) -> Identity:
    """:func:`resolve` over any reader of the ``principal`` table: ``declared(name)`` is
    that principal's (roles, tenant) or ``None``; ``declares_any()`` whether any is."""
    if name == SYSTEM_PRINCIPAL:
        return Identity(name, SYSTEM_ROLES)
    row = declared(name)
    if row is not None:
        roles, tenant = row
        return Identity(name, frozenset(_roles(roles)), tenant)
    if name == BOOTSTRAP_OPERATOR and not declares_any():
        return Identity(name, frozenset({"operator"}))
    raise _unknown(name)


def _roles(names: Iterable[str]) -> Iterable[Role]:
    valid = set(get_args(Role))
    return [cast(Role, r) for r in names if r in valid]


def can(identity: Identity, action: Action, tenant: str | None = None) -> bool:
    """Whether ``identity`` may do ``action`` (on ``tenant``'s objects, when given).

    A department holding a tenant-scoped action may do it only on its own tenant;
    ``tenant=None`` asks whether the role may do it at all (lists are then narrowed
    to the actor's tenant by the caller, see :func:`scope_of`).
    """
    rule = RULES[action]
    for role in identity.roles & rule.roles:
        if role != "department" or not rule.tenant_scoped:
            return True
        if tenant is None or tenant == identity.tenant:
            return True
    return False


def scope_of(identity: Identity, action: Action, tenant: str | None = None) -> str | None:
    """The tenant a list for ``action`` must be narrowed to (``None``: no narrowing).

    Raises :class:`PermissionDenied` when ``identity`` may not do ``action`` on
    ``tenant``. A principal whose only grant of ``action`` is a department's, on a
    tenant-scoped action, sees its own tenant whatever it asked for.
    """
    authorize(identity, action, tenant)
    rule = RULES[action]
    wide = any(r != "department" or not rule.tenant_scoped for r in identity.roles & rule.roles)
    return tenant if wide else identity.tenant


def authorize(identity: Identity, action: Action, tenant: str | None = None) -> None:
    """Raise :class:`PermissionDenied` unless ``identity`` may do ``action`` on ``tenant``."""
    if can(identity, action, tenant):
        return
    zh, en = _ACTION_WORDS[action]
    where_zh = f"（部门 {tenant}）" if tenant else ""
    where_en = f" of tenant {tenant}" if tenant else ""
    raise PermissionDenied(
        identity.name,
        action,
        f"主体 {identity.describe()} 无权{zh}{where_zh}",
        f"principal {identity.describe()} may not {en}{where_en}",
    )
