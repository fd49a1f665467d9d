"""Waivers in the database: request, approve, list, and the book audits apply.

A waiver is requested (rule, scope and target, reason, mandatory expiry) and then
approved by a different principal holding the ``approver`` role. The rules are
:func:`policies.grant_waiver`'s: critical rules are never waivable, self-approval is
refused, the expiry is mandatory, in the future and at most a year away. Roles come
from a :class:`RoleDirectory` handed in at construction; when it cannot say what roles
someone holds, approval is refused with that reason — never assumed.

Every request and approval appends one event to the audit log in its transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from controlplane import audit, rbac
from controlplane.db.engine import transaction
from controlplane.db.models import Resource, System, Tenant
from controlplane.db.tables_compliance import PolicyWaiver
from controlplane.timeutil import Clock, as_utc
from policies import Waiver, WaiverBook, WaiverRefused, WaiverScope, grant_waiver

__all__ = [
    "APPROVER_ROLE",
    "EstatePrincipals",
    "RoleDirectory",
    "StaticRoles",
    "WaiverNotFound",
    "WaiverService",
    "approved_waivers",
    "waiver_code",
]

APPROVER_ROLE = "approver"
REQUESTED = "requested"
APPROVED = "approved"
# stands in for "an approver other than the requester" when a request is checked early;
# no principal name can contain a NUL
_SOMEONE_ELSE = "\x00approver"


class RoleDirectory(Protocol):
    """Who holds which roles; ``None`` means the directory cannot tell."""

    def roles_of(self, principal: str) -> frozenset[str] | None: ...


class StaticRoles:
    """A fixed principal → roles table (embedding, tests)."""

    def __init__(self, roles: Mapping[str, Iterable[str]]) -> None:
        self._roles = {name: frozenset(held) for name, held in roles.items()}

    def roles_of(self, principal: str) -> frozenset[str] | None:
        return self._roles.get(principal)


class EstatePrincipals:
    """Roles of the estate's declared principals, resolved by :func:`controlplane.rbac.resolve`
    (the one rule for who is declared, the bootstrap operator and the system principal);
    a principal the estate does not declare gives ``None``.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def roles_of(self, principal: str) -> frozenset[str] | None:
        with self._sessions() as session:
            try:
                identity = rbac.resolve(session, principal)
            except rbac.PermissionDenied:
                return None
        return frozenset(identity.roles)


class WaiverNotFound(LookupError):
    """No waiver has that id."""


class _Numbered(Protocol):
    @property
    def id(self) -> int | None: ...


def waiver_code(row: _Numbered) -> str:
    """The id results and reports show for a waiver (a row or the facade's read model)."""
    return f"W-{row.id}"


def _as_waiver(row: PolicyWaiver) -> Waiver:
    if row.approver is None or row.approved_at is None:
        raise ValueError(f"waiver {waiver_code(row)} is not approved")
    return Waiver(
        id=waiver_code(row),
        rule_id=row.rule_id,
        scope=WaiverScope(row.scope),
        target=row.target,
        reason=row.reason,
        requester=row.requester,
        approver=row.approver,
        granted_at=row.approved_at,
        expires_at=row.expires_at,
    )


def approved_waivers(session: Session) -> list[Waiver]:
    """Every approved waiver, expired ones included (a book only applies active ones)."""
    rows = session.exec(select(PolicyWaiver).where(col(PolicyWaiver.state) == APPROVED))
    return [_as_waiver(row) for row in rows]


def _target_exists(session: Session, scope: WaiverScope, target: str) -> bool:
    if scope is WaiverScope.SYSTEM:
        query = select(System.id).where(col(System.name) == target)
    elif scope is WaiverScope.TENANT:
        query = select(Tenant.id).where(col(Tenant.code) == target)
    else:
        query = select(Resource.id).where(col(Resource.resource_id) == target)
    return session.exec(query.limit(1)).first() is not None


