"""Text as it may enter a spreadsheet or a PDF: no formulas, no control characters.

A cell a spreadsheet would read as a formula (text starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return — OWASP's CSV-injection list) is written with a
leading apostrophe, so Excel and LibreOffice show it as text and never evaluate
``=HYPERLINK(…)``. Control characters, which XLSX cannot hold at all and which would
otherwise corrupt a table, become U+FFFD so the damage stays visible. Numbers are never
passed through here: a negative amount stays a number. Imports nothing internal.
"""

from __future__ import annotations

import re

__all__ = ["printable", "spreadsheet_text"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(text: str) -> str:
    """``text`` with every control character (but tab and line breaks) as U+FFFD."""
    return _CONTROL.sub("\ufffd", text)


def spreadsheet_text(text: str) -> str:
    """``text`` safe for a CSV or XLSX cell: printable, and never read as a formula."""
    text = printable(text)
    return "'" + text if text.startswith(_FORMULA_START) else text
