"""``govcloud infra export``: a system as the standalone Pulumi project that provisions it.

Reads, under the caller's roles (``request.show`` on the system's tenant), the system's
latest applied plan — its desired resources and the provider it was placed on — and has
``infra.export`` write the project for that provider (or another named one of a kind
Pulumi provisions). Nothing in the database changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from controlplane import rbac
from controlplane.db.models import Provider, Request, Tenant
from controlplane.i18n import Lang
from controlplane.requests.planned import desired_from_json
from infra.blueprint import blueprint, realisable
from infra.export import ExportedProject, export_project
from providers.types import SystemRef

__all__ = ["ExportRefused", "SystemExporter"]

#: Requests whose plan describes what the system holds (or is about to).
_APPLIED = ("Ready", "Provisioning", "Failed", "Approved")


@dataclass
class ExportRefused(LookupError):
    """Why a system cannot be exported; ``describe`` says it in the user's language."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en

    def describe(self, lang: Lang = "en") -> str:
        return self.zh if lang == "zh" else self.en


class SystemExporter:
    """Writes standalone Pulumi projects of systems (see the module docstring)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def export(
        self, system: str, *, directory: Path, actor: str, provider: str | None = None
    ) -> ExportedProject:
        with self._sessions() as session:
            identity = rbac.resolve(session, actor)
            found = session.exec(
                select(Request, Tenant)
                .join(Tenant, col(Tenant.id) == col(Request.tenant_id))
                .where(Request.system_name == system, Request.action == "apply")
                .where(col(Request.state).in_(_APPLIED))
                .order_by(col(Request.id).desc())
            ).all()
            if not found:
                raise ExportRefused(
                    f"没有已批准或已开通的系统 {system!r}",
                    f"no approved or provisioned system {system!r}",
                )
            tenants = sorted({tenant.code for _, tenant in found})
            visible = [t for t in tenants if rbac.can(identity, "request.show", t)]
            if not visible:
                rbac.authorize(identity, "request.show", tenants[0])
            if len(visible) > 1:
                raise ExportRefused(
                    f"多个部门都有系统 {system!r}（{', '.join(visible)}）：请以该部门身份导出",
                    f"system {system!r} exists in several tenants ({', '.join(visible)}); "
                    "export it as a principal of one of them",
                )
            request, tenant = next((r, t) for r, t in found if t.code == visible[0])
            facts = dict(request.plan.get("govcloud", {}))
            target = provider or str(facts.get("provider") or "")
            row = session.exec(select(Provider).where(Provider.name == target)).first()
            if row is None:
                raise ExportRefused(f"云平台 {target!r} 不存在", f"unknown provider {target!r}")
            assert request.id is not None
            ref = SystemRef(
                tenant.code,
                system,
                str(request.id),
                int(request.spec.get("classifiedProtection", 1)),
            )
            kind, cloud, context = row.kind, row.cloud, row.context
        desired = realisable(desired_from_json(list(facts.get("desired", []))), kind)
        if kind not in ("openstack", "kubernetes") or not desired:
            raise ExportRefused(
                f"系统 {system!r} 在云平台 {target}（{kind}）上没有 Pulumi 可开通的资源",
                f"system {system!r} has nothing Pulumi provisions on provider {target} ({kind}); "
                "Pulumi programs target openstack and kubernetes providers",
            )
        plan = blueprint(ref, desired, kind, provider=target)
        settings = (
            {"openstack:cloud": cloud or ""}
            if kind == "openstack"
            else {"kubernetes:context": context or ""}
        )
        return export_project(plan, provider=target, settings=settings, directory=directory)
