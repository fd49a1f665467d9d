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

import importlib
from typing import TYPE_CHECKING, Any

from controlplane.errors import (
    Conflict,
    GovcloudError,
    InvalidInput,
    NotFound,
    ProviderFailure,
    Unauthenticated,
)
from controlplane.facade.paging import DEFAULT_LIMIT, MAX_LIMIT, Page

if TYPE_CHECKING:
    from controlplane.app import SchemaNotCurrent
    from controlplane.billing import Month
    from controlplane.facade.errors import translate
    from controlplane.facade.govcloud import (
        Govcloud,
        Manifest,
        RepairReport,
        action_of,
        public_actions,
    )
    from controlplane.rbac import RULES, SYSTEM_PRINCIPAL, Identity, PermissionDenied
    from policies import WaiverScope

#: Names loaded on first use: the facade's machinery (services, SQLAlchemy) is imported
#: only by callers that use it, so a command that needs only the read models and pages
#: (a CLI talking to a server) starts without it.
_LAZY = {
    "Govcloud": "controlplane.facade.govcloud",
    "Manifest": "controlplane.facade.govcloud",
    "RepairReport": "controlplane.facade.govcloud",
    "action_of": "controlplane.facade.govcloud",
    "public_actions": "controlplane.facade.govcloud",
    "translate": "controlplane.facade.errors",
    "SchemaNotCurrent": "controlplane.app",
    "RULES": "controlplane.rbac",
    "SYSTEM_PRINCIPAL": "controlplane.rbac",
    "Identity": "controlplane.rbac",
    "PermissionDenied": "controlplane.rbac",
    "Month": "controlplane.billing",
    # what a waiver request names (the console asks for waivers through the facade)
    "WaiverScope": "policies",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
    "WaiverScope",
    "action_of",
    "public_actions",
    "translate",
]
