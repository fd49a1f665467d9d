"""YAML scalars by the YAML 1.2 core schema, plus timestamps and ``<<`` merge keys.

What a plain scalar means (``yes`` is a string, ``010`` is ten, ``1.50`` an exact
``Decimal``, ``2026-01-01`` a date) exactly as govcloud has always read it, and what an
explicitly tagged one must look like (``!!int abc`` is an error, never an exception).
Integers are 64-bit; float exponents stay within ±1000; impossible dates and times are
errors. :mod:`tenants.located` locates every :class:`ScalarError`. Imports nothing
internal.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "CONTROL_CHARACTERS",
    "CORE_TAG",
    "MERGE",
    "ScalarError",
    "plain_scalar",
    "tagged_scalar",
]

CORE_TAG = "tag:yaml.org,2002:"
_INT = re.compile(r"[-+]?(?:0b[0-1_]+|0o?[0-7_]+|[0-9_]+|0x[0-9a-fA-F_]+)")
_FLOAT = re.compile(
    r"""(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))""",
    re.X,
)
_TIMESTAMP = re.compile(
    r"""(?P<year>[0-9][0-9][0-9][0-9])-(?P<month>[0-9][0-9]?)-(?P<day>[0-9][0-9]?)
        (?:(?:(?P<t>[Tt])|[ \t]+)
        (?P<hour>[0-9][0-9]?):(?P<minute>[0-9][0-9]):(?P<second>[0-9][0-9])
        (?:\.(?P<fraction>[0-9]*))?
        (?:[ \t]*(?P<tz>Z|(?P<tz_sign>[-+])(?P<tz_hour>[0-9][0-9]?)(?::(?P<tz_minute>[0-9][0-9]))?))?)?""",
    re.X,
)
# the implicit resolver only considers the short form or a full time (ruamel's rule)
_TIMESTAMP_IMPLICIT = re.compile(
    r"""[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?""",
    re.X,
)
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
# what an explicit !!bool may say (YAML 1.1 words are still understood when tagged)
_TAGGED_BOOL = {"yes": True, "no": False, "y": True, "n": False, "true": True, "false": False,
                "on": True, "off": False}  # fmt: skip
# C0 (but tab, LF, CR), DEL and C1: never meaningful in a name, a price or a note
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_INT64 = 2**63 - 1
_MAX_EXPONENT = 1000  # as for quantities: larger exponents only make Decimal arithmetic crawl
MERGE = object()
"""The resolved value of a plain ``<<`` key."""


class ScalarError(ValueError):
    """A scalar that cannot be what its tag (explicit or resolved) says."""

    def __init__(self, message: str, expected: str) -> None:
        super().__init__(message)
        self.expected = expected


def _int(text: str) -> int:
    match = _INT.fullmatch(text)
    digits = text.replace("_", "").lstrip("+-")
    if match is None or not digits or digits in ("0b", "0x", "0o"):
        raise ScalarError("not an integer", "an integer such as 42")
    sign = -1 if text.lstrip("_")[:1] == "-" else 1
    base = {"0b": 2, "0x": 16, "0o": 8}.get(digits[:2], 10)
    body = digits[2:] if base != 10 else digits
    if len(body.lstrip("0")) > 64:  # beyond 64 bits in any base; int() would be slow or refuse
        raise ScalarError("integer out of range", f"a whole number of at most {_INT64}")
    value = sign * int(body, base)
    if abs(value) > _INT64 and not (sign < 0 and -value == _INT64 + 1):
        raise ScalarError("integer out of range", f"a whole number of at most {_INT64}")
    return value


def _float(text: str) -> Decimal | float:
    if _FLOAT.fullmatch(text) is None and _INT.fullmatch(text) is None:
        raise ScalarError("not a number", "a decimal number such as 2.5")
    plain = text.replace("_", "")
    lowered = plain.lower().lstrip("+-")
    if lowered in (".inf", ".nan"):
        # keep YAML's meaning; validation refuses them wherever a number is expected
        sign = -1.0 if plain.startswith("-") else 1.0
        return float("nan") if lowered == ".nan" else sign * float("inf")
    try:
        number = Decimal(plain)
    except InvalidOperation as exc:
        raise ScalarError("not a number", "a decimal number such as 2.5") from exc
    if number and abs(number.adjusted()) > _MAX_EXPONENT:
        raise ScalarError("number out of range", f"an exponent within ±{_MAX_EXPONENT}")
    return number


def _timestamp(text: str) -> dt.date | dt.datetime:
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise ScalarError("not a date or time", "a date YYYY-MM-DD or an ISO-8601 time")
    v = match.groupdict()
    try:
        if v["hour"] is None:
            return dt.date(int(v["year"]), int(v["month"]), int(v["day"]))
        fraction = (v["fraction"] or "")[:6].ljust(6, "0")
        micro = int(fraction)
        # ruamel's rounding of a seventh fractional digit, kept so values stay identical
        if len(v["fraction"] or "") > 6 and int(v["fraction"][6]) > 4:
            micro += 1
        carry = micro > 999_999
        tzinfo: dt.tzinfo | None = None
        if v["tz_sign"]:
            offset = dt.timedelta(hours=int(v["tz_hour"]), minutes=int(v["tz_minute"] or 0))
            tzinfo = dt.timezone(-offset if v["tz_sign"] == "-" else offset, name=v["tz"])
        elif v["tz"] == "Z":
            tzinfo = dt.timezone(dt.timedelta(0), name="Z")
        value = dt.datetime(
            int(v["year"]), int(v["month"]), int(v["day"]), int(v["hour"]),
            int(v["minute"]), int(v["second"]), 0 if carry else micro, tzinfo,
        )  # fmt: skip
        return value + dt.timedelta(seconds=1) if carry else value
    except (ValueError, OverflowError) as exc:
        raise ScalarError(
            f"not a valid date or time: {exc}", "a real calendar date and time of day"
        ) from exc


def plain_scalar(text: str) -> Any:
    """An untagged plain scalar by the YAML 1.2 core schema (with timestamps and ``<<``)."""
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)  # the common case, and below 2**63 (leading zeros are decimal)
    first = text[0]
    if first in "0123456789-+.":
        if _INT.fullmatch(text) and text.replace("_", "").lstrip("+-"):
            return _int(text)
        if _FLOAT.fullmatch(text):
            return _float(text)
        if first.isdigit() and _TIMESTAMP_IMPLICIT.fullmatch(text):
            return _timestamp(text)
        return text
    if first in "tTfF" and text in _BOOL:
        return _BOOL[text]
    if first in "~nN" and text in _NULL:
        return None
    if text == "<<":
        return MERGE
    return text


def tagged_scalar(tag: str, text: str) -> Any:
    """A scalar with an explicit core tag, checked against that tag."""
    kind = tag[len(CORE_TAG) :] if tag.startswith(CORE_TAG) else None
    if kind == "str":
        return text
    if kind == "int":
        return _int(text)
    if kind == "float":
        return _float(text)
    if kind == "bool":
        if text.lower() in _TAGGED_BOOL:
            return _TAGGED_BOOL[text.lower()]
        raise ScalarError("not a boolean", "true or false")
    if kind == "null":
        return None
    if kind == "timestamp":
        return _timestamp(text)
    raise ScalarError(f"unsupported YAML tag {tag}", "a plain value")
