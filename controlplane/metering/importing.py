"""Parsing usage import files (CSV or JSON) into records, with located errors.

Owns the import format of DESIGN.md: columns
``provider,tenant,system,resource_id,meter,quantity,start,end`` (times ISO-8601 with an
offset, whole seconds), optionally ``source_key`` (the other cloud's event id). Without
one, a record's key is its resource, meter and span, so the same usage imported from two
files is one record. A JSON file is a list of such objects, or an object with
``records`` and optional ``windows`` (``provider,start,end``: spans the other operator
vouches it reported completely, even where nothing was used).

Every problem is reported at once as a ``tenants.Problem`` at ``file:row:column`` with
the field and what was expected; the caller refuses the whole file if there is any.
Input is bounded by ``tenants.InputLimits`` (file size, rows, field length) before the
work it bounds, text fields may not hold control characters (they would reach bills,
tables and exports), and quantities and times are range-checked. An empty file, or one
with a header and no record, is refused at its last line.
Pure: no database; the providers and tenants to check against are passed in.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from controlplane.billing import BillingError, CollectionWindow, meter
from controlplane.metering.records import RawUsage
from tenants import Location, Problem, load_yaml_documents
from tenants.limits import InputLimits, limit_message
from tenants.located import read_bounded

__all__ = ["COLUMNS", "IMPORT_SOURCE", "MAX_PROBLEMS", "ImportFile", "parse_import"]

COLUMNS = ("provider", "tenant", "system", "resource_id", "meter", "quantity", "start", "end")
OPTIONAL = ("source_key",)
IMPORT_SOURCE = "import"
MAX_PROBLEMS = 100
_TIME = "an ISO-8601 time with offset and whole seconds, e.g. 2026-03-01T08:00:00+08:00"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# no meter measures more than 10^15 units in one interval (a petabyte of GiB-hours is
# 10^6); a larger or finer-grained number is an error, not something to compute with
_QUANTITY_LIMIT = Decimal(10) ** 15
_QUANTITY_PLACES = 12


@dataclass(frozen=True)
class ImportFile:
    """A parsed file: records (with their locations), windows, and every problem."""

    name: str
    records: tuple[RawUsage, ...]
    locations: tuple[Location, ...]
    windows: tuple[CollectionWindow, ...]
    problems: tuple[Problem, ...]


Locate = Callable[[str], Location]


class _Checker:
    def __init__(self, providers: Collection[str], tenants: Collection[str]) -> None:
        self.providers = providers
        self.tenants = tenants
        self.problems: list[Problem] = []

    def fail(self, where: Location, field: str, message: str, expected: str, found: Any) -> None:
        self.problems.append(Problem(where, field, message, expected, repr(found)))

    def enough(self, name: str, line: int) -> bool:
        """Whether to stop reading: a file this wrong is fixed at its source, not row by
        row, and checking a million bad rows would only delay the answer."""
        if len(self.problems) < MAX_PROBLEMS:
            return False
        self.problems.append(Problem(Location(name, line, 1), "file",
            f"stopped reading after {MAX_PROBLEMS} problems", "a file with fewer problems"))  # fmt: skip
        return True

    def text(self, values: Mapping[str, Any], field: str, locate: Locate, *, empty: bool) -> str:
        value = values.get(field)
        text = "" if value is None else str(value).strip()
        control = _CONTROL.search(text)
        if control is not None:
            self.fail(locate(field), field,
                      f"control character U+{ord(control[0]):04X} is not allowed",
                      "printable text", text[:40])  # fmt: skip
        elif not text and not empty:
            self.fail(locate(field), field, "is missing", f"a non-empty {field}", value)
        elif len(text) > (255 if field == "source_key" else 128):
            self.fail(locate(field), field, "is too long", "at most 128 characters", text[:20])
        return text

    def member(
        self, values: Mapping[str, Any], field: str, locate: Locate, known: Collection[str]
    ) -> str:
        text = self.text(values, field, locate, empty=False)
        if text and text not in known:
            shown = ", ".join(sorted(known)[:8]) + (" …" if len(known) > 8 else "")
            self.fail(locate(field), field, f"unknown {field}", f"one of the estate's: {shown}",
                      text)  # fmt: skip
        return text

    def time(self, values: Mapping[str, Any], field: str, locate: Locate) -> datetime | None:
        value = values.get(field)
        parsed: datetime | None = None
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError:
                parsed = None
        if parsed is None or parsed.utcoffset() is None or parsed.microsecond:
            self.fail(locate(field), field, "is not a usable time", _TIME, value)
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:00:00-05:00 is past the last representable day
            self.fail(locate(field), field, "is out of range", _TIME, value)
            return None

    def quantity(self, values: Mapping[str, Any], meter_name: str, locate: Locate) -> Decimal:
        value = values.get("quantity")
        text = str(value).strip() if isinstance(value, str | int | Decimal) else ""
        try:
            # bounded text first: Decimal("1" * 10**6) alone costs seconds downstream
            number = Decimal(text) if 0 < len(text) <= 64 and not isinstance(value, bool) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or number < 0:
            self.fail(locate("quantity"), "quantity", "is not a quantity",
                      "a decimal number ≥ 0", value)  # fmt: skip
            return Decimal(0)
        exponent = number.as_tuple().exponent
        if number >= _QUANTITY_LIMIT or (
            isinstance(exponent, int) and exponent < -_QUANTITY_PLACES
        ):
            self.fail(locate("quantity"), "quantity", "is out of range",
                      f"less than {_QUANTITY_LIMIT:,} with at most {_QUANTITY_PLACES} decimals",
                      value)  # fmt: skip
            return Decimal(0)
        if meter_name:
            try:
                meter(meter_name).to_base(number)
            except BillingError as exc:
                self.fail(locate("quantity"), "quantity", str(exc),
                          f"a whole number of {meter(meter_name).base_unit}", value)  # fmt: skip
        return number

    def record(self, values: Mapping[str, Any], locate: Locate) -> RawUsage | None:
        before = len(self.problems)
        provider = self.member(values, "provider", locate, self.providers)
        tenant = self.member(values, "tenant", locate, self.tenants)
        system = self.text(values, "system", locate, empty=True)
        resource_id = self.text(values, "resource_id", locate, empty=False)
        meter_name = self.text(values, "meter", locate, empty=False)
        if meter_name:
            try:
                meter(meter_name)
            except BillingError as exc:
                self.fail(locate("meter"), "meter", str(exc), "a meter name such as compute.vcpu",
                          meter_name)  # fmt: skip
                meter_name = ""
        quantity = self.quantity(values, meter_name, locate)
        start, end = self.time(values, "start", locate), self.time(values, "end", locate)
        if start is not None and end is not None and not start < end:
            self.fail(locate("end"), "end", "is not after start", f"a time after {start}",
                      values.get("end"))  # fmt: skip
        key = self.text(values, "source_key", locate, empty=True)
        if len(self.problems) > before or start is None or end is None:
            return None
        source_key = key or "|".join((resource_id, meter_name, start.isoformat(), end.isoformat()))
        return RawUsage(provider, IMPORT_SOURCE, source_key, resource_id, tenant,
                        system or None, meter_name, quantity, start, end)  # fmt: skip

    def window(self, values: Mapping[str, Any], locate: Locate) -> CollectionWindow | None:
        before = len(self.problems)
        provider = self.member(values, "provider", locate, self.providers)
        start, end = self.time(values, "start", locate), self.time(values, "end", locate)
        if start is not None and end is not None and not start < end:
            self.fail(locate("end"), "end", "is not after start", f"a time after {start}",
                      values.get("end"))  # fmt: skip
        if len(self.problems) > before or start is None or end is None:
            return None
        return CollectionWindow(provider, IMPORT_SOURCE, start, end)


def _parse_csv(
    name: str, text: str, check: _Checker, limits: InputLimits
) -> tuple[list[RawUsage], list[Location]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        check.fail(Location(name, 1, 1), "header", f"is not CSV: {exc}", ",".join(COLUMNS), "")
        return [], []
    if header is None:
        check.fail(Location(name, 1, 1), "header", "the file is empty",
                   ",".join(COLUMNS), "")  # fmt: skip
        return [], []
    columns = [column.strip() for column in header]
    for index, column in enumerate(columns):
        if column not in COLUMNS + OPTIONAL or columns.index(column) != index:
            check.fail(Location(name, 1, index + 1), "header", f"unexpected column {column[:40]!r}",
                       ",".join(COLUMNS), column[:40])  # fmt: skip
    for missing in [c for c in COLUMNS if c not in columns]:
        check.fail(Location(name, 1, 1), "header", f"column {missing!r} is missing",
                   ",".join(COLUMNS), ",".join(columns)[:200])  # fmt: skip
    if check.problems:
        return [], []
    records: list[RawUsage] = []
    locations: list[Location] = []
    line = reader.line_num
    rows = 0
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as exc:  # a field past the csv module's own limit, a stray NUL…
            check.fail(Location(name, line + 1, 1), "row", f"is not CSV: {exc}",
                       f"{len(columns)} comma-separated fields", "")  # fmt: skip
            break
        if cells is None:
            break
        row_line, line = line + 1, reader.line_num
        if check.enough(name, row_line):
            break
        if not any(cell.strip() for cell in cells):
            continue
        rows += 1
        if rows > limits.csv_rows:
            check.fail(Location(name, row_line, 1), "row",
                       limit_message("the number of records", limits.csv_rows, "csv_rows"),
                       f"at most {limits.csv_rows:,} records", rows)  # fmt: skip
            break
        if len(cells) != len(columns):
            check.fail(Location(name, row_line, min(len(cells), len(columns)) + 1), "row",
                       f"has {len(cells)} fields", f"{len(columns)} fields",
                       ",".join(cells)[:200])  # fmt: skip
            continue
        long = [i for i, cell in enumerate(cells) if len(cell) > limits.csv_field_chars]
        if long:
            check.fail(Location(name, row_line, long[0] + 1), columns[long[0]],
                       limit_message(f"a field of {len(cells[long[0]]):,} characters",
                                     limits.csv_field_chars, "csv_field_chars"),
                       f"at most {limits.csv_field_chars:,} characters", cells[long[0]][:20])  # fmt: skip
            continue
        values = dict(zip(columns, cells, strict=True))

        def locate(field: str, _line: int = row_line) -> Location:
            return Location(name, _line, columns.index(field) + 1 if field in columns else 1)

        record = check.record(values, locate)
        if record is not None:
            records.append(record)
            locations.append(Location(name, row_line, 1))
    return records, locations


def _parse_json(
    name: str, text: str, check: _Checker
) -> tuple[list[RawUsage], list[Location], list[CollectionWindow]]:
    documents = load_yaml_documents(text, name)
    if len(documents) != 1:
        check.fail(Location(name, 1, 1), "document", "expected one JSON document",
                   "a list of usage records", f"{len(documents)} documents")  # fmt: skip
        return [], [], []
    doc = documents[0]
    data = doc.data
    prefix: tuple[str | int, ...] = ()
    raw_windows: Any = []
    if isinstance(data, dict):
        unknown = set(data) - {"records", "windows"}
        if unknown:
            check.fail(doc.locate((sorted(unknown)[0],), key=True), sorted(unknown)[0],
                       "unexpected key", "records and windows", sorted(unknown)[0])  # fmt: skip
        prefix, raw_windows, data = ("records",), data.get("windows", []), data.get("records", [])
    records: list[RawUsage] = []
    locations: list[Location] = []
    windows: list[CollectionWindow] = []
    sections: list[tuple[tuple[str | int, ...], Any, Callable[..., object]]] = [
        (prefix, data, check.record),
        (("windows",), raw_windows, check.window),
    ]
    for path, items, build in sections:
        if not isinstance(items, list):
            check.fail(doc.locate(path), ".".join(map(str, path)) or "document", "is not a list",
                       "a list of objects", type(items).__name__)  # fmt: skip
            continue
        for index, item in enumerate(items):
            here = (*path, index)
            if check.enough(name, doc.locate(here).line):
                break
            if not isinstance(item, dict):
                check.fail(doc.locate(here), f"[{index}]", "is not an object",
                           "an object with the import columns", item)  # fmt: skip
                continue

            def locate(field: str, _here: tuple[str | int, ...] = here) -> Location:
                return doc.locate((*_here, field))

            allowed = (
                set(COLUMNS + OPTIONAL) if build == check.record else {"provider", "start", "end"}
            )
            for key in sorted(set(item) - allowed):
                check.fail(doc.locate((*here, key), key=True), key, "unexpected field",
                           ", ".join(sorted(allowed)), key)  # fmt: skip
            built = build(item, locate)
            if isinstance(built, RawUsage):
                records.append(built)
                locations.append(doc.locate(here))
            elif isinstance(built, CollectionWindow):
                windows.append(built)
    return records, locations, windows


def parse_import(
    path: Path | str,
    providers: Collection[str],
    tenants: Collection[str],
    *,
    text: str | None = None,
    limits: InputLimits | None = None,
) -> ImportFile:
    """Parse ``path`` (``.json`` or CSV) into records, reporting every problem located."""
    name = str(path)
    limits = limits or InputLimits.from_env()
    check = _Checker(providers, tenants)
    is_json = name.lower().endswith(".json")
    ceiling = limits.file_bytes if is_json else limits.csv_bytes
    if text is None:
        text = _read(name, ceiling, check)
        if text is None:
            return ImportFile(name, (), (), (), tuple(check.problems))
    windows: list[CollectionWindow] = []
    if is_json:
        records, locations, windows = _parse_json(name, text, check)
    else:
        records, locations = _parse_csv(name, text, check, limits)
    if not check.problems and not records and not windows:
        last = text.rstrip("\r\n").count("\n") + 1
        check.fail(Location(name, last, 1), "file", "contains no usage records",
                   "at least one record after the header", "")  # fmt: skip
    return ImportFile(name, tuple(records), tuple(locations), tuple(windows), tuple(check.problems))


def _read(name: str, ceiling: int, check: _Checker) -> str | None:
    """The file's text, or None with the problem recorded (unreadable, too big, not UTF-8)."""
    try:
        with open(name, "rb") as handle:
            raw = read_bounded(handle, ceiling)
    except OSError as exc:
        check.fail(Location(name, 1, 1), "file", f"cannot be read: {exc.strerror}",
                   "a UTF-8 CSV or JSON file", name)  # fmt: skip
        return None
    if len(raw) > ceiling:
        setting = "file_bytes" if name.lower().endswith(".json") else "csv_bytes"
        check.fail(Location(name, 1, 1), "file",
                   limit_message("the file's size", ceiling, setting),
                   f"at most {ceiling:,} bytes", name)  # fmt: skip
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        check.fail(Location(name, line, 1), "file", "is not UTF-8 text",
                   "a UTF-8 CSV or JSON file", f"byte 0x{raw[exc.start]:02x}")  # fmt: skip
        return None
