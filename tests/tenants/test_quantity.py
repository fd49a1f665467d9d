"""Kubernetes-style quantities (``tenants.quantity``).

Cases:
- parsing: plain, signed, fractional, decimal SI, binary SI and exponent forms, exactly;
- refusals with a reason: unknown suffix, spaces, no number, malformed numbers, huge
  exponents;
- canonical formatting: binary and decimal suffixes, milli/nano, exponent fallback;
- properties (hypothesis): ``parse(format(v)) == v`` for any value; formatting is a fixed
  point; ordering of quantities is the ordering of their values across suffixes;
- the pydantic field types: accepted inputs, negative/fractional/boolean refusals and
  JSON output in canonical form.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tenants.quantity import (
    BINARY_SUFFIXES,
    DECIMAL_SUFFIXES,
    ByteQuantity,
    CountQuantity,
    CpuQuantity,
    QuantityError,
    format_quantity,
    parse_quantity,
)
from tenants.validation import StrictModel


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("16", Decimal(16)),
        ("+3", Decimal(3)),
        ("-2", Decimal(-2)),
        ("500m", Decimal("0.5")),
        ("1.5", Decimal("1.5")),
        (".5", Decimal("0.5")),
        ("5.", Decimal(5)),
        ("64Gi", Decimal(64 * 1024**3)),
        ("1.5G", Decimal(1_500_000_000)),
        ("0.5Ki", Decimal(512)),
        ("1k", Decimal(1000)),
        ("3E", Decimal(3 * 10**18)),
        ("1e3", Decimal(1000)),
        ("2E-2", Decimal("0.02")),
        ("100n", Decimal("0.0000001")),
        ("7u", Decimal("0.000007")),
        ("1Ei", Decimal(1024**6)),
    ],
)
def test_parse(text: str, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("16x", "unknown suffix 'x'"),
        ("1K", "unknown suffix 'K'"),
        ("1GB", "unknown suffix 'GB'"),
        ("", "empty"),
        (" 1", "spaces"),
        ("1 Gi", "between the number and its suffix"),
        ("Gi", "starts with a number"),
        ("1.2.3", "malformed number"),
        ("1e99999", "out of range"),
        ("--1", "starts with a number"),
    ],
)
def test_refusals_say_why(text: str, reason: str) -> None:
    with pytest.raises(QuantityError, match=reason.replace(".", r"\.")):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("value", "binary", "text"),
    [
        (Decimal(0), False, "0"),
        (Decimal(16), False, "16"),
        (Decimal("16.000"), False, "16"),
        (Decimal("0.5"), False, "500m"),
        (Decimal(1500), False, "1500"),
        (Decimal(15000), False, "15k"),
        (Decimal("1E+21"), False, "1000E"),
        (Decimal("1E-10"), False, "100e-12"),
        (Decimal("-0.25"), False, "-250m"),
        (64 * 1024**3, True, "64Gi"),
        (32 * 10**9, True, "32G"),
        (1536, True, "1536"),
        (Decimal("0.5"), True, "500m"),
    ],
)
def test_format(value: Decimal | int, binary: bool, text: str) -> None:
    assert format_quantity(value, binary=binary) == text


def test_format_refuses_non_finite() -> None:
    with pytest.raises(QuantityError):
        format_quantity(Decimal("Infinity"))


values = st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
    lambda d: d == 0 or -300 < d.adjusted() < 300
)
quantity_texts = st.builds(
    lambda number, suffix: f"{number}{suffix}",
    st.decimals(min_value=0, max_value=10**6, places=3),
    st.sampled_from([*BINARY_SUFFIXES, *DECIMAL_SUFFIXES, "e3", "e-2"]),
)


@given(values, st.booleans())
def test_round_trip(value: Decimal, binary: bool) -> None:
    text = format_quantity(value, binary=binary)
    assert parse_quantity(text) == value
    assert format_quantity(parse_quantity(text), binary=binary) == text


@given(quantity_texts)
def test_canonical_form_is_a_fixed_point(text: str) -> None:
    value = parse_quantity(text)
    canonical = format_quantity(value, binary=True)
    assert parse_quantity(canonical) == value
    assert format_quantity(parse_quantity(canonical), binary=True) == canonical


@given(quantity_texts, quantity_texts)
def test_ordering_across_suffixes(a: str, b: str) -> None:
    left, right = parse_quantity(a), parse_quantity(b)
    # ordering survives canonical formatting, whatever suffix each side ends up with
    fa, fb = format_quantity(left, binary=True), format_quantity(right, binary=True)
    assert (parse_quantity(fa) < parse_quantity(fb)) == (left < right)
    assert (parse_quantity(fa) == parse_quantity(fb)) == (left == right)


def test_suffix_ladders_are_ordered() -> None:
    ladder = ["1n", "1u", "1m", "1", "1k", "1Ki", "1M", "1Mi", "1G", "1Gi", "1T", "1Ti"]
    values = [parse_quantity(text) for text in ladder]
    assert values == sorted(values)


class Quota(StrictModel):
    cpu: CpuQuantity
    memory: ByteQuantity
    pods: CountQuantity


@pytest.mark.parametrize(
    ("data", "cpu", "memory", "pods"),
    [
        ({"cpu": "16", "memory": "64Gi", "pods": 100}, Decimal(16), 64 * 1024**3, 100),
        ({"cpu": 2, "memory": 1024, "pods": "1k"}, Decimal(2), 1024, 1000),
        (
            {"cpu": Decimal("0.25"), "memory": "1.5G", "pods": "20"},
            Decimal("0.25"),
            1_500_000_000,
            20,
        ),
        ({"cpu": "16000m", "memory": "0", "pods": 0}, Decimal(16), 0, 0),
    ],
)
def test_field_types_accept(data: dict[str, object], cpu: Decimal, memory: int, pods: int) -> None:
    quota = Quota.model_validate(data)
    assert (quota.cpu, quota.memory, quota.pods) == (cpu, memory, pods)
    assert type(quota.memory) is int and type(quota.pods) is int


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("cpu", "-1", "must not be negative"),
        ("cpu", "100u", "whole millicores"),
        ("cpu", True, "must be a quantity"),
        ("cpu", 1.5, "must be a quantity"),
        ("cpu", Decimal("Infinity"), "finite"),
        ("memory", "1m", "whole number"),
        ("memory", "-1Gi", "must not be negative"),
        ("memory", "16x", "unknown suffix"),
        ("pods", "1.5", "whole number"),
        ("pods", None, "must be a quantity"),
    ],
)
def test_field_types_refuse(field: str, value: object, words: str) -> None:
    data: dict[str, object] = {"cpu": 1, "memory": 1, "pods": 1, field: value}
    with pytest.raises(ValidationError) as caught:
        Quota.model_validate(data)
    (error,) = caught.value.errors()
    assert error["loc"] == (field,)
    assert words in error["msg"]


def test_json_output_is_canonical() -> None:
    quota = Quota.model_validate({"cpu": "0.5", "memory": 68719476736, "pods": "1k"})
    assert quota.model_dump(mode="json") == {"cpu": "500m", "memory": "64Gi", "pods": 1000}
    assert quota.model_dump()["cpu"] == Decimal("0.5")
