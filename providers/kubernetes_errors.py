"""The one place Kubernetes client failures become govcloud provider errors.

Owns ``map_kube_error``: every ``ApiException``, urllib3 / socket error and kubeconfig
problem raised by the official ``kubernetes`` client is translated here into the
``providers.errors`` tree (the caller raises the result ``from`` the original, so the
cause is kept). Nothing else in ``providers`` inspects HTTP statuses.

Must not import anything internal except ``providers.errors``; the only SDK it
touches is ``kubernetes`` (and ``urllib3``, which that client is built on).
"""

from __future__ import annotations

import json
import ssl

import urllib3.exceptions
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from providers.errors import (
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderInvalidRequest,
    ProviderNotFound,
    ProviderQuotaExceeded,
    ProviderUnavailable,
)

__all__ = ["map_kube_error"]

# Admission answers 403 for quota and limit-range refusals; these phrases tell them apart
# from RBAC's "cannot <verb> resource" (kube-apiserver 1.20 wording).
_QUOTA_PHRASES = ("exceeded quota", "usage per container", "usage per pod")
_TRANSIENT_403_PHRASES = ("is being terminated", "status unknown for quota")


def _api_message(exc: ApiException) -> str:
    """The ``Status.message`` of the response body, else the reason phrase."""
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body:
        try:
            status = json.loads(body)
        except ValueError:
            return body.strip()[:500]
        message = status.get("message") if isinstance(status, dict) else None
        if isinstance(message, str):
            return message
    return str(exc.reason or "")


def _retry_after(exc: ApiException) -> float | None:
    headers = exc.headers or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _from_status(provider: str, exc: ApiException) -> ProviderError:
    status = int(exc.status or 0)
    message = _api_message(exc)
    detail = f"HTTP {status}: {message}" if status else message
    lowered = message.lower()
    if status == 401:
        return ProviderAuthError(provider, detail)
    if status == 403:
        if any(phrase in lowered for phrase in _QUOTA_PHRASES):
            return ProviderQuotaExceeded(provider, detail)
        if any(phrase in lowered for phrase in _TRANSIENT_403_PHRASES):
            return ProviderConflict(provider, detail)
        return ProviderAuthError(provider, detail)
    if status == 404:
        return ProviderNotFound(provider, detail)
    if status in (409, 410):
        return ProviderConflict(provider, detail)
    if status in (400, 405, 413, 415, 422):
        return ProviderInvalidRequest(provider, detail)
    if status == 429:
        return ProviderUnavailable(provider, detail, retry_after=_retry_after(exc))
    if status == 0 or status >= 500:
        return ProviderUnavailable(provider, detail, retry_after=_retry_after(exc))
    return ProviderError(provider, detail)


def map_kube_error(provider: str, exc: BaseException) -> ProviderError | None:
    """The govcloud error for a Kubernetes client failure; ``None`` if ``exc`` is not one.

    ``None`` lets callers re-raise programming errors untouched instead of disguising
    them as provider trouble.
    """
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, ApiException):
        return _from_status(provider, exc)
    if isinstance(exc, ConfigException):
        return ProviderAuthError(provider, f"kubeconfig: {exc}")
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        inner = map_kube_error(provider, exc.reason)
        if inner is not None:
            return inner
    if isinstance(exc, urllib3.exceptions.SSLError | ssl.SSLError):
        # A certificate the kubeconfig does not trust will not start working on retry.
        return ProviderUnavailable(provider, f"TLS handshake failed: {exc}", temporary=False)
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError | TimeoutError):
        return ProviderUnavailable(provider, f"cannot reach the API server: {exc}")
    return None
