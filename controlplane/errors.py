"""The root of govcloud's error tree: one exception type every caller can render.

A :class:`GovcloudError` carries what each door needs to answer: the CLI's exit code,
the HTTP status, a stable machine-readable ``code`` and the message in Simplified
Chinese and English. Errors raised deeper (a manifest problem from ``tenants``, a
driver's ``ProviderError``, a quota refusal) are translated into this tree in one
place, :func:`controlplane.facade.errors.translate`. Imports nothing internal but i18n.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from controlplane.i18n import Lang

__all__ = [
    "Conflict",
    "GovcloudError",
    "InvalidInput",
    "NotFound",
    "ProviderFailure",
    "Unauthenticated",
]


class GovcloudError(Exception):
    """Something govcloud refuses or cannot do, said in both languages.

    Subclasses fix ``code``, ``exit_code`` and ``http_status``; an instance may
    override them (a translated error keeps the status of what it translates).
    """

    code: ClassVar[str] = "error"
    exit_code: int = 1
    http_status: int = 500
    #: The area's own exception this one translates (set only by ``translate``), so a
    #: door that words errors itself (the CLI, in Chinese too) can word the original.
    source: Exception | None = None

    def __init__(
        self,
        message_zh: str,
        message_en: str,
        *,
        details: tuple[str, ...] = (),
        exit_code: int | None = None,
        http_status: int | None = None,
    ) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        self.details = details
        if exit_code is not None:
            self.exit_code = exit_code
        if http_status is not None:
            self.http_status = http_status
        super().__init__(message_en)

    def describe(self, lang: Lang = "en") -> str:
        return self.message_zh if lang == "zh" else self.message_en


class InvalidInput(GovcloudError):
    """Bad input, nothing changed; ``details`` locates every problem (file:line:col, path)."""

    code = "invalid"
    exit_code = 2
    http_status = 422

    def __init__(
        self, message_zh: str, message_en: str, *, details: Sequence[str] = (), **kw: int
    ) -> None:
        super().__init__(message_zh, message_en, details=tuple(details), **kw)


class NotFound(GovcloudError):
    """What the call names does not exist (or the actor may not know that it does)."""

    code = "not_found"
    http_status = 404


class Conflict(GovcloudError):
    """Refused in the current state: an illegal transition, a finalized month, a quota."""

    code = "conflict"
    http_status = 409


class ProviderFailure(GovcloudError):
    """A cloud said no or could not be reached; ``retryable``: the error is temporary."""

    code = "provider_error"
    http_status = 502

    def __init__(self, message_zh: str, message_en: str, *, retryable: bool, status: int) -> None:
        super().__init__(message_zh, message_en, http_status=status)
        self.retryable = retryable


class Unauthenticated(GovcloudError):
    """No credential, or one govcloud does not accept (unknown, expired, revoked)."""

    code = "unauthenticated"
    http_status = 401
