"""Who may do what: roles bound to principals in the estate, checked in the services.

Roles: ``operator`` (runs the platform: applies, deletes and provisions for any
department, but does not approve — 管运分离), ``approver`` (the big-data bureau: reads
and decides approval steps), ``department`` (one tenant's own requests, systems and
resources, nothing else), ``finance`` (reads, decides budget steps) and ``auditor``
(reads everything, changes nothing).

A principal is whoever the estate declares under ``spec.principals``. One exception
keeps a fresh installation usable: while the estate declares no principals at all, the
name ``local-operator`` (the CLI's default ``--as``) acts with the operator role. As soon
as any principal is declared, every actor must be declared, ``local-operator`` included.

Services call :func:`authorize` before reading or writing; the CLI only picks the name.
Imports the database models, never the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, cast, get_args

from sqlmodel import Session, select

from controlplane.db.tables_requests import Principal
from controlplane.estate.governance import Role
from controlplane.i18n import Lang

__all__ = [
    "BOOTSTRAP_OPERATOR",
    "GRANTS",
    "Action",
    "Identity",
    "PermissionDenied",
    "authorize",
    "can",
    "resolve",
]

Action = Literal[
    "request.list",
    "request.show",
    "request.apply",
    "request.delete",
    "request.approve",
    "request.reject",
    "request.provision",
    "tenant.list",
    "tenant.show",
    "resource.list",
    "audit.verify",
    "audit.checkpoint",
    "audit.rotate",
]
ACTIONS: tuple[Action, ...] = get_args(Action)
BOOTSTRAP_OPERATOR = "local-operator"

_READ: frozenset[Action] = frozenset(
    {"request.list", "request.show", "tenant.list", "tenant.show", "resource.list"}
)
_DECIDE: frozenset[Action] = frozenset({"request.approve", "request.reject"})

#: What each role may do. ``department`` grants are further limited to its own tenant.
GRANTS: dict[Role, frozenset[Action]] = {
    "operator": _READ
    | {
        "request.apply",
        "request.delete",
        "request.provision",
        "audit.verify",
        "audit.checkpoint",
        "audit.rotate",
    },
    "approver": _READ | _DECIDE,
    "department": (_READ - {"tenant.list"}) | {"request.apply", "request.delete"},
    "finance": _READ | _DECIDE,
    "auditor": _READ | {"audit.verify"},
}

_ACTION_WORDS: dict[Action, tuple[str, str]] = {
    "request.list": ("列出申请", "list requests"),
    "request.show": ("查看申请", "read requests"),
    "request.apply": ("提交申请", "apply requests"),
    "request.delete": ("提交删除申请", "delete systems"),
    "request.approve": ("审批通过申请", "approve requests"),
    "request.reject": ("驳回申请", "reject requests"),
    "request.provision": ("执行开通", "provision requests"),
    "tenant.list": ("列出部门", "list tenants"),
    "tenant.show": ("查看部门", "read tenants"),
    "resource.list": ("查看资源", "read resources"),
    "audit.verify": ("校验审计日志", "verify the audit log"),
    "audit.checkpoint": ("写入审计检查点", "checkpoint the audit log"),
    "audit.rotate": ("轮换审计密钥", "rotate the audit key"),
}


@dataclass(frozen=True)
class Identity:
    """The principal a command acts as: its roles and, for a department, its tenant."""

    name: str
    roles: frozenset[Role]
    tenant: str | None = None

    def scoped(self) -> bool:
        """Whether this principal sees only its own tenant (department and nothing wider)."""
        return self.roles <= {"department"}

    def describe(self) -> str:
        scope = f"@{self.tenant}" if self.tenant else ""
        return f"{self.name} ({', '.join(sorted(self.roles))}{scope})"


class PermissionDenied(Exception):
    """The principal may not do this; the message says who, what and (if any) which tenant."""

    def __init__(self, principal: str, action: Action | str, message_zh: str, message_en: str):
        self.principal = principal
        self.action = action
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(message_en)

    def describe(self, lang: Lang = "en") -> str:
        return self.message_zh if lang == "zh" else self.message_en


def _unknown(name: str) -> PermissionDenied:
    return PermissionDenied(
        name,
        "*",
        f"主体 {name!r} 未在资源清单（estate）的 principals 中声明，无权进行任何操作",
        f"principal {name!r} is not declared under the estate's principals and may do nothing",
    )


def resolve(session: Session, name: str) -> Identity:
    """The declared principal ``name`` (see the module docstring for the bootstrap rule)."""
    row = session.get(Principal, name)
    if row is not None:
        return Identity(row.name, frozenset(_roles(row.roles)), row.tenant)
    if name == BOOTSTRAP_OPERATOR and session.exec(select(Principal).limit(1)).first() is None:
        return Identity(name, frozenset({"operator"}))
    raise _unknown(name)


def _roles(names: Iterable[str]) -> Iterable[Role]:
    valid = set(get_args(Role))
    return [cast(Role, r) for r in names if r in valid]


def can(identity: Identity, action: Action, tenant: str | None = None) -> bool:
    """Whether ``identity`` may do ``action`` (on ``tenant``'s objects, when given)."""
    for role in identity.roles:
        if action not in GRANTS[role]:
            continue
        if role != "department":
            return True
        if tenant is None or tenant == identity.tenant:
            return True
    return False


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
