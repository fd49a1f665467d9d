"""Kubernetes-style quantities (``"16"``, ``500m``, ``64Gi``, ``1.5G``, ``2e3``), exactly.

A quantity is a signed decimal number with an optional suffix: binary SI (``Ki`` … ``Ei``,
powers of 1024), decimal SI (``n u m k M G T P E``, powers of 1000) or a decimal
exponent (``e3``, ``E-2``). Parsing is exact — every quantity becomes a ``Decimal`` in base
units, never a float — and :func:`format_quantity` writes the canonical form back, so
``parse_quantity(format_quantity(v)) == v`` for every value.

The pydantic field types at the bottom (:data:`CpuQuantity`, :data:`ByteQuantity`,
:data:`CountQuantity`) are what schemas use: they accept a YAML integer, a YAML float (which
:mod:`tenants.located` loads as ``Decimal``) or a quantity string, refuse booleans and
negative values, and fail with a message saying what was expected. Imports no other
govcloud package.
"""

from __future__ import annotations

import re
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, Inexact
from functools import lru_cache, partial
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

from tenants.validation import schema_error

__all__ = [
    "BINARY_SUFFIXES",
    "DECIMAL_SUFFIXES",
    "ByteQuantity",
    "CountQuantity",
    "CpuQuantity",
    "QuantityError",
    "format_quantity",
    "parse_quantity",
]

BINARY_SUFFIXES: dict[str, int] = {
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "Pi": 1024**5,
    "Ei": 1024**6,
}
# suffix -> power of ten
DECIMAL_SUFFIXES: dict[str, int] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_SUFFIX_BY_EXPONENT = {exponent: suffix for suffix, exponent in DECIMAL_SUFFIXES.items()}

# a number is digits, digits. , .digits or digits.digits (Kubernetes' grammar, not Python's)
_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?"
)
_MAX_EXPONENT = 1000  # "1e999999999" would make Decimal arithmetic crawl; no resource needs it

EXPECTED_QUANTITY = 'a quantity such as "16", "500m", "64Gi" or "1.5G"'


class QuantityError(ValueError):
    """A string that is not a Kubernetes quantity; the message says why."""


def parse_quantity(text: str) -> Decimal:
    """The exact value of a quantity string in base units (``"64Gi"`` -> 68719476736)."""
    match = _QUANTITY.fullmatch(text)
    if match is None:
        raise QuantityError(_why_not(text))
    number = Decimal(match["number"])
    suffix = match["suffix"] or ""
    # the default context keeps 28 digits and would round silently; this one is exact
    exact = Context(prec=len(match["number"]) + 20, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact])
    if suffix in BINARY_SUFFIXES:
        return exact.multiply(number, BINARY_SUFFIXES[suffix])
    if suffix in DECIMAL_SUFFIXES:
        exponent = DECIMAL_SUFFIXES[suffix]
    else:
        exponent = int(suffix[1:])
        if abs(exponent) > _MAX_EXPONENT:
            raise QuantityError(f"exponent {exponent} is out of range")
    return number.scaleb(exponent, context=exact)


