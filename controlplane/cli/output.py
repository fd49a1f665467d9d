"""Rendering records for people (tables, 80 columns, zh/en) and for scripts (json/yaml).

Scripts get every field with stable English snake_case keys whatever the language;
people get the columns a view names, headed in their language.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TextIO

from rich.console import Console, JustifyMethod
from rich.table import Table
from ruamel.yaml import YAML

from controlplane.i18n import Lang, tr
from controlplane.timeutil import SHANGHAI

__all__ = ["Column", "Format", "emit", "plain", "render_table"]


class Format(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


@dataclass(frozen=True)
class Column:
    """One table column: the heading key (see i18n), how to get the cell, alignment."""

    heading: str
    cell: Callable[[Mapping[str, Any]], Any]
    justify: JustifyMethod = "left"
    max_width: int | None = None


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


def _cell(value: Any, lang: Lang) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return tr("yes" if value else "no", lang)
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, int):
        return f"{value:,}"
    return tr(str(value), lang) if isinstance(value, str) else str(value)


def render_table(
    records: Sequence[Mapping[str, Any]], columns: Sequence[Column], lang: Lang, title: str = ""
) -> Table:
    table = Table(title=title or None, box=None, pad_edge=False, header_style="bold")
    for column in columns:
        table.add_column(
            tr(column.heading, lang),
            justify=column.justify,
            max_width=column.max_width,
            overflow="fold",
        )
    for record in records:
        table.add_row(*(_cell(column.cell(record), lang) for column in columns))
    return table


def _columns_of(records: Sequence[Mapping[str, Any]]) -> list[Column]:
    """Columns for every scalar field of the records (nested values are for -o json)."""
    keys: list[str] = []
    for record in records[:50]:
        for key, value in record.items():
            if key not in keys and not isinstance(value, Mapping | list | tuple):
                keys.append(key)
    return [Column(key, (lambda k: lambda r: r.get(k))(key)) for key in keys]


def console(stream: TextIO | None = None) -> Console:
    # 80 columns when not attached to a terminal, so piped output is predictable
    target = stream or sys.stdout
    width = None if target.isatty() else 80
    return Console(file=target, width=width, highlight=False, soft_wrap=False)


def emit(
    data: Any,
    fmt: Format,
    *,
    lang: Lang,
    columns: Sequence[Column] | None = None,
    title: str = "",
    stream: TextIO | None = None,
) -> None:
    """Write ``data`` (a record or a list of records) in ``fmt``."""
    out = stream or sys.stdout
    if fmt is Format.json:
        out.write(json.dumps(plain(data), ensure_ascii=False, indent=2) + "\n")
        return
    if fmt is Format.yaml:
        yaml = YAML(typ="safe", pure=True)
        yaml.default_flow_style = False
        yaml.allow_unicode = True
        buffer = io.StringIO()
        yaml.dump(plain(data), buffer)
        out.write(buffer.getvalue())
        return
    if isinstance(data, list):
        records = data
        if columns is None:
            columns = _columns_of(records)
    else:
        # one record: a field / value table
        records = [{"field": k, "value": v} for k, v in data.items()]
        columns = [Column("field", lambda r: r["field"]), Column("value", lambda r: r["value"])]
    console(out).print(render_table(records, columns, lang, title))
