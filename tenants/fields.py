"""Field types shared by the user-facing schemas: names, strict numbers, money.

Kubernetes is the bar for what departments may write, so numbers and booleans are strict
(``count: "3"`` or ``encrypted: yes`` are errors, not guesses) and names are RFC 1123 DNS
labels with a message that says which rule was broken. Money is ``Decimal`` to the fen and
is never read from a binary float. Imports no other govcloud package.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, Strict

from tenants.validation import schema_error

__all__ = [
    "CatalogName",
    "Days",
    "DnsLabel",
    "Money",
    "PositiveInt",
    "StrictBool",
]

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_LABEL_EXPECTED = (
    "a DNS label (RFC 1123): lowercase letters, digits and '-', "
    "starting and ending with a letter or digit, at most 63 characters"
)


def _dns_label(value: str) -> str:
    if _DNS_LABEL.fullmatch(value) and len(value) <= 63:
        return value
    if not value:
        why = "must not be empty"
    elif len(value) > 63:
        why = f"is {len(value)} characters long, more than 63"
    elif value.lower() != value and _DNS_LABEL.fullmatch(value.lower()):
        why = "must be lowercase"
    elif value[0] == "-" or value[-1] == "-":
        why = "must start and end with a letter or digit"
    else:
        bad = sorted({c for c in value if not (c.isascii() and (c.isalnum() or c == "-"))})
        why = "must not contain " + ", ".join(repr(c) for c in bad)
    found = repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    raise schema_error(f"not a DNS label: {why}", expected=DNS_LABEL_EXPECTED, found=found)


DnsLabel = Annotated[str, Strict(), AfterValidator(_dns_label)]
"""An RFC 1123 DNS label: the name of a system, tenant, provider, city or sector."""

_CATALOG_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,253}[A-Za-z0-9])?")


def _catalog_name(value: str) -> str:
    if _CATALOG_NAME.fullmatch(value):
        return value
    raise schema_error(
        "not a catalogue name",
        expected="letters, digits, '.', '_' and '-', starting and ending with a letter or "
        "digit (e.g. c4m8, kylin-v10-sp3, ubuntu-22.04)",
        found=repr(value),
    )


CatalogName = Annotated[str, Strict(), AfterValidator(_catalog_name)]
"""A name from the service catalogue (a flavour or image), e.g. ``ubuntu-22.04``."""

PositiveInt = Annotated[int, Strict(), Field(ge=1)]
"""A whole number, at least 1; ``"3"``, ``3.0`` and ``true`` are refused."""

Days = Annotated[int, Strict(), Field(ge=1, le=36500)]
"""A number of days, 1 to 36500."""

StrictBool = Annotated[bool, Strict()]
"""``true`` or ``false`` only (not ``1``, ``"yes"``)."""

MONEY_EXPECTED = (
    'an amount in CNY with at most two decimals, written as a string, e.g. "1200000.00"'
)


_MONEY_LIMIT = Decimal(10) ** 15  # beyond any budget, and inside Decimal's 28 digits


def _money(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        # a float has already been rounded through binary; the YAML loader never makes one
        raise schema_error("not an amount of money", expected=MONEY_EXPECTED, found=repr(value))
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except ArithmeticError as exc:
        raise schema_error(
            "not an amount of money", expected=MONEY_EXPECTED, found=repr(value)
        ) from exc
    if not amount.is_finite() or amount < 0:
        raise schema_error(
            "an amount must be finite and not negative", expected=MONEY_EXPECTED, found=repr(value)
        )
    if amount >= _MONEY_LIMIT:
        raise schema_error("amount is too large", expected=MONEY_EXPECTED, found=repr(value))
    fen = amount.quantize(Decimal("0.01"))
    if amount != fen:
        raise schema_error(
            "an amount is exact to the fen (0.01 CNY)", expected=MONEY_EXPECTED, found=repr(value)
        )
    return fen


Money = Annotated[Decimal, BeforeValidator(_money)]
"""A non-negative CNY amount exact to the fen, held as ``Decimal`` with two places."""
