"""Tables of API authentication: govcloud-issued bearer tokens.

A token is shown once, when it is created; the database keeps only its public id and
the SHA-256 of its secret, with who it acts for, when it expires and whether it was
revoked. Written only by :mod:`controlplane.auth`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from controlplane.db.types import UTCDateTime

__all__ = ["ApiToken"]


def _ts(*, nullable: bool = False) -> Any:
    return Field(sa_type=UTCDateTime(), nullable=nullable)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_id: str = Field(max_length=16, unique=True)
    secret_hash: str = Field(max_length=64)
    principal: str = Field(max_length=128, index=True)
    created_by: str = Field(max_length=128)
    created_at: datetime = _ts()
    expires_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)
    revoked_by: str | None = Field(default=None, max_length=128)
