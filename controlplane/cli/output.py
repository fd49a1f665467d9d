"""Rendering records for people (tables, ``label: value`` pairs) and for scripts (json/yaml).

Scripts get every field with stable English snake_case keys whatever the language,
times ISO-8601 with their offset. People get the columns a view names, headed in their
language in one style (English upper case, like kubectl), one line per row: a table is
fitted to the terminal (80 columns when not a terminal) by shortening its widest cells
with ``…`` — never by wrapping — and ``-o wide`` shows every cell whole plus the
view's wide-only columns. Cell values are data and are never translated.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, TextIO

from rich.cells import cell_len, get_character_cell_size

if TYPE_CHECKING:
    from rich.console import Console

from controlplane.i18n import Lang, tr
from controlplane.timeutil import SHANGHAI

__all__ = [
    "Column",
    "Format",
    "console",
    "emit",
    "emit_pairs",
    "fit",
    "heading",
    "plain",
    "table_lines",
    "terminal_width",
]

Justify = Literal["left", "right"]

#: Narrowest a shortened column gets (room for a few characters and the ``…``).
_MIN_CELL = 6
_GAP = "  "
_ELLIPSIS = "…"


class Format(StrEnum):
    table = "table"
    wide = "wide"
    json = "json"
    yaml = "yaml"

    @property
    def for_people(self) -> bool:
        return self in (Format.table, Format.wide)


@dataclass(frozen=True)
class Column:
    """One table column: its heading (an i18n key or already translated), its cell.

    ``wide``: shown only with ``-o wide`` (raw provider status, ids, long detail).
    ``max_width`` is kept for callers that name one; fitting decides the real width.
    """

    heading: str
    cell: Callable[[Mapping[str, Any]], Any]
    justify: Justify = "left"
    max_width: int | None = None
    wide: bool = False


def plain(value: Any) -> Any:
    """JSON/YAML-safe value: Decimal as exact text, times ISO-8601 with offset."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def heading(key: str, lang: Lang) -> str:
    """A column heading or label in ``lang``; English headings are upper case (one style)."""
    text = tr(key, lang)
    return text.upper() if lang == "en" else text


def label_text(key: str, lang: Lang) -> str:
    """A ``show`` label: each part of a dotted key translated (``capacity.vcpu``)."""
    return ".".join(tr(part, lang) for part in key.split("."))


def cell_text(value: Any, lang: Lang) -> str:
    """One value as one line of text; the value itself is never translated."""
    if value is None or value == "" or (isinstance(value, Mapping) and not value):
        return "-"
    if isinstance(value, bool):
        return tr("yes" if value else "no", lang)
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(cell_text(v, lang) for v in value) or "-"
    return " ".join(str(value).split())  # one row is one line


