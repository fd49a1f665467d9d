"""The one door: :class:`Govcloud`, every operation govcloud offers, for one principal.

Callers — the CLI, the HTTP API, the terminal UI, scheduled jobs — build a ``Govcloud``
from an :class:`~controlplane.app.App` and an authenticated identity and call its
methods; they never build services, open sessions or call drivers. Each method names an
action of the role table (:data:`controlplane.rbac.RULES`), checked before anything is
read or written; results are frozen read models (:mod:`.models`), lists come in keyset
pages (:mod:`.paging`), and every refusal is a :class:`GovcloudError` (:mod:`.errors`).
Must not import the CLI, the HTTP layer, ``textual`` or any cloud SDK.
"""

from __future__ import annotations

from controlplane.billing import Month
from controlplane.errors import GovcloudError
from controlplane.facade.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ProviderFailure,
    SchemaNotCurrent,
    Unauthenticated,
    translate,
)
from controlplane.facade.govcloud import (
    Govcloud,
    Manifest,
    RepairReport,
    action_of,
    public_actions,
)
from controlplane.facade.paging import DEFAULT_LIMIT, MAX_LIMIT, Page
from controlplane.rbac import RULES, SYSTEM_PRINCIPAL, Identity

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "RULES",
    "SYSTEM_PRINCIPAL",
    "Conflict",
    "Govcloud",
    "GovcloudError",
    "Identity",
    "InvalidInput",
    "Manifest",
    "Month",
    "NotFound",
    "Page",
    "PermissionDenied",
    "ProviderFailure",
    "RepairReport",
    "SchemaNotCurrent",
    "Unauthenticated",
    "action_of",
    "public_actions",
    "translate",
]
