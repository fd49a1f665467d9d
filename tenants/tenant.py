"""The department (委办局) as a value: who it is, where it sits, what it may spend and use.

A :class:`Tenant` is one entry of the estate's ``spec.tenants`` list::

    - code: hrss
      name: {zh: 省人力资源和社会保障厅, en: Department of Human Resources and Social Security}
      level: provincial
      budget: "1200000.00"
      quotas:
        prov-main: {vcpu: 400, memoryGiB: 1600, storageGiB: 50000, publicIps: 8, namespaces: 4}

``name`` may also be a plain string (the Chinese name). Quotas are per provider; a field
left out of a provider's quota is unlimited, a provider left out of ``quotas`` has no
per-department limit beyond the provider's own capacity. :class:`ResourceAmounts` is the
arithmetic the control plane uses to check a reservation against a quota. Imports no other
govcloud package.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, Strict, model_validator

from tenants.fields import DnsLabel, Money
from tenants.frozen import quick_init
from tenants.validation import StrictModel, schema_error

__all__ = [
    "LocalizedName",
    "Quota",
    "QuotaExcess",
    "ResourceAmounts",
    "Tenant",
    "TenantLevel",
]

TenantLevel = Literal["provincial", "municipal", "county"]


def _name_from_string(value: Any) -> Any:
    return {"zh": value} if isinstance(value, str) else value


class LocalizedName(StrictModel):
    """A name in Simplified Chinese and, optionally, English (shown as the Chinese when absent)."""

    zh: Annotated[str, Strict(), Field(min_length=1, max_length=200)]
    en: Annotated[str, Strict(), Field(min_length=1, max_length=200)] | None = None

    def __str__(self) -> str:
        return self.zh

    def text(self, language: Literal["zh", "en"]) -> str:
        """The name in ``language``, falling back to Chinese."""
        return self.en if language == "en" and self.en else self.zh


@quick_init
@dataclass(frozen=True)
class ResourceAmounts:
    """Amounts of the quota-controlled resources; add and subtract them like numbers."""

    vcpu: Decimal = Decimal(0)
    memory_gib: Decimal = Decimal(0)
    storage_gib: Decimal = Decimal(0)
    public_ips: int = 0
    namespaces: int = 0

    # spelled out field by field: placement adds and subtracts these a few times for
    # every provider of every plan, and a loop over ``fields()`` cost several times more
    def __add__(self, other: ResourceAmounts) -> ResourceAmounts:
        return ResourceAmounts(
            self.vcpu + other.vcpu,
            self.memory_gib + other.memory_gib,
            self.storage_gib + other.storage_gib,
            self.public_ips + other.public_ips,
            self.namespaces + other.namespaces,
        )

    def __sub__(self, other: ResourceAmounts) -> ResourceAmounts:
        return ResourceAmounts(
            self.vcpu - other.vcpu,
            self.memory_gib - other.memory_gib,
            self.storage_gib - other.storage_gib,
            self.public_ips - other.public_ips,
            self.namespaces - other.namespaces,
        )


@dataclass(frozen=True)
class QuotaExcess:
    """One resource a reservation would push over its quota."""

    resource: str
    limit: int
    requested: Decimal

    def __str__(self) -> str:
        return f"{self.resource}: {self.requested} requested, quota {self.limit}"


_Limit = Annotated[int, Strict(), Field(ge=0)]


class Quota(StrictModel):
    """A department's limits on one provider; ``None`` means no limit on that resource."""

    vcpu: _Limit | None = None
    memory_gib: _Limit | None = Field(default=None, alias="memoryGiB")
    storage_gib: _Limit | None = Field(default=None, alias="storageGiB")
    public_ips: _Limit | None = None
    namespaces: _Limit | None = None

    def exceeded_by(self, total: ResourceAmounts) -> list[QuotaExcess]:
        """Every resource where ``total`` (in use plus the new reservation) is over quota."""
        out: list[QuotaExcess] = []
        for item in fields(ResourceAmounts):
            limit: int | None = getattr(self, item.name)
            wanted = Decimal(getattr(total, item.name))
            if limit is not None and wanted > limit:
                out.append(QuotaExcess(item.name, limit, wanted))
        return out


class Tenant(StrictModel):
    """A department: ``code`` is its stable id in manifests, bills and the audit log.

    ``level`` is provincial, municipal or county; municipal and county departments name
    their ``city`` (the municipal cloud that serves them), provincial ones must not. A
    ``sector`` (e.g. ``water``) lets the department use that sector's cloud. ``budget`` is
    the annual budget in CNY, exact to the fen.
    """

    code: DnsLabel
    name: Annotated[LocalizedName, BeforeValidator(_name_from_string)]
    level: TenantLevel
    city: DnsLabel | None = None
    sector: DnsLabel | None = None
    annual_budget: Money = Field(alias="budget")
    quotas: dict[DnsLabel, Quota] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _city_matches_level(self) -> Tenant:
        if self.level == "provincial" and self.city is not None:
            raise schema_error(
                "a provincial department has no city",
                expected="no city for level provincial",
                found=repr(self.city),
                at=("city",),
                key=True,
            )
        if self.level != "provincial" and self.city is None:
            raise schema_error(
                f"a {self.level} department must name its city",
                expected="city: <a DNS label>",
                at=("level",),
            )
        return self

    def quota_on(self, provider: str) -> Quota:
        """The department's quota on ``provider`` (no limits if none is declared)."""
        return self.quotas.get(provider, _UNLIMITED)


_UNLIMITED = Quota()
