"""The estate's governance sections: principals and their roles, quotas, approval chains.

``principals`` bind people (or service accounts) to roles; ``quotas`` cap what a
department may hold on one provider; ``approvals`` is the ordered chain of steps a
request must pass (each step names the role that decides and when it applies). A request
that no step matches is approved automatically, and that decision is recorded like any
other. Structural rules live in the models; cross-references (unknown tenant or
provider, duplicates) in :func:`governance_problems`, each located.

Imports ``tenants`` only (plus the schema helpers of this package); no database.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, model_validator

from controlplane.estate.roles import ROLES, Role
from tenants import LocatedDocument, Problem, StrictModel
from tenants.bounds import not_bool
from tenants.located import Path

if TYPE_CHECKING:
    from controlplane.estate.schema import EstateSpec

__all__ = [
    "ROLES",
    "ApprovalCondition",
    "ApprovalStepSpec",
    "PrincipalSpec",
    "QuotaSpec",
    "Role",
    "governance_problems",
]


PrincipalName = Annotated[
    str, Field(min_length=1, max_length=128, pattern=r"^[a-z0-9][a-z0-9._@-]*$")
]
_Limit = Annotated[int, not_bool, Field(ge=0, le=10**12)]  # beyond any quota; SQL BIGINT-safe


class PrincipalSpec(StrictModel):
    """Someone govcloud acts for: a name, its roles, and its tenant when a department."""

    name: PrincipalName
    roles: list[Role] = Field(min_length=1)
    tenant: str | None = None


class QuotaSpec(StrictModel):
    """A department's limits on one provider; a field left out is unlimited."""

    tenant: str
    provider: str
    vcpu: _Limit | None = None
    memory_gib: _Limit | None = Field(default=None, alias="memoryGiB")
    storage_gib: _Limit | None = Field(default=None, alias="storageGiB")
    public_ips: _Limit | None = Field(default=None, alias="publicIPs")
    namespaces: _Limit | None = None

    def limits(self) -> dict[str, int | None]:
        return {
            "vcpu": self.vcpu,
            "memory_gib": self.memory_gib,
            "storage_gib": self.storage_gib,
            "public_ips": self.public_ips,
            "namespaces": self.namespaces,
        }


class ApprovalCondition(StrictModel):
    """When a step applies: exactly one of ``minLevel``, ``overBudget``, ``always``."""

    min_level: int | None = Field(default=None, ge=1, le=4)
    over_budget: Literal[True] | None = None
    always: Literal[True] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ApprovalCondition:
        given = [v for v in (self.min_level, self.over_budget, self.always) if v is not None]
        if len(given) != 1:
            raise ValueError(
                "a step applies under exactly one condition: "
                "{minLevel: N}, {overBudget: true} or {always: true}"
            )
        return self

    def stored(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


class ApprovalStepSpec(StrictModel):
    """One step of the approval chain, decided by any principal holding ``role``."""

    name: Annotated[str, Field(min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9-]*$")]
    role: Literal["approver", "finance", "operator"]
    when: ApprovalCondition


def _duplicates(
    doc: LocatedDocument, keys: Sequence[Any], base: Path, field: str | None, what: str
) -> Iterator[Problem]:
    seen: dict[Any, int] = {}
    for index, key in enumerate(keys):
        if key in seen:
            yield doc.problem(
                (*base, index, field) if field else (*base, index),
                f"duplicate {what} {key!r} (first declared at {base[-1]}[{seen[key]}])",
                expected=f"a unique {what}",
            )
        else:
            seen[key] = index


def _principal_problems(doc: LocatedDocument, spec: EstateSpec) -> Iterator[Problem]:
    base: Path = ("spec", "principals")
    tenants = {t.code for t in spec.tenants}
    yield from _duplicates(doc, [p.name for p in spec.principals], base, "name", "principal")
    for i, p in enumerate(spec.principals):
        if "department" in p.roles and p.tenant is None:
            yield doc.problem(
                (*base, i),
                "a department principal acts for one tenant",
                expected="a tenant field naming a tenant of this estate",
            )
        if p.tenant is not None and "department" not in p.roles:
            yield doc.problem(
                (*base, i, "tenant"),
                "only department principals are scoped to a tenant",
                expected="no tenant, or the department role",
            )
        if p.tenant is not None and p.tenant not in tenants:
            yield doc.problem(
                (*base, i, "tenant"),
                f"unknown tenant {p.tenant!r}",
                expected="a tenant code declared under spec.tenants",
                found=p.tenant,
            )
        if len(set(p.roles)) != len(p.roles):
            yield doc.problem((*base, i, "roles"), "a role is listed twice")


def _quota_problems(doc: LocatedDocument, spec: EstateSpec) -> Iterator[Problem]:
    base: Path = ("spec", "quotas")
    tenants = {t.code for t in spec.tenants}
    providers = {p.name for p in spec.providers}
    yield from _duplicates(
        doc, [(q.tenant, q.provider) for q in spec.quotas], base, None, "quota (tenant, provider)"
    )
    for i, q in enumerate(spec.quotas):
        if q.tenant not in tenants:
            yield doc.problem(
                (*base, i, "tenant"),
                f"unknown tenant {q.tenant!r}",
                expected="a tenant code declared under spec.tenants",
                found=q.tenant,
            )
        if q.provider not in providers:
            yield doc.problem(
                (*base, i, "provider"),
                f"unknown provider {q.provider!r}",
                expected="a provider name declared under spec.providers",
                found=q.provider,
            )


def governance_problems(doc: LocatedDocument, spec: EstateSpec) -> list[Problem]:
    """Every cross-reference the governance sections break, each located."""
    return [
        *_principal_problems(doc, spec),
        *_quota_problems(doc, spec),
        *_duplicates(
            doc, [s.name for s in spec.approvals], ("spec", "approvals"), "name", "approval step"
        ),
    ]
