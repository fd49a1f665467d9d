"""Fen rounding and billing months.

Cases covered:
- half-up to the fen on exact ties (x.xx5 up, -x.xx5 away from zero), just below ties,
  values that float would get wrong (1.005, 2.675);
- exact Decimal conversion of terminating fractions and refusal of 1/3; both forms
  (Fraction, unreduced integer ratio, negative numerators) give the value with the fewest
  digits that hold it, exponent included (hypothesis): stored quantities are its text;
- H for February (leap and not), 30- and 31-day months; month start at Asia/Shanghai
  midnight (16:00 UTC the day before); YYYY-MM parsing errors; next/previous month.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controlplane.billing.money import exact_decimal, exact_ratio_decimal, round_half_up_fen
from controlplane.billing.period import Month


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction("1.005"), "1.01"),
        (Fraction("2.675"), "2.68"),
        (Fraction("0.125"), "0.13"),
        (Fraction("-0.125"), "-0.13"),
        (Fraction("0.1249999"), "0.12"),
        (Fraction(1, 3), "0.33"),
        (Fraction(2, 3), "0.67"),
        (Fraction(0), "0.00"),
        (Fraction("12345678901234.995"), "12345678901235.00"),
    ],
)
def test_round_half_up_fen(value: Fraction, expected: str) -> None:
    result = round_half_up_fen(value)
    assert result == Decimal(expected)
    assert str(result) == expected


def test_exact_decimal() -> None:
    assert exact_decimal(Fraction(1, 1024)) == Decimal("0.0009765625")
    assert exact_decimal(Fraction(3, 8)) == Decimal("0.375")
    with pytest.raises(ValueError, match="finite decimal"):
        exact_decimal(Fraction(1, 3))


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(2048, 1024, "2"), (1536, 1024, "1.5"), (3, 6, "0.5"), (-3, 8, "-0.375"), (0, 1024, "0"),
     (1, 1024, "0.0009765625"), (25, 100, "0.25")],
)  # fmt: skip
def test_exact_ratio_decimal(numerator: int, denominator: int, expected: str) -> None:
    assert str(exact_ratio_decimal(numerator, denominator)) == expected


def test_exact_ratio_decimal_refuses() -> None:
    with pytest.raises(ValueError, match="finite decimal"):
        exact_ratio_decimal(2, 6)
    with pytest.raises(ValueError, match="positive"):
        exact_ratio_decimal(1, 0)


def _fewest_digits(value: Fraction) -> str | None:
    """``value`` with the fewest decimal digits that hold it exactly (None: none do)."""
    for digits in range(40):
        scaled = value * 10**digits
        if scaled.denominator == 1:
            return str(Decimal(scaled.numerator).scaleb(-digits))
    return None


@given(
    st.integers(-(10**12), 10**12),
    st.integers(0, 12),
    st.integers(0, 6),
    st.sampled_from([1, 1, 1, 3, 7]),
)
def test_exact_ratio_decimal_has_the_fewest_digits(
    numerator: int, twos: int, fives: int, other: int
) -> None:
    denominator = 2**twos * 5**fives * other
    expected = _fewest_digits(Fraction(numerator, denominator))
    if expected is None:
        with pytest.raises(ValueError, match="finite decimal"):
            exact_ratio_decimal(numerator, denominator)
    else:
        assert str(exact_ratio_decimal(numerator, denominator)) == expected
        assert str(exact_decimal(Fraction(numerator, denominator))) == expected


@pytest.mark.parametrize(
    ("month", "hours", "days"),
    [("2026-02", 672, 28), ("2024-02", 696, 29), ("2026-04", 720, 30), ("2026-01", 744, 31)],
)
def test_month_lengths(month: str, hours: int, days: int) -> None:
    parsed = Month.parse(month)
    assert (parsed.hours, parsed.days) == (hours, days)


def test_month_bounds_are_shanghai_midnight() -> None:
    month = Month.parse("2026-01")
    assert month.start == datetime(2025, 12, 31, 16, tzinfo=UTC)
    assert month.end == datetime(2026, 1, 31, 16, tzinfo=UTC)
    assert Month.parse("2026-12").next == Month(2027, 1)
    assert Month.parse("2026-01").previous == Month(2025, 12)
    assert Month.containing(datetime(2026, 1, 31, 16, tzinfo=UTC)) == Month(2026, 2)
    assert str(Month(2026, 3)) == "2026-03"


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-01", "2026/01", ""])
def test_month_parse_errors(text: str) -> None:
    with pytest.raises(ValueError, match="month"):
        Month.parse(text)
