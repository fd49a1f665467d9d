"""The provider error tree: every failure that crosses the ``providers`` boundary.

Owns ``ProviderError`` and its subclasses. Drivers translate SDK exceptions
(keystoneauth1, openstacksdk, the kubernetes ``ApiException``...) into these with
``raise ... from exc`` so the cause is kept but never leaks upward as an SDK type.
Retry semantics live in the type: ``temporary`` errors are retried with back-off,
permanent ones are recorded for the operator.

Must not import anything internal or any cloud SDK.
"""

from __future__ import annotations

from typing import ClassVar, Literal

Lang = Literal["zh", "en"]

__all__ = [
    "Lang",
    "ProviderAuthError",
    "ProviderConflict",
    "ProviderError",
    "ProviderInvalidRequest",
    "ProviderNotFound",
    "ProviderQuotaExceeded",
    "ProviderUnavailable",
]


class ProviderError(Exception):
    """A provider operation failed.

    ``provider`` names the configured provider (e.g. ``prov-main``); ``detail`` is the
    free-text reason (usually the SDK's message, kept verbatim for the operator).
    """

    #: Default retry semantics of the class; an instance may override it.
    default_temporary: ClassVar[bool] = False
    code: ClassVar[str] = "provider_error"
    title_zh: ClassVar[str] = "云平台错误"
    title_en: ClassVar[str] = "provider error"

    def __init__(
        self,
        provider: str,
        detail: str = "",
        *,
        temporary: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.provider = provider
        self.detail = detail
        self.temporary = self.default_temporary if temporary is None else temporary
        self.retry_after = retry_after
        super().__init__(self.message_en)

    @property
    def message_zh(self) -> str:
        suffix = f"：{self.detail}" if self.detail else ""
        return f"云平台 {self.provider} {self.title_zh}{suffix}"

    @property
    def message_en(self) -> str:
        suffix = f": {self.detail}" if self.detail else ""
        return f"provider {self.provider}: {self.title_en}{suffix}"

    def describe(self, lang: Lang = "en") -> str:
        """The user-visible message in Simplified Chinese (``zh``) or English (``en``)."""
        return self.message_zh if lang == "zh" else self.message_en

    def __reduce__(self) -> tuple[object, ...]:
        # Keeps errors picklable (worker processes, scheduler job stores) despite the
        # keyword-only arguments.
        return (
            _rebuild,
            (type(self), self.provider, self.detail, self.temporary, self.retry_after),
        )


def _rebuild(
    cls: type[ProviderError],
    provider: str,
    detail: str,
    temporary: bool,
    retry_after: float | None,
) -> ProviderError:
    return cls(provider, detail, temporary=temporary, retry_after=retry_after)


class ProviderAuthError(ProviderError):
    """Credentials were refused or are missing (permanent: retrying will not help)."""

    code = "auth"
    title_zh = "认证失败"
    title_en = "authentication failed"


class ProviderNotFound(ProviderError):
    """The addressed resource, project or namespace does not exist."""

    code = "not_found"
    title_zh = "资源不存在"
    title_en = "resource not found"


class ProviderQuotaExceeded(ProviderError):
    """The request would exceed a quota or the provider's capacity."""

    code = "quota_exceeded"
    title_zh = "超出配额"
    title_en = "quota exceeded"


class ProviderUnavailable(ProviderError):
    """The provider cannot be reached or answered 5xx / timed out (temporary)."""

    default_temporary = True
    code = "unavailable"
    title_zh = "暂不可用"
    title_en = "unavailable"


class ProviderConflict(ProviderError):
    """The resource is in a transitional state or was changed concurrently (temporary)."""

    default_temporary = True
    code = "conflict"
    title_zh = "资源状态冲突"
    title_en = "conflict"


class ProviderInvalidRequest(ProviderError):
    """The provider rejected the request as malformed (permanent)."""

    code = "invalid_request"
    title_zh = "请求无效"
    title_en = "invalid request"