class WaiverService:
    """Request, approve and list waivers; build the book an audit run applies."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock, roles: RoleDirectory) -> None:
        self._sessions = sessions
        self._clock = clock
        self._roles = roles

    def request(
        self,
        *,
        rule_id: str,
        scope: WaiverScope,
        target: str,
        reason: str,
        expires_at: datetime | None,
        requester: str,
    ) -> PolicyWaiver:
        """Record a waiver request; refused (``WaiverRefused``) if it could never be granted."""
        now = self._clock()
        # everything except the approver checks: validate as if another approver granted it
        grant_waiver(
            waiver_id="pending",
            rule_id=rule_id,
            scope=scope,
            target=target,
            reason=reason,
            requester=requester,
            approver=_SOMEONE_ELSE,
            expires_at=expires_at,
            now=now,
            is_approver=lambda _: True,
        )
        assert expires_at is not None  # grant_waiver refuses a missing expiry
        with transaction(self._sessions) as session:
            if not _target_exists(session, scope, target):
                raise WaiverRefused([(f"没有{scope}对象 {target}", f"no {scope} named {target}")])
            row = PolicyWaiver(
                rule_id=rule_id,
                scope=str(scope),
                target=target,
                reason=reason,
                requester=requester,
                requested_at=now,
                expires_at=as_utc(expires_at),
                state=REQUESTED,
            )
            session.add(row)
            session.flush()
            audit.append(
                session,
                at=now,
                actor=requester,
                action="policy.waiver.request",
                subject=f"waiver/{waiver_code(row)}",
                payload={
                    "rule": rule_id,
                    "scope": f"{scope}:{target}",
                    "reason": reason,
                    "expires_at": expires_at.isoformat(),
                },
            )
            return row

    def approve(self, waiver_id: int, *, approver: str) -> PolicyWaiver:
        """Grant a requested waiver; ``WaiverRefused`` names every reason it cannot be."""
        now = self._clock()
        roles = self._roles.roles_of(approver)
        with transaction(self._sessions) as session:
            row = session.get(PolicyWaiver, waiver_id)
            if row is None:
                raise WaiverNotFound(f"no waiver {waiver_id}")
            if row.state != REQUESTED:
                raise WaiverRefused(
                    [(f"豁免 {waiver_code(row)} 已{row.state}", f"waiver is already {row.state}")]
                )
            try:
                grant_waiver(
                    waiver_id=waiver_code(row),
                    rule_id=row.rule_id,
                    scope=WaiverScope(row.scope),
                    target=row.target,
                    reason=row.reason,
                    requester=row.requester,
                    approver=approver,
                    expires_at=row.expires_at,
                    now=now,
                    is_approver=lambda name: roles is not None and APPROVER_ROLE in roles,
                )
            except WaiverRefused as refused:
                raise WaiverRefused(_explain_unknown_roles(refused, approver, roles)) from None
            row.state = APPROVED
            row.approver = approver
            row.approved_at = now
            session.add(row)
            audit.append(
                session,
                at=now,
                actor=approver,
                action="policy.waiver.approve",
                subject=f"waiver/{waiver_code(row)}",
                payload={"rule": row.rule_id, "scope": f"{row.scope}:{row.target}"},
            )
            return row

    def list(self, *, state: str | None = None, tenant: str | None = None) -> list[PolicyWaiver]:
        """Waivers, optionally in one state and of one tenant's systems/resources/itself."""
        with self._sessions() as session:
            query = select(PolicyWaiver).order_by(col(PolicyWaiver.id))
            if state is not None:
                query = query.where(col(PolicyWaiver.state) == state)
            rows = list(session.exec(query))
            if tenant is None:
                return rows
            owners = _Owners(session)
            return [r for r in rows if owners.of(WaiverScope(r.scope), r.target) == tenant]

    def owner(self, scope: WaiverScope, target: str) -> str | None:
        """The tenant a waiver's target belongs to (``None``: no such target, or unowned)."""
        with self._sessions() as session:
            return _Owners(session).of(scope, target)

    def book(self) -> WaiverBook:
        with self._sessions() as session:
            return WaiverBook(approved_waivers(session))


class _Owners:
    """Tenant codes of waiver targets, each looked up once per session."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._seen: dict[tuple[WaiverScope, str], str | None] = {}

    def of(self, scope: WaiverScope, target: str) -> str | None:
        key = (scope, target)
        if key not in self._seen:
            self._seen[key] = self._lookup(scope, target)
        return self._seen[key]

    def _lookup(self, scope: WaiverScope, target: str) -> str | None:
        if scope is WaiverScope.TENANT:
            query = select(Tenant.code).where(col(Tenant.code) == target)
        elif scope is WaiverScope.SYSTEM:
            # System names are unique per tenant, not estate-wide: a name two tenants
            # share has no single owner, so nobody narrowed to one tenant gets it.
            codes = self._session.exec(
                select(Tenant.code)
                .join(System, col(System.tenant_id) == col(Tenant.id))
                .where(col(System.name) == target)
            ).all()
            return codes[0] if len(set(codes)) == 1 else None
        else:
            query = (
                select(Tenant.code)
                .join(Resource, col(Resource.tenant_id) == col(Tenant.id))
                .where(col(Resource.resource_id) == target)
            )
        return self._session.exec(query.limit(1)).first()


def _explain_unknown_roles(
    refused: WaiverRefused, approver: str, roles: frozenset[str] | None
) -> list[tuple[str, str]]:
    """Replace "lacks the role" by "cannot tell" when the directory does not know them."""
    if roles is not None:
        return list(refused.reasons)
    unknown = (
        f"无法确认 {approver} 是否具有审批人角色：estate 中没有该主体（principals）",
        f"cannot verify that {approver} holds the approver role: "
        "the estate records no such principal (spec.principals)",
    )
    role_reason = f"{approver} does not hold the approver role"
    return [unknown if en == role_reason else (zh, en) for zh, en in refused.reasons]
