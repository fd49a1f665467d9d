"""Exact money arithmetic: Fractions in, fen-rounded Decimals out.

Owns the single rounding rule of the billing core (half-up to the fen, i.e. half away
from zero for negative amounts) and exact Decimal/Fraction conversion. Never uses float.
Imports nothing internal.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import gcd

FEN = Decimal("0.01")


def decimal_places(value: Decimal) -> int:
    """Digits after the point as written: ``Decimal("0.80")`` has 2, ``Decimal("45")`` 0."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def to_fraction(value: Decimal | int) -> Fraction:
    """Return ``value`` as an exact Fraction (Decimals convert without loss)."""
    return Fraction(value)


def round_half_up_fen(value: Fraction) -> Decimal:
    """Round an exact amount to the fen, half away from zero, and return a Decimal.

    ``x.xx5`` rounds up to ``x.x(x+1)``; ``-x.xx5`` rounds to ``-x.x(x+1)`` so that a
    deduction mirrors the charge it deducts from.
    """
    return round_ratio_half_up_fen(value.numerator, value.denominator)


def round_ratio_half_up_fen(numerator: int, denominator: int) -> Decimal:
    """``round_half_up_fen(Fraction(numerator, denominator))`` without building a Fraction.

    The hot path of rating: integer arithmetic only, no gcd.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    fen = (abs(numerator) * 200 + denominator) // (denominator * 2)
    return Decimal(-fen if numerator < 0 else fen).scaleb(-2).quantize(FEN)


def exact_decimal(value: Fraction) -> Decimal:
    """Return ``value`` as a Decimal without rounding.

    Raises ``ValueError`` when the fraction has no finite decimal expansion (its
    denominator has a prime factor other than 2 and 5): a quantity shown to finance
    must be exactly the one used.
    """
    return exact_ratio_decimal(value.numerator, value.denominator)


def exact_ratio_decimal(numerator: int, denominator: int) -> Decimal:
    """``exact_decimal(Fraction(numerator, denominator))`` without building a Fraction.

    The same digits and exponent: the ratio is reduced first, as a Fraction would be.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    common = gcd(numerator, denominator)
    num, den = numerator // common, denominator // common
    rest, twos, fives = den, 0, 0
    while rest % 2 == 0:
        rest //= 2
        twos += 1
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest != 1:
        raise ValueError(f"{num}/{den} has no finite decimal expansion")
    digits = max(twos, fives)
    return Decimal(num * 10**digits // den).scaleb(-digits)
