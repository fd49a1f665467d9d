"""Department requests: the lifecycle from ``apply``/``delete`` to provisioning.

Owns recording requests and moving them through their states
(:mod:`~controlplane.requests.states`), the approval chain
(:mod:`~controlplane.requests.approvals`), the narrow view of a plan the lifecycle acts
on (:mod:`~controlplane.requests.planned`), the service (:mod:`~controlplane.requests.service`)
and provisioning through the drivers (:mod:`~controlplane.requests.provisioning`), and
tenant/resource reads scoped by role (:mod:`~controlplane.requests.reads`).
RBAC (:mod:`controlplane.rbac`) and quotas (:mod:`controlplane.quotas`) are checked in
these services. Must not import the CLI, the TUI or any cloud SDK.
"""

from __future__ import annotations

from controlplane.app import App
from controlplane.db.models import Provider
from controlplane.drivers import engine_for
from controlplane.requests.approvals import AUTO_APPROVER, ChainStep, applicable_steps
from controlplane.requests.planned import (
    Planner,
    PlanSummary,
    desired_from_json,
    desired_to_json,
)
from controlplane.requests.provisioning import Provisioner, ProvisionResult
from controlplane.requests.reads import GovernedReads, TenantNotFound
from controlplane.requests.service import (
    ApplyResult,
    RequestDetail,
    RequestNotFound,
    RequestService,
    SelfApproval,
)
from controlplane.requests.states import FINAL, TRANSITIONS, IllegalTransition, State, state_word
from providers import Provisioning

__all__ = [
    "AUTO_APPROVER",
    "FINAL",
    "TRANSITIONS",
    "ApplyResult",
    "ChainStep",
    "GovernedReads",
    "IllegalTransition",
    "PlanSummary",
    "Planner",
    "ProvisionResult",
    "Provisioner",
    "RequestDetail",
    "RequestNotFound",
    "RequestService",
    "SelfApproval",
    "State",
    "TenantNotFound",
    "applicable_steps",
    "desired_from_json",
    "desired_to_json",
    "governed_reads",
    "provisioner",
    "request_service",
    "state_word",
]


def request_service(app: App, planner: Planner) -> RequestService:
    """A ``RequestService`` over ``app``'s database and clock with ``planner``."""
    return RequestService(app.sessions, app.clock, planner)


def governed_reads(app: App) -> GovernedReads:
    """Tenant and resource reads scoped by the acting principal's roles."""
    return GovernedReads(app.sessions)


def provisioner(app: App) -> Provisioner:
    """A ``Provisioner`` whose engines (SDK driver or Pulumi, per the provider's
    ``engine``) are built from the estate's provider rows."""

    def engines(provider: Provider) -> Provisioning:
        return engine_for(provider, app.settings, app.clock)

    return Provisioner(app.sessions, app.clock, engines)
