"""What people's output must be, as checks that return what is wrong (empty: fine).

Used by the golden-output tests and the Chinese walk; each check has a negative case in
tests/cli/test_checks.py showing it catches what it is for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rich.cells import cell_len

WIDTH = 80
_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
#: Units and acronyms a Chinese heading or sentence may carry as they are.
UNITS = frozenset({"vCPU", "GiB", "MiB", "ID", "IP", "CPU", "ms", "SLA", "XC", "CNY"})


def too_wide(text: str, width: int = WIDTH) -> list[str]:
    """Lines wider than ``width`` terminal cells (a CJK character takes two)."""
    return [line for line in text.splitlines() if cell_len(line) > width]


def shown(value: str, line: str) -> bool:
    """``value`` is on ``line`` whole, or cut short and ended with ``…`` (never split)."""
    if value in line:
        return True
    for token in line.split():
        if token.endswith("…") and len(token) > 1 and value.startswith(token[:-1]):
            return True
    return False


def table_problems(text: str, keys: Sequence[str], *, lang: str, width: int = WIDTH) -> list[str]:
    """A list table: fits ``width``; a heading line, then exactly one line per record
    (``keys``: each record's identifying value, in order; a wrapped row would add a
    line); headings in one style (English upper case, Chinese with no English words)."""
    problems = [f"wider than {width}: {line!r}" for line in too_wide(text, width)]
    lines = [line for line in text.splitlines() if line.strip()]
    rows = lines[1 : 1 + len(keys)]
    rest = lines[1 + len(keys) :]
    if any("--continue" not in line and not line.startswith(("showing", "显示")) for line in rest):
        problems.append(f"more lines than records (a row split over lines?): {rest[:3]!r}")
    for key, row in zip(keys, rows, strict=False):
        if not shown(key, row):
            problems.append(f"{key!r} not on its own row {row!r}")
    if len(rows) < len(keys):
        problems.append(f"{len(keys)} records but {len(rows)} rows")
    if keys:
        problems += heading_problems(lines[0], lang)
    return problems


def heading_problems(line: str, lang: str) -> list[str]:
    if lang == "en":
        return [] if line == line.upper() else [f"English headings not upper case: {line!r}"]
    return [f"untranslated heading {w!r} in {line!r}" for w in english_words(line, UNITS)]


def english_words(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """Words of English in ``text`` that are not in ``allowed`` (data, identifiers); a
    word cut short by a table (``public-secu…``) counts as the allowed word it begins."""
    ok = set(allowed) | UNITS
    lowered = {w.lower() for w in ok}
    found: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group(0)
        if len(word) < 2 or word in ok or word.lower() in lowered:
            continue
        if text[match.end() :].startswith(("…", "-…")) and any(w.startswith(word) for w in ok):
            continue
        found.append(word)
    return found


def pair_problems(text: str, *, lang: str, width: int = WIDTH) -> list[str]:
    """A ``show``: fits ``width``; its first block is ``label: value`` lines with the
    values aligned in one column; Chinese labels have no English words."""
    problems = [f"wider than {width}: {line!r}" for line in too_wide(text, width)]
    block = text.split("\n\n", 1)[0].splitlines()
    columns = set()
    for line in block:
        label, sep, value = line.partition(": ")
        if not sep or not value.strip():
            problems.append(f"not a label: value line: {line!r}")
            continue
        columns.add(cell_len(label) + 2 + len(value) - len(value.lstrip()))
        if lang == "zh":
            problems += [f"untranslated label {w!r}" for w in english_words(label)]
    if len(columns) > 1:
        problems.append(f"values not aligned (columns {sorted(columns)})")
    return problems


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
