"""Who is calling: govcloud-issued bearer tokens (and, in :mod:`controlplane.keystone`,
Keystone tokens mapped to estate principals).

A token reads ``gct_<id>_<secret>``: the id finds the row, the secret is compared with
the stored SHA-256 in constant time; the secret itself is never stored or shown again.
Unknown, malformed, expired and revoked tokens are all refused the same way
(:class:`~controlplane.errors.Unauthenticated`), so a caller learns nothing about
which tokens exist. Creating and revoking tokens are facade actions (``token.*``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from controlplane import audit
from controlplane.db.tables_auth import ApiToken
from controlplane.errors import InvalidInput, Unauthenticated
from controlplane.timeutil import Clock

__all__ = ["IssuedToken", "TokenInfo", "TokenService", "parse_duration"]

_PREFIX = "gct"
_SHAPE = re.compile(r"^gct_([0-9a-f]{12})_([A-Za-z0-9_-]{32,64})$")
_DURATION = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _refused() -> Unauthenticated:
    return Unauthenticated(
        "未认证：令牌无效、已过期或已吊销", "unauthenticated: token unknown, expired or revoked"
    )


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``2w`` → a duration (a located error otherwise)."""
    found = _DURATION.match(text.strip())
    if not found or int(found.group(1)) == 0:
        raise InvalidInput(
            f"有效期 {text!r} 无效：应为 正整数+单位（m/h/d/w），如 30d",
            f"expiry {text!r} is not a duration: expected a positive number and m/h/d/w, e.g. 30d",
            details=("expires",),
        )
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: never its secret."""

    token_id: str
    principal: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``token`` is shown once and cannot be recovered."""

    token: str
    info: TokenInfo


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        token_id=row.token_id,
        principal=row.principal,
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


class TokenService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def create(self, principal: str, *, expires_in: timedelta | None, actor: str) -> IssuedToken:
        now = self._clock()
        token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        row = ApiToken(
            token_id=token_id,
            secret_hash=_digest(secret),
            principal=principal,
            created_by=actor,
            created_at=now,
            expires_at=now + expires_in if expires_in is not None else None,
        )
        with self._sessions() as session, session.begin():
            session.add(row)
            audit.append(
                session,
                at=now,
                actor=actor,
                action="token.create",
                subject=f"token/{token_id}",
                payload={"principal": principal, "expires_at": str(row.expires_at)},
            )
            info = _info(row)
        return IssuedToken(f"{_PREFIX}_{token_id}_{secret}", info)

    def list(self, principal: str | None = None) -> list[TokenInfo]:
        with self._sessions() as session:
            query = select(ApiToken).order_by(col(ApiToken.created_at), col(ApiToken.id))
            if principal is not None:
                query = query.where(col(ApiToken.principal) == principal)
            return [_info(r) for r in session.exec(query)]

    def revoke(self, token_id: str, *, actor: str) -> TokenInfo | None:
        """Revoke one token (revoking a revoked one changes nothing); ``None``: no such id."""
        now = self._clock()
        with self._sessions() as session, session.begin():
            row = session.exec(select(ApiToken).where(col(ApiToken.token_id) == token_id)).first()
            if row is None:
                return None
            if row.revoked_at is None:
                row.revoked_at, row.revoked_by = now, actor
                session.add(row)
                audit.append(
                    session,
                    at=now,
                    actor=actor,
                    action="token.revoke",
                    subject=f"token/{token_id}",
                    payload={"principal": row.principal},
                )
            return _info(row)

    def authenticate(self, token: str) -> str:
        """The principal ``token`` acts for, or :class:`Unauthenticated`."""
        shape = _SHAPE.match(token.strip())
        if shape is None:
            raise _refused()
        token_id, secret = shape.groups()
        with self._sessions() as session:
            row = session.exec(select(ApiToken).where(col(ApiToken.token_id) == token_id)).first()
        if row is None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
            raise _refused()
        if _info(row).state(self._clock()) != "active":
            raise _refused()
        return row.principal