def fit(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells: whole, or cut and ended with ``…``."""
    if cell_len(text) <= width:
        return text
    out: list[str] = []
    used = 0
    for char in text:
        size = get_character_cell_size(char)
        if used + size > width - 1:
            break
        out.append(char)
        used += size
    return "".join(out) + _ELLIPSIS


def _pad(text: str, width: int, justify: Justify) -> str:
    room = " " * (width - cell_len(text))
    return room + text if justify == "right" else text + room


def _widths(natural: list[int], floors: list[int], limit: int) -> list[int]:
    """Shrink the widest column a cell at a time until the row fits ``limit`` (or every
    column is at its floor: then the line is as narrow as it can be without dropping data)."""
    widths = list(natural)
    gaps = len(_GAP) * (len(widths) - 1)
    while sum(widths) + gaps > limit:
        candidates = [i for i, w in enumerate(widths) if w > floors[i]]
        if not candidates:
            break
        widths[max(candidates, key=lambda i: widths[i])] -= 1
    return widths


def table_lines(
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    lang: Lang,
    *,
    wide: bool = False,
    width: int | None = None,
) -> list[str]:
    """The table as lines: a heading line, then one line per record."""
    shown = [c for c in columns if wide or not c.wide]
    heads = [heading(c.heading, lang) for c in shown]
    values = [[c.cell(r) for c in shown] for r in records]
    rows = [[cell_text(v, lang) for v in row] for row in values]
    natural = [max([cell_len(h), *(cell_len(row[i]) for row in rows)]) for i, h in enumerate(heads)]
    if wide:
        widths = natural
    else:
        # only text is shortened: a cut number, amount or time would mislead
        texts = [any(isinstance(row[i], str) for row in values) for i in range(len(shown))]
        floors = [
            min(n, max(_MIN_CELL, cell_len(h))) if text else n
            for n, h, text in zip(natural, heads, texts, strict=True)
        ]
        widths = _widths(natural, floors, width or terminal_width())
    lines = []
    for cells in (heads, *rows):
        parts = [
            _pad(fit(text, w), w, column.justify)
            for text, w, column in zip(cells, widths, shown, strict=True)
        ]
        lines.append(_GAP.join(parts).rstrip())
    return lines


def terminal_width(stream: TextIO | None = None) -> int:
    """The terminal's width when writing to one (``COLUMNS`` honoured), else 80."""
    target = stream or sys.stdout
    if "COLUMNS" in os.environ and os.environ["COLUMNS"].isdigit():
        return int(os.environ["COLUMNS"])
    if target.isatty():
        return shutil.get_terminal_size((80, 24)).columns
    return 80


def console(stream: TextIO | None = None) -> Console:
    """A console for free text (plan output, messages); no markup surprises in data."""
    from rich.console import Console

    target = stream or sys.stdout
    return Console(file=target, width=terminal_width(target), highlight=False, soft_wrap=False)


def _flatten(record: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in record.items():
        if key.startswith("_"):
            continue
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, f"{name}.")
        else:
            yield name, value


def pair_lines(pairs: Sequence[tuple[str, Any]], lang: Lang, width: int | None = None) -> list[str]:
    """Aligned ``label: value`` lines; labels are translated, values are not. With a
    ``width`` a long value is cut short with ``…`` (``-o wide``/json show it whole)."""
    labels = [label_text(label, lang) + ":" for label, _ in pairs]
    column = max((cell_len(label) for label in labels), default=0)
    lines = []
    for label, (_, value) in zip(labels, pairs, strict=True):
        if isinstance(value, list | tuple) and value and isinstance(value[0], Mapping):
            text = f"({len(value)})"
        elif isinstance(value, list | tuple):
            text = ", ".join(cell_text(v, lang) for v in value) or "-"
        else:
            text = cell_text(value, lang)
        if width is not None:
            text = fit(text, max(_MIN_CELL, width - column - 1))
        lines.append(f"{_pad(label, column, 'left')} {text}")
    return lines


def emit_pairs(
    record: Mapping[str, Any], lang: Lang, *, stream: TextIO | None = None, wide: bool = False
) -> None:
    """A ``show`` record for people: nested mappings as dotted labels, and every list of
    records as its own table under its translated label."""
    out = stream or sys.stdout
    flat = list(_flatten(record))
    for line in pair_lines(flat, lang, None if wide else _width_of(out)):
        out.write(line + "\n")
    for label, value in flat:
        if isinstance(value, list | tuple) and value and isinstance(value[0], Mapping):
            out.write(f"\n{label_text(label, lang)}:\n")
            columns = _columns_of(value)
            for line in table_lines(value, columns, lang, wide=wide, width=_width_of(out) - 2):
                out.write("  " + line + "\n")


def _width_of(stream: TextIO) -> int:
    return terminal_width(stream)


def _columns_of(records: Sequence[Mapping[str, Any]]) -> list[Column]:
    """Columns for every scalar field of the records (nested values are for -o json)."""
    keys: list[str] = []
    for record in records[:50]:
        for key, value in record.items():
            if key.startswith("_") or key in keys:
                continue
            if not isinstance(value, Mapping | list | tuple):
                keys.append(key)
    return [Column(key, (lambda k: lambda r: r.get(k))(key)) for key in keys]


def emit(
    data: Any,
    fmt: Format,
    *,
    lang: Lang,
    columns: Sequence[Column] | None = None,
    title: str = "",
    stream: TextIO | None = None,
) -> None:
    """Write ``data`` (a record, or a list of records) in ``fmt``."""
    out = stream or sys.stdout
    if fmt is Format.json:
        out.write(json.dumps(plain(_scripted(data)), ensure_ascii=False, indent=2) + "\n")
        return
    if fmt is Format.yaml:
        from ruamel.yaml import YAML

        yaml = YAML(typ="safe", pure=True)
        yaml.default_flow_style = False
        yaml.allow_unicode = True
        buffer = io.StringIO()
        yaml.dump(plain(_scripted(data)), buffer)
        out.write(buffer.getvalue())
        return
    wide = fmt is Format.wide
    if not isinstance(data, list):
        emit_pairs(data, lang, stream=out, wide=wide)
        return
    if title:
        out.write(title + "\n")
    if not data:
        out.write(tr("no_rows", lang) + "\n")
        return
    chosen = list(columns) if columns is not None else _columns_of(data)
    for line in table_lines(data, chosen, lang, wide=wide, width=_width_of(out)):
        out.write(line + "\n")


def _scripted(data: Any) -> Any:
    """Drop private ``_``-keys (view objects kept for table cells) from script output."""
    if isinstance(data, Mapping):
        return {k: _scripted(v) for k, v in data.items() if not str(k).startswith("_")}
    if isinstance(data, list):
        return [_scripted(v) for v in data]
    return data
