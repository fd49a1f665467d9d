"""Rules of catalogue §1.3: identity, accounts and privileges.

Imports only :mod:`policies` internals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from pydantic import Field

from policies.params import NoParams, Params, Tighten
from policies.registry import Finding, Rule, attr, fail, need, not_applicable, rule
from policies.rules._common import age_days
from policies.verdicts import RuleMode, Severity
from policies.views import PlanView, ResourceView

GROUP = "identity"
_KEYSTONE = "keystone [security_compliance] settings of each provider"


class MfaParams(Params):
    min_factors: Annotated[int, Tighten.HIGHER, Field(ge=2)] = 2


@rule(
    "MLPS-L3-IAM-01",
    title=("两种或以上鉴别技术（双因素）", "Two or more authentication factors"),
    group=GROUP,
    clause="8.1.4.1 d, 8.2.4.1",
    units=("L3-CES1-04", "L3-CES2-01"),
    levels=(3, 4),
    mode=RuleMode.AUDIT,
    severity=Severity.HIGH,
    high_risk=True,
    kinds=("user",),
    params=MfaParams,
    remediation=(
        "为在三级及以上系统项目中有角色的人员开启多因素认证（口令 + TOTP 等）。",
        "Enable multi-factor authentication (password + TOTP or similar) for every person "
        "holding a role on a level-3+ system.",
    ),
)
class MultiFactor(Rule[MfaParams]):
    def resource(self, view: ResourceView, params: MfaParams, now: datetime) -> Iterator[Finding]:
        if not attr(view, "human", bool):
            yield not_applicable("非自然人账号", "not a human account")
            return
        if not attr(view, "mfa_enabled", bool):
            yield fail("user.mfa_enabled", "未开启多因素认证", "multi-factor authentication is off")
            return
        methods = attr(view, "mfa_methods", list)
        if len(set(methods)) < params.min_factors:
            yield fail(
                "user.mfa_methods",
                f"认证方式只有 {len(set(methods))} 种，少于 {params.min_factors}",
                f"only {len(set(methods))} authentication methods, fewer than {params.min_factors}",
            )


@rule(
    "MLPS-L1-IAM-02",
    title=("登录失败处理与会话超时", "Login-failure handling and session timeout"),
    group=GROUP,
    clause="8.1.4.1 b",
    units=("L3-CES1-02",),
    mode=RuleMode.AUDIT,
    severity=Severity.MEDIUM,
    pending_inputs=(_KEYSTONE + " (lockout_failure_attempts, lockout_duration)",),
    remediation=(
        "设置 keystone lockout_failure_attempts ≤ 5、lockout_duration 及会话超时。",
        "Set keystone lockout_failure_attempts ≤ 5, lockout_duration and session timeouts.",
    ),
)
class LoginFailure(Rule[NoParams]):
    """Declared only: reported not evaluable, naming its ``pending_inputs``."""


@rule(
    "MLPS-L1-IAM-03",
    title=("身份唯一、口令复杂度与定期更换", "Unique identities, password complexity, rotation"),
    group=GROUP,
    clause="8.1.4.1 a",
    units=("L3-CES1-01",),
    mode=RuleMode.AUDIT,
    severity=Severity.MEDIUM,
    pending_inputs=(_KEYSTONE + " (password_regex, password_expires_days)",),
    remediation=(
        "设置 password_regex、password_expires_days ≤ 90、unique_last_password_count。",
        "Set password_regex, password_expires_days ≤ 90 and unique_last_password_count.",
    ),
)
class PasswordPolicy(Rule[NoParams]):
    """Declared only: reported not evaluable, naming its ``pending_inputs``."""


class InactiveParams(Params):
    max_inactive_days: Annotated[int, Tighten.LOWER, Field(ge=1)] = 90


@rule(
    "MLPS-L1-IAM-04",
    title=("删除或停用多余、过期账户", "Remove or disable surplus and expired accounts"),
    group=GROUP,
    clause="8.1.4.2 c",
    units=("L3-CES1-07",),
    mode=RuleMode.AUDIT,
    severity=Severity.MEDIUM,
    kinds=("user", "app_credential"),
    params=InactiveParams,
    remediation=(
        "停用长期未登录的账户，应用凭据必须设置到期时间。",
        "Disable accounts unused for too long; application credentials must expire.",
    ),
)
class StaleAccounts(Rule[InactiveParams]):
    def resource(
        self, view: ResourceView, params: InactiveParams, now: datetime
    ) -> Iterator[Finding]:
        if view.kind == "app_credential":
            if view.attrs.get("expires_at") is None:
                yield fail("app_credential.expires_at", "应用凭据没有到期时间", "never expires")
            return
        if not attr(view, "enabled", bool):
            return
        idle = age_days(attr(view, "last_login", datetime), now)
        if idle > params.max_inactive_days:
            yield fail(
                "user.last_login",
                f"账户 {idle} 天未登录仍启用（上限 {params.max_inactive_days} 天）",
                f"enabled account unused for {idle} days (limit {params.max_inactive_days})",
            )


_DUTIES = frozenset({"sysadmin", "auditor", "secadmin"})


class PrivilegeParams(Params):
    forbidden_roles: Annotated[frozenset[str], Tighten.SUPERSET] = frozenset(
        {"admin", "cluster-admin"}
    )


@rule(
    "MLPS-L2-IAM-05",
    title=("最小权限与三权分立", "Least privilege and separation of admin duties"),
    group=GROUP,
    clause="8.1.4.2 d, 8.1.5.1-8.1.5.3",
    units=("L3-CES1-08",),
    levels=(2, 3, 4),
    mode=RuleMode.AUDIT,
    severity=Severity.HIGH,
    kinds=("role_assignment", "user"),
    params=PrivilegeParams,
    remediation=(
        "部门账号不得持有 admin/系统范围角色或通配权限；系统、审计、安全管理员分设。",
        "Department principals hold no admin, system-scope or wildcard roles; system, audit "
        "and security administrators are different people.",
    ),
)
class LeastPrivilege(Rule[PrivilegeParams]):
    def resource(
        self, view: ResourceView, params: PrivilegeParams, now: datetime
    ) -> Iterator[Finding]:
        if view.kind == "user":
            duties = _DUTIES & set(attr(view, "duties", list))
            if len(duties) > 1:
                yield fail(
                    "user.duties",
                    f"同一人兼任 {sorted(duties)}",
                    f"one person holds {sorted(duties)}",
                )
            return
        if attr(view, "principal_type", str) != "department":
            return
        role = attr(view, "role", str)
        if role in params.forbidden_roles:
            yield fail("role_assignment.role", f"部门账号持有 {role} 角色", f"holds role {role}")
        if view.attrs.get("scope") == "system":
            yield fail("role_assignment.scope", "部门账号持有系统范围角色", "holds a system scope")
        if view.attrs.get("wildcard") is True:
            yield fail("role_assignment.wildcard", "角色含通配权限 *", "role grants wildcards")


@rule(
    "MLPS-L1-IAM-06",
    title=("重命名或删除默认账户，修改默认口令", "No default accounts or default passwords"),
    group=GROUP,
    clause="8.1.4.2 b",
    units=("L3-CES1-06",),
    mode=RuleMode.BOTH,
    severity=Severity.MEDIUM,
    kinds=("server", "namespace"),
    remediation=(
        "使用经加固（hardened）认证的镜像；default ServiceAccount 关闭令牌自动挂载。",
        "Use images attested as hardened; turn off token automount for the default ServiceAccount.",
    ),
)
class DefaultAccounts(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        for i, item in enumerate(view.compute):
            if not need(item.image.hardened, f"image {item.image.name} hardened attestation"):
                yield fail(
                    f"spec.compute[{i}].image",
                    f"镜像 {item.image.name} 未经加固，可能带默认账户",
                    f"image {item.image.name} is not hardened and may carry default accounts",
                )

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        if view.kind == "namespace":
            if attr(view, "default_sa_automount", bool):
                yield fail(
                    "namespace.default_sa_automount",
                    "default ServiceAccount 自动挂载令牌",
                    "default ServiceAccount automounts its token",
                )
        elif not attr(view, "image_hardened", bool):
            yield fail("server.image_hardened", "云主机镜像未加固", "server image is not hardened")


@rule(
    "MLPS-L2-DAT-02",
    title=("经客户授权方可管理客户数据", "Provider manages customer data only with authorisation"),
    group=GROUP,
    clause="8.2.4.5 b",
    units=("L3-CES2-11",),
    levels=(2, 3, 4),
    mode=RuleMode.AUDIT,
    severity=Severity.HIGH,
    kinds=("role_assignment",),
    remediation=(
        "运营方在部门项目上的角色须关联未过期的部门授权单。",
        "Every operator role on a department project needs an unexpired tenant authorisation.",
    ),
)
class OperatorAuthorisation(Rule[NoParams]):
    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        if attr(view, "principal_type", str) != "operator":
            return
        expires = view.attrs.get("authorization_expires")
        if not isinstance(expires, datetime):
            yield fail(
                "role_assignment.authorization_expires",
                "运营方角色没有部门授权",
                "operator role has no tenant authorisation",
            )
        elif expires <= now:
            yield fail(
                "role_assignment.authorization_expires",
                f"部门授权已于 {expires:%Y-%m-%d} 过期",
                f"tenant authorisation expired on {expires:%Y-%m-%d}",
            )
