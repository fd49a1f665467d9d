"""Compliance: continuous audit of the inventory, stored results, violations, waivers, reports.

The control-plane side of :mod:`policies`: it maps inventory rows to policy views, binds
the estate's policy per scope, stores every audit result (passes included) with the
violation lifecycle derived from successive runs, keeps waivers (request, approval by a
different principal with the approver role, mandatory expiry) and builds per-测评单元
reports from the stored results. Services take their session factory and clock in the
constructor; :func:`compliance_service` and :func:`waiver_service` build them from an
``App``. Must not import ``textual`` or any cloud SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from controlplane.lazy import exports

if TYPE_CHECKING:
    from controlplane.app import App
    from controlplane.compliance.audit import (
        ComplianceService,
        NoAuditRun,
        SystemNotFound,
        run_summary,
    )
    from controlplane.compliance.binding import resolve_policy
    from controlplane.compliance.lifecycle import OPEN, RESOLVED, WAIVED, finding_key
    from controlplane.compliance.views import AuditScope, Inventory
    from controlplane.compliance.waivers import (
        APPROVER_ROLE,
        EstatePrincipals,
        RoleDirectory,
        StaticRoles,
        WaiverNotFound,
        WaiverService,
        waiver_code,
    )

#: Names loaded on first use: ``controlplane.compliance.words`` (the words the CLI says)
#: is read without loading the services, SQLAlchemy and the policy engine.
_LAZY = {
    "ComplianceService": "controlplane.compliance.audit",
    "NoAuditRun": "controlplane.compliance.audit",
    "SystemNotFound": "controlplane.compliance.audit",
    "run_summary": "controlplane.compliance.audit",
    "resolve_policy": "controlplane.compliance.binding",
    "OPEN": "controlplane.compliance.lifecycle",
    "RESOLVED": "controlplane.compliance.lifecycle",
    "WAIVED": "controlplane.compliance.lifecycle",
    "finding_key": "controlplane.compliance.lifecycle",
    "AuditScope": "controlplane.compliance.views",
    "Inventory": "controlplane.compliance.views",
    "APPROVER_ROLE": "controlplane.compliance.waivers",
    "EstatePrincipals": "controlplane.compliance.waivers",
    "RoleDirectory": "controlplane.compliance.waivers",
    "StaticRoles": "controlplane.compliance.waivers",
    "WaiverNotFound": "controlplane.compliance.waivers",
    "WaiverService": "controlplane.compliance.waivers",
    "waiver_code": "controlplane.compliance.waivers",
}

__getattr__ = exports(__name__, _LAZY)


__all__ = [
    "APPROVER_ROLE",
    "OPEN",
    "RESOLVED",
    "WAIVED",
    "AuditScope",
    "ComplianceService",
    "EstatePrincipals",
    "Inventory",
    "NoAuditRun",
    "RoleDirectory",
    "StaticRoles",
    "SystemNotFound",
    "WaiverNotFound",
    "WaiverService",
    "compliance_service",
    "finding_key",
    "resolve_policy",
    "run_summary",
    "waiver_code",
    "waiver_service",
]


def compliance_service(app: App) -> ComplianceService:
    """``app``'s audit/report service (built once, by the App)."""
    return app.compliance


def waiver_service(app: App, roles: RoleDirectory | None = None) -> WaiverService:
    """``app``'s waiver service; tests hand in another role directory at this seam."""
    if roles is None:
        return app.waivers
    from controlplane.compliance.waivers import WaiverService

    return WaiverService(app.sessions, app.clock, roles)
