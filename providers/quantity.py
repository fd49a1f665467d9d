"""Exact parsing of the quantities found in resource specs.

Owns ``parse_quantity`` (Kubernetes-style ``"500m"``, ``"64Gi"``, ``"16"``) and
``to_decimal`` (ints, Decimals and numeric strings, never float on the way).
Must not import anything internal or any cloud SDK.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

__all__ = ["GIB", "parse_quantity", "to_decimal"]

GIB = Decimal(1024**3)

_SUFFIXES: dict[str, Decimal] = {
    "Ki": Decimal(1024),
    "Mi": Decimal(1024**2),
    "Gi": Decimal(1024**3),
    "Ti": Decimal(1024**4),
    "Pi": Decimal(1024**5),
    "Ei": Decimal(1024**6),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
}


def to_decimal(value: object) -> Decimal:
    """An exact Decimal from an int, Decimal or numeric string (floats are refused)."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a quantity")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:
            raise ValueError(f"not a number: {value!r}") from exc
        if not result.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        return result
    raise ValueError(f"not an exact quantity: {value!r} ({type(value).__name__})")


def parse_quantity(value: object) -> Decimal:
    """A Kubernetes quantity as an exact Decimal in base units (cores, bytes...)."""
    if not isinstance(value, str):
        return to_decimal(value)
    text = value.strip()
    # Two-letter binary suffixes first so "Mi" is not read as "M" + garbage.
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix) and len(text) > len(suffix):
            return to_decimal(text[: -len(suffix)]) * _SUFFIXES[suffix]
    return to_decimal(text)
