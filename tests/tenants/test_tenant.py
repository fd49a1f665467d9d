"""The ``Tenant`` value and its quotas (``tenants.tenant``).

Cases:
- the DESIGN.md tenant entries validate; ``name`` as a string or a zh/en mapping;
- ``budget`` is exact Decimal to the fen: strings, ints and YAML floats accepted,
  floats, negatives, sub-fen amounts and nonsense refused;
- city rules: municipal/county need a city, provincial must not have one (located);
- quotas per provider: unknown fields and negative limits refused, unlimited by default;
  ``exceeded_by`` names exactly the resources over quota; ``ResourceAmounts`` arithmetic;
- a tenant inside a YAML document gives located errors.
"""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from tenants.errors import Location, ManifestError
from tenants.located import load_yaml_documents
from tenants.tenant import QuotaExcess, ResourceAmounts, Tenant
from tenants.validation import parse_model


def _tenant(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "code": "city-a-edu",
        "name": "甲市教育局",
        "level": "municipal",
        "city": "city-a",
        "budget": "300000.00",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_design_tenants_validate() -> None:
    hrss = Tenant.model_validate(
        {
            "code": "hrss",
            "name": "省人力资源和社会保障厅",
            "level": "provincial",
            "budget": "1200000.00",
        }
    )
    assert hrss.annual_budget == Decimal("1200000.00")
    assert (
        str(hrss.name) == "省人力资源和社会保障厅"
        and hrss.name.text("en") == "省人力资源和社会保障厅"
    )
    water = Tenant.model_validate(
        {
            "code": "water-dept",
            "name": "省水利厅",
            "level": "provincial",
            "sector": "water",
            "budget": "500000.00",
        }
    )
    assert water.sector == "water" and water.city is None
    edu = Tenant.model_validate(_tenant())
    assert edu.city == "city-a"


def test_bilingual_name() -> None:
    tenant = Tenant.model_validate(
        _tenant(name={"zh": "甲市教育局", "en": "City A Education Bureau"})
    )
    assert tenant.name.text("en") == "City A Education Bureau"
    assert tenant.name.text("zh") == "甲市教育局"
    with pytest.raises(ValidationError):
        Tenant.model_validate(_tenant(name={"en": "no Chinese name"}))
    with pytest.raises(ValidationError):
        Tenant.model_validate(_tenant(name=""))


@pytest.mark.parametrize(
    ("budget", "amount"),
    [
        ("1200000.00", "1200000.00"),
        ("0.1", "0.10"),
        (300000, "300000.00"),
        (Decimal("12.5"), "12.50"),
    ],
)
def test_budget_is_exact(budget: Any, amount: str) -> None:
    value = Tenant.model_validate(_tenant(budget=budget)).annual_budget
    assert value == Decimal(amount) and str(value) == amount


@pytest.mark.parametrize(
    ("budget", "words"),
    [
        (0.1, "not an amount"),
        (True, "not an amount"),
        ("12.345", "exact to the fen"),
        ("-1.00", "not negative"),
        ("lots", "not an amount"),
        ("NaN", "finite"),
        ("1e30", "too large"),
    ],
)
def test_budget_refusals(budget: Any, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Tenant.model_validate(_tenant(budget=budget))
    (error,) = caught.value.errors()
    assert error["loc"] == ("budget",)
    assert words in error["msg"]


@pytest.mark.parametrize(
    ("changes", "at", "words"),
    [
        ({"level": "provincial"}, ("city",), "provincial department has no city"),
        ({"city": None}, ("level",), "must name its city"),
        ({"level": "county", "city": None}, ("level",), "county department must name its city"),
        ({"level": "sector"}, ("level",), ""),
        ({"code": "Edu"}, ("code",), "lowercase"),
    ],
)
def test_level_and_city_rules(changes: dict[str, Any], at: tuple[str, ...], words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Tenant.model_validate(_tenant(**changes))
    (error,) = caught.value.errors()
    assert (*error["loc"], *(error.get("ctx") or {}).get("at", ())) == at
    assert words in error["msg"]


def test_quotas_per_provider() -> None:
    tenant = Tenant.model_validate(
        _tenant(quotas={"city-a": {"vcpu": 100, "memoryGiB": 400, "publicIps": 2}})
    )
    quota = tenant.quota_on("city-a")
    assert (quota.vcpu, quota.memory_gib, quota.storage_gib, quota.public_ips) == (
        100,
        400,
        None,
        2,
    )
    assert tenant.quota_on("prov-main").exceeded_by(ResourceAmounts(vcpu=Decimal(10**6))) == []
    used = ResourceAmounts(vcpu=Decimal(90), memory_gib=Decimal(100), public_ips=2)
    extra = ResourceAmounts(vcpu=Decimal("10.5"), storage_gib=Decimal(10**6), public_ips=1)
    assert quota.exceeded_by(used + extra) == [
        QuotaExcess("vcpu", 100, Decimal("100.5")),
        QuotaExcess("public_ips", 2, Decimal(3)),
    ]
    assert quota.exceeded_by(used) == []
    assert (used + extra) - extra == used
    assert str(QuotaExcess("vcpu", 100, Decimal("100.5"))) == "vcpu: 100.5 requested, quota 100"


def test_amounts_arithmetic_covers_every_field() -> None:
    """The operators spell the fields out (for speed): each one must take part."""
    names = [f.name for f in fields(ResourceAmounts)]
    a = ResourceAmounts(**{name: 7 + i for i, name in enumerate(names)})
    b = ResourceAmounts(**{name: 1 + 2 * i for i, name in enumerate(names)})
    assert [getattr(a + b, n) for n in names] == [getattr(a, n) + getattr(b, n) for n in names]
    assert [getattr(a - b, n) for n in names] == [getattr(a, n) - getattr(b, n) for n in names]


@pytest.mark.parametrize(
    "quotas",
    [
        {"city-a": {"cpu": 1}},
        {"city-a": {"vcpu": -1}},
        {"city-a": {"vcpu": "10"}},
        {"City_A": {"vcpu": 1}},
    ],
)
def test_bad_quotas_are_refused(quotas: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Tenant.model_validate(_tenant(quotas=quotas))


def test_tenant_errors_in_yaml_are_located() -> None:
    text = (
        "tenant:\n  code: city-b-health\n  name: 乙市卫健委\n  level: municipal\n  budget: 12.345\n"
    )
    (doc,) = load_yaml_documents(text, "estate.yaml")
    with pytest.raises(ManifestError) as caught:
        parse_model(Tenant, doc, ("tenant",))
    problems = [(p.location, p.path) for p in caught.value.problems]
    assert problems == [(Location("estate.yaml", 5, 11), "tenant.budget")]
    (doc,) = load_yaml_documents(text.replace("12.345", '"1.00"'), "estate.yaml")
    with pytest.raises(ManifestError) as caught:
        parse_model(Tenant, doc, ("tenant",))
    ((location, path),) = [(p.location, p.path) for p in caught.value.problems]
    assert (location, path) == (Location("estate.yaml", 4, 10), "tenant.level")
