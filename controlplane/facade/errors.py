"""The facade's error tree and the one place deeper errors are translated into it.

Every error leaving :class:`~controlplane.facade.Govcloud` is a
:class:`~controlplane.errors.GovcloudError`: the CLI prints ``describe(lang)`` and exits
with ``exit_code``; the HTTP API answers ``http_status`` with a problem document naming
``code``. :func:`translate` maps the areas' own exceptions (kept as ``__cause__``);
an exception it does not know is a bug and propagates unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from controlplane.errors import (
    Conflict,
    GovcloudError,
    InvalidInput,
    NotFound,
    ProviderFailure,
    Unauthenticated,
)
from controlplane.rbac import PermissionDenied

if TYPE_CHECKING:
    from controlplane.app import SchemaNotCurrent
    from providers import ProviderError

__all__ = [
    "Conflict",
    "GovcloudError",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "ProviderFailure",
    "SchemaNotCurrent",
    "Unauthenticated",
    "translate",
]


def _both(exc: Exception) -> tuple[str, str]:
    describe = getattr(exc, "describe", None)
    if callable(describe):
        return str(describe("zh")), str(describe("en"))
    return str(exc), str(exc)


_INVALID_ZH = "输入无效，未做任何修改"
_INVALID_EN = "invalid input; nothing was changed"


def _kinds() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """The areas' not-found and conflict errors (imported when something went wrong)."""
    from controlplane.bills.errors import BillError, FinalizeRefused, StatementFinalized
    from controlplane.compliance import NoAuditRun, SystemNotFound, WaiverNotFound
    from controlplane.inventory.sync import UnknownProvider
    from controlplane.metering.service import MeteringError
    from controlplane.metering.store import IngestConflict
    from controlplane.quotas import QuotaExceeded
    from controlplane.requests import IllegalTransition, RequestNotFound, TenantNotFound
    from controlplane.requests.claims import RequestClaimed
    from controlplane.requests.exported import ExportRefused
    from controlplane.requests.provisioning import NothingToRepair
    from controlplane.scheduler.leases import LeaseHeld
    from controlplane.scheduler.service import JobNotFound

    not_found = (RequestNotFound, TenantNotFound, SystemNotFound, WaiverNotFound,
                 UnknownProvider, NoAuditRun, JobNotFound)  # fmt: skip
    conflict = (ExportRefused, NothingToRepair, IllegalTransition, QuotaExceeded,
                StatementFinalized, FinalizeRefused, BillError, MeteringError, IngestConflict,
                RequestClaimed, LeaseHeld)  # fmt: skip
    return not_found, conflict


def _provider_status(exc: ProviderError) -> int:
    """503 while a cloud cannot be reached; 502 when it answered with a refusal."""
    from providers.errors import ProviderUnavailable

    return 503 if isinstance(exc, ProviderUnavailable) else 502


def translate(exc: Exception) -> GovcloudError | None:
    """``exc`` as a :class:`GovcloudError` (``source`` is ``exc``), or ``None`` when it is
    not a known refusal."""
    if isinstance(exc, GovcloudError):
        return exc
    translated = _translated(exc)
    if translated is not None:
        translated.source = exc
    return translated


def _translated(exc: Exception) -> GovcloudError | None:
    from controlplane.billing.errors import BillingError
    from policies import WaiverRefused
    from providers import ProviderError
    from tenants import ManifestError

    not_found, conflict = _kinds()
    if isinstance(exc, ManifestError):
        return InvalidInput(_INVALID_ZH, _INVALID_EN, details=[str(p) for p in exc.problems])
    if isinstance(exc, WaiverRefused):
        return Conflict(
            "豁免被拒绝：\n" + "\n".join(f"  - {zh}" for zh, _ in exc.reasons),
            "waiver refused:\n" + "\n".join(f"  - {en}" for _, en in exc.reasons),
        )
    if isinstance(exc, ProviderError):
        zh, en = _both(exc)
        return ProviderFailure(zh, en, retryable=exc.temporary, status=_provider_status(exc))
    if isinstance(exc, not_found):
        return NotFound(*_both(exc))
    if isinstance(exc, conflict):
        return Conflict(*_both(exc))
    if isinstance(exc, BillingError | ValueError):
        return InvalidInput(*_both(exc))
    return None


def __getattr__(name: str) -> Any:
    if name == "SchemaNotCurrent":  # re-exported for callers; defined beside App
        from controlplane.app import SchemaNotCurrent

        return SchemaNotCurrent
    raise AttributeError(name)
