"""The one place openstacksdk and keystoneauth1 exceptions become ``ProviderError``.

Owns ``to_provider_error`` (the mapping, by exception type and HTTP status, keeping
the SDK exception as ``__cause__``) and ``translated`` (a context manager wrapping a
block of SDK calls). Like openstacksdk's own ``raise_from_response``, the decision is
made in one function so every call site agrees on what "over quota" or "down" means.

Must not import anything internal except ``providers.errors``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from keystoneauth1 import exceptions as ksa
from openstack import exceptions as sdk
from openstack import warnings as sdk_warnings

from providers.errors import (
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderInvalidRequest,
    ProviderNotFound,
    ProviderQuotaExceeded,
    ProviderUnavailable,
)

__all__ = ["SDK_ERRORS", "SDK_NOISE", "to_provider_error", "translated"]

#: Every exception type the SDK stack raises on purpose.
SDK_ERRORS: tuple[type[BaseException], ...] = (sdk.SDKException, ksa.ClientException)

#: Warnings the SDK raises about its own internals, not about how it is called.
SDK_NOISE: tuple[type[Warning], ...] = (
    sdk_warnings.RemovedInSDK50Warning,
    sdk_warnings.RemovedInSDK60Warning,
    sdk_warnings.OpenStackDeprecationWarning,
)

# Nova answers 403 and Neutron 409 to over-quota requests; only the text tells them
# apart from a policy refusal or a state conflict.
_QUOTA_WORDS = ("quota", "exceed", "overquota", "over_quota")


def _status(exc: BaseException) -> int | None:
    for attribute in ("status_code", "http_status"):
        value = getattr(exc, attribute, None)
        if isinstance(value, int):
            return value
    response = getattr(exc, "response", None)
    value = getattr(response, "status_code", None)
    return value if isinstance(value, int) else None


def _retry_after(exc: BaseException) -> float | None:
    value = getattr(exc, "retry_after", None)
    if value is None:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None) or {}
        value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _detail(exc: BaseException) -> str:
    parts = [getattr(exc, "details", None), getattr(exc, "message", None), str(exc)]
    text = next((str(p) for p in parts if p), type(exc).__name__)
    return f"{type(exc).__name__}: {text}"[:500]


def _by_status(provider: str, exc: BaseException, status: int, detail: str) -> ProviderError:
    over_quota = any(word in detail.lower() for word in _QUOTA_WORDS)
    if status == 401:
        return ProviderAuthError(provider, detail)
    if status in (403, 409, 413) and over_quota:
        return ProviderQuotaExceeded(provider, detail)
    if status == 403:
        return ProviderAuthError(provider, f"forbidden: {detail}")
    if status == 404:
        return ProviderNotFound(provider, detail)
    if status == 409:
        return ProviderConflict(provider, detail)
    if status == 429:
        return ProviderUnavailable(provider, detail, retry_after=_retry_after(exc))
    if status >= 500:
        return ProviderUnavailable(provider, detail, retry_after=_retry_after(exc))
    return ProviderInvalidRequest(provider, detail)


def to_provider_error(provider: str, exc: BaseException) -> ProviderError:
    """The ``ProviderError`` for ``exc``, with ``exc`` as its ``__cause__``."""
    error = _classify(provider, exc)
    error.__cause__ = exc
    return error


def _classify(provider: str, exc: BaseException) -> ProviderError:
    if isinstance(exc, ProviderError):
        return exc
    inner = exc.__cause__ or exc.__context__
    if type(exc) is sdk.SDKException and isinstance(inner, SDK_ERRORS):
        # ``Connection.authorize`` re-raises keystoneauth errors as a bare SDKException.
        return _classify(provider, inner)
    detail = _detail(exc)
    # Transport failures first: keystoneauth raises them before any HTTP status exists.
    if isinstance(exc, ksa.ConnectionError | ksa.RetriableConnectionFailure):
        return ProviderUnavailable(provider, f"cannot reach the cloud: {detail}")
    if isinstance(exc, ksa.DiscoveryFailure | ksa.EndpointNotFound | ksa.CatalogException):
        return ProviderUnavailable(provider, f"service discovery failed: {detail}")
    if isinstance(
        exc, ksa.AuthorizationFailure | ksa.MissingRequiredOptions | ksa.AuthPluginException
    ):
        return ProviderAuthError(provider, detail)
    if isinstance(exc, sdk.ConfigException):
        return ProviderAuthError(provider, f"clouds.yaml: {detail}")
    if isinstance(exc, sdk.ResourceTimeout):
        return ProviderUnavailable(provider, f"timed out waiting: {detail}")
    if isinstance(exc, sdk.ResourceFailure):
        # A server that went ERROR: apply replaces it on the next run.
        return ProviderConflict(provider, f"resource failed: {detail}")
    status = _status(exc)
    if status is not None:
        return _by_status(provider, exc, status, detail)
    if isinstance(exc, sdk.DuplicateResource):
        return ProviderConflict(provider, detail)
    if isinstance(exc, sdk.ResourceNotFound | ksa.NotFound):
        return ProviderNotFound(provider, detail)
    return ProviderError(provider, detail)


@contextmanager
def translated(provider: str) -> Iterator[None]:
    """Run a block of SDK calls; SDK exceptions leave it as ``ProviderError``.

    openstacksdk 4.x also warns about its *own* internal calls (deprecated parameters
    it passes to itself, an InfluxDB section its config loader always fills in); those
    say nothing about govcloud's use, so they are silenced inside the block. Never hold
    the block open across a ``yield``: pull one item per block instead.
    """
    with warnings.catch_warnings():
        for category in SDK_NOISE:
            warnings.simplefilter("ignore", category)
        warnings.filterwarnings("ignore", message="Support for InfluxDB")
        try:
            yield
        except SDK_ERRORS as exc:
            raise to_provider_error(provider, exc) from exc