def _why_not(text: str) -> str:
    if not text.strip():
        return "empty quantity"
    if text != text.strip():
        return "a quantity must not contain spaces"
    head = re.match(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", text)
    if head is None:
        return "a quantity starts with a number"
    rest = text[head.end() :]
    if rest.strip() != rest:
        return "no space is allowed between the number and its suffix"
    if rest[0] in ".0123456789":
        return "malformed number"
    return f"unknown suffix {rest!r} (known: Ki Mi Gi Ti Pi Ei, n u m k M G T P E, e<exponent>)"


def _significant(value: Decimal) -> tuple[int, int]:
    """``value`` as ``mantissa × 10**exponent`` with no trailing zeros, without rounding."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int), "finite values only"
    mantissa = int("".join(map(str, digits)) or "0")
    if mantissa == 0:
        return 0, 0
    while mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    return (-mantissa if sign else mantissa), exponent


def _multiple_of_ten_to(value: Decimal, power: int) -> bool:
    """Whether ``value`` is a whole multiple of ``10**power`` (exactly, at any size)."""
    return _significant(value)[1] >= power


def _integral(value: Decimal) -> bool:
    return _multiple_of_ten_to(value, 0)


def format_quantity(value: Decimal | int, *, binary: bool = False) -> str:
    """The canonical quantity string for ``value`` (base units).

    With ``binary=True`` whole numbers use the largest binary suffix that divides them
    (``68719476736`` -> ``64Gi``) unless the decimal form is shorter (``32G``); everything
    else uses an integer mantissa with the
    largest decimal suffix that keeps it whole (``0.5`` -> ``500m``, ``15000`` -> ``15k``),
    falling back to an exponent (``1e-12``) below nano.
    """
    if isinstance(value, Decimal) and not value.is_finite():
        raise QuantityError(f"{value} is not a finite quantity")
    return _formatted(value, binary)


@lru_cache(maxsize=4096)
def _formatted(value: Decimal | int, binary: bool) -> str:
    """:func:`format_quantity` of a finite value, once per value: a province's requests
    ask for the same few sizes thousands of times, and every plan, hash and view shows
    them (the text depends only on the number, so ``16`` and ``Decimal("16.0")`` share
    an entry)."""
    value = Decimal(value)
    if value == 0:
        return "0"
    decimal = _format_decimal(value)
    if binary and _integral(value):
        whole = int(value)
        for suffix, factor in reversed(BINARY_SUFFIXES.items()):
            if whole % factor == 0:
                # 32G reads better than 31250000Ki; 64Gi better than 68719476736
                power_of_two = f"{whole // factor}{suffix}"
                return power_of_two if len(power_of_two) <= len(decimal) else decimal
    return decimal


def _format_decimal(value: Decimal) -> str:
    mantissa, exponent = _significant(value)
    # round the exponent down to a multiple of three, moving the rest into the mantissa
    scale = min((exponent // 3) * 3, max(_SUFFIX_BY_EXPONENT))
    mantissa *= 10 ** (exponent - scale)
    if scale in _SUFFIX_BY_EXPONENT:
        return f"{mantissa}{_SUFFIX_BY_EXPONENT[scale]}"
    return f"{mantissa}e{scale}"


def _shown(value: Any) -> str:
    """How a rejected input is quoted back: YAML numbers as written, strings quoted."""
    return str(value) if isinstance(value, Decimal) else repr(value)


def _as_decimal(value: Any, what: str) -> Decimal:
    """A YAML int / Decimal / quantity string as a Decimal; refuses everything else."""
    if isinstance(value, bool) or value is None:
        raise schema_error(
            f"{what} must be a quantity", expected=EXPECTED_QUANTITY, found=_shown(value)
        )
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise schema_error(
                f"{what} must be finite", expected=EXPECTED_QUANTITY, found=str(value)
            )
        return value
    if isinstance(value, str):
        try:
            return parse_quantity(value)
        except QuantityError as exc:
            raise schema_error(
                f"not a quantity: {exc}", expected=EXPECTED_QUANTITY, found=_shown(value)
            ) from exc
    # a Python float has already lost exactness; callers in code pass Decimal or str
    raise schema_error(
        f"{what} must be a quantity", expected=EXPECTED_QUANTITY, found=type(value).__name__
    )


def _non_negative(value: Decimal, original: Any, what: str) -> Decimal:
    if value < 0:
        raise schema_error(
            f"{what} must not be negative", expected="zero or more", found=_shown(original)
        )
    return value


def _cpu(value: Any) -> Decimal:
    cores = _non_negative(_as_decimal(value, "cpu"), value, "cpu")
    if not _multiple_of_ten_to(cores, -3):
        raise schema_error(
            "cpu is counted in whole millicores",
            expected='a multiple of 1m (0.001 core), e.g. "500m"',
            found=_shown(value),
        )
    return cores if cores else Decimal(0)  # no "-0"


def _whole(value: Any, what: str, expected: str) -> int:
    amount = _non_negative(_as_decimal(value, what), value, what)
    if not _integral(amount):
        raise schema_error(f"{what} must be a whole number", expected=expected, found=_shown(value))
    return int(amount)


def _bytes(value: Any) -> int:
    return _whole(value, "memory", 'a whole number of bytes, e.g. "64Gi" or "512Mi"')


def _count(value: Any) -> int:
    return _whole(value, "count", 'a whole number, e.g. 100 or "1k"')


CpuQuantity = Annotated[
    Decimal,
    BeforeValidator(_cpu),
    PlainSerializer(format_quantity, return_type=str, when_used="json"),
]
"""CPU in cores (``"16"``, ``500m``, ``1.5``), at most millicore precision, never negative."""

ByteQuantity = Annotated[
    int,
    BeforeValidator(_bytes),
    PlainSerializer(partial(format_quantity, binary=True), return_type=str, when_used="json"),
]
"""A size in bytes (``64Gi``, ``1.5G``, ``"1024"``), whole and never negative."""

CountQuantity = Annotated[
    int,
    BeforeValidator(_count),
]
"""A count of objects (``100``, ``"1k"``), whole and never negative."""
