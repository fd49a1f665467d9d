"""Finance exports of statements: CSV, XLSX, PDF and JSON.

Owns ``export`` (one entry point for the four formats, to a binary stream or a path)
and the per-format writers. Headings are Simplified Chinese by default, English with
``lang="en"``. Imports the billing value modules, openpyxl and reportlab; never the
database or the CLI.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from controlplane.billing.exports.labels import Lang, check_lang
from controlplane.billing.exports.to_csv import write_csv
from controlplane.billing.exports.to_json import write_json
from controlplane.billing.exports.to_pdf import write_pdf
from controlplane.billing.exports.to_xlsx import write_xlsx
from controlplane.billing.statements import Statement

__all__ = ["ExportFormat", "export", "write_csv", "write_json", "write_pdf", "write_xlsx"]


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"
    JSON = "json"


_WRITERS: dict[ExportFormat, Callable[[Iterable[Statement], BinaryIO, Lang], None]] = {
    ExportFormat.CSV: write_csv,
    ExportFormat.XLSX: write_xlsx,
    ExportFormat.PDF: write_pdf,
    ExportFormat.JSON: write_json,
}


def export(
    statements: Iterable[Statement],
    fmt: ExportFormat | str,
    out: BinaryIO | Path | str,
    lang: str = "zh",
) -> None:
    """Write ``statements`` as ``fmt`` to ``out`` (a binary stream or a file path).

    The whole document is rendered in memory first, and a path is replaced atomically
    (a temporary file beside it, then a rename), so a failed export leaves neither a
    partial file nor a truncated stream, and an earlier file of that name intact.
    """
    writer = _WRITERS[ExportFormat(fmt)]
    language = check_lang(lang)
    rendered = io.BytesIO()
    writer(statements, rendered, language)
    if isinstance(out, str | Path):
        _replace_atomically(Path(out), rendered.getbuffer())
    else:
        out.write(rendered.getbuffer())


def _replace_atomically(path: Path, data: memoryview) -> None:
    # a new file with the process umask (as open() would give), unique beside the target
    part = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
