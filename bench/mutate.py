"""Mutations of valid input files, as an attacker or a careless user would make them.

Each mutator takes the text of a valid file and a ``random.Random`` and returns a new
text. The kinds cover every cause the reliability issue found (deep nesting, bad tags
and dates, self-referencing merges, 64-bit overflow, huge counts, alias bombs, huge
comments, thousands of groups or documents, control characters, formula cells, empty
and header-only files, booleans and NUL bytes where numbers and names go) plus generic
damage (flipped characters, lost or repeated lines, truncation). ``YAML_MUTATORS`` and
``CSV_MUTATORS`` map a name to each mutator; ``mutate`` applies one to three of them.
Imports nothing from govcloud.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping

__all__ = ["CSV_MUTATORS", "HOSTILE_SCALARS", "YAML_MUTATORS", "Mutator", "mutate"]

Mutator = Callable[[str, random.Random], str]

HOSTILE_SCALARS = (
    "!!int abc", "!!float x", "!!bool maybe", "!!int 1.5", "!!timestamp 2026-13-01",
    "!!binary aGVsbG8=", "!!set {a}", "!custom x", "2026-02-30", "2026-01-01T25:00:00Z",
    "9999-12-31T23:59:59.9999999-12:00", "99999999999999999999999", "-9223372036854775809",
    "0x7fffffffffffffffffff", "2147483648", "1e999999999", "-1e999999999", "1e-999999999",
    ".inf", "-.inf", ".nan", "-1", "0", "-0", "false", "true", "null", "~", "''", '""',
    '"\\0"', '"\\e[31m"', '"a\\u0007b"', '"\\x85"', "'=HYPERLINK(\"http://x\")'", "[]", "{}",
    "[[[]]]", "*undefined", "<<", "=", "0o777", "0b1012", "1_000", "__", "-_", "0x",
    "'" + "x" * 70_000 + "'", "1.", ".5", "+.5e3", "0.001", "64Ei", "1e3", "-2",
    "{<<: *nope}", "&a x", "!!str", "|\n  text", "? x",
)  # fmt: skip
_NOISE = "\t:-[]{}&*!#'\"%|>\\ \n@`?,\x00\x1b\u2028\ufeff中"
_VALUE = re.compile(r"(?m)(?<=: )[^\s#\n][^\n#]*?(?=\s*(?:#|$|,|\}))")


def _lines(text: str) -> list[str]:
    return text.split("\n")


def flip(text: str, rng: random.Random) -> str:
    if not text:
        return rng.choice(_NOISE)
    at = rng.randrange(len(text))
    return text[:at] + rng.choice(_NOISE) + text[at + 1 :]


def delete_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    del lines[rng.randrange(len(lines))]
    return "\n".join(lines)


def duplicate_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    at = rng.randrange(len(lines))
    lines.insert(at, lines[at])
    return "\n".join(lines)


def truncate(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(len(text) + 1)]


def hostile_value(text: str, rng: random.Random) -> str:
    """A scalar replaced by one from the hostile pool (bad tags, dates, overflows…)."""
    spots = list(_VALUE.finditer(text))
    if not spots:
        return text + "\nx: " + rng.choice(HOSTILE_SCALARS) + "\n"
    spot = rng.choice(spots)
    return text[: spot.start()] + rng.choice(HOSTILE_SCALARS) + text[spot.end() :]


def deep_nesting(text: str, rng: random.Random) -> str:
    depth = rng.choice((63, 65, 200, 1_000, 100_000))
    opener, closer = rng.choice((("[", "]"), ("{a: ", "}")))
    return text + f"\nx: {opener * depth}{closer * depth}\n"


def block_nesting(text: str, rng: random.Random) -> str:
    depth = rng.choice((70, 500))
    return text + "\nx:\n" + "".join(" " * i + "- \n" for i in range(depth))


def self_merge(text: str, rng: random.Random) -> str:
    return text + rng.choice(("\nm: &m\n  <<: *m\n", "\nm: &m {a: *m}\n", "\nm: &m [*m]\n"))


def billion_laughs(text: str, rng: random.Random) -> str:
    levels = rng.choice((6, 9))
    lines = ['l0: &l0 "lol"']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n" + text


def long_comment(text: str, rng: random.Random) -> str:
    size = rng.choice((100_000, 1_000_000, 5_000_000))
    return "# " + "x" * size + "\n" + text


def many_documents(text: str, rng: random.Random) -> str:
    # 25,000 is past the document limit; 300 is a large but valid batch. The result stays
    # under 20 MB (past the size limit) so chained mutations never exhaust memory
    piece = "---\n" + text.strip("\n") + "\n"
    return piece * min(rng.choice((100, 300, 25_000)), max(1, 20_000_000 // len(piece)))


def many_groups(text: str, rng: random.Random) -> str:
    count = rng.choice((101, 10_000))
    groups = "".join(
        f"    - {{name: g{i}, flavor: c2m4, image: ubuntu-22.04}}\n" for i in range(count)
    )
    return re.sub(r"(?m)^  compute:\n", "  compute:\n" + groups, text, count=1)


def huge_number(text: str, rng: random.Random) -> str:
    """A count, size, capacity or price set far beyond range (or to a boolean)."""
    keys = r"count|sizeGiB|vcpu|memoryGiB|storageGiB|publicIPs|pods|retentionDays|seed|budget"
    value = rng.choice(("2147483648", "99999999999999999999", "false", "-1", "1e30", '"1e999"'))
    return re.sub(rf"\b({keys}): [^,}}\n]+", rf"\1: {value}", text, count=rng.randint(1, 3))


def estate_special(text: str, rng: random.Random) -> str:
    """The estate refusals the issue names: ``vcpu: false``, a NUL in a name, version -2."""
    choice = rng.randrange(3)
    if choice == 0:
        return re.sub(r"\bvcpu: \d+", "vcpu: false", text, count=1)
    if choice == 1:
        return re.sub(r"\b(region|name): ([^,}\n]+)", r'\1: "a\\0b"', text, count=1)
    return re.sub(r"\bversion: [^,}\n]+", "version: -2", text, count=1)


def control_character(text: str, rng: random.Random) -> str:
    at = rng.randrange(len(text) + 1)
    return text[:at] + rng.choice("\x00\x07\x1b\x7f\x85\ud800") + text[at:]


def emptiness(text: str, rng: random.Random) -> str:
    return rng.choice(("", "\n", "# only a comment\n", "---\n", "--- \n...\n", "\ufeff"))


def line_endings(text: str, rng: random.Random) -> str:
    return rng.choice(("\ufeff" + text, text.replace("\n", "\r\n"), text.replace("  ", "\t")))


YAML_MUTATORS: Mapping[str, Mutator] = {
    "flip": flip,
    "delete_line": delete_line,
    "duplicate_line": duplicate_line,
    "truncate": truncate,
    "hostile_value": hostile_value,
    "deep_nesting": deep_nesting,
    "block_nesting": block_nesting,
    "self_merge": self_merge,
    "billion_laughs": billion_laughs,
    "long_comment": long_comment,
    "many_documents": many_documents,
    "many_groups": many_groups,
    "huge_number": huge_number,
    "estate_special": estate_special,
    "control_character": control_character,
    "emptiness": emptiness,
    "line_endings": line_endings,
}


# --- usage CSV ---------------------------------------------------------------------------


def _csv_field(text: str, rng: random.Random, value: str, column: int | None = None) -> str:
    lines = _lines(text.rstrip("\n"))
    if len(lines) < 2:
        return text + value
    row = rng.randrange(1, len(lines))
    cells = lines[row].split(",")
    cells[rng.randrange(len(cells)) if column is None else min(column, len(cells) - 1)] = value
    lines[row] = ",".join(cells)
    return "\n".join(lines) + "\n"


def csv_big_field(text: str, rng: random.Random) -> str:
    return _csv_field(text, rng, "x" * rng.choice((2_000, 140_000)))


def csv_far_date(text: str, rng: random.Random) -> str:
    date = rng.choice(
        ("9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00", "2026-02-30T00:00:00Z")
    )
    return _csv_field(text, rng, date, rng.choice((6, 7)))


def csv_quantity(text: str, rng: random.Random) -> str:
    quantity = rng.choice(("1e999999999", "-1", "NaN", "Infinity", "1e15", "0.0000000000001",
                           "abc", "", "1" * 5_000, "0x10", "1_000"))  # fmt: skip
    return _csv_field(text, rng, quantity, 5)


def csv_control(text: str, rng: random.Random) -> str:
    return _csv_field(text, rng, rng.choice(("a\x1bb", "a\x00b", "\x07", "a\x85b")))


def csv_formula(text: str, rng: random.Random) -> str:
    return _csv_field(text, rng, rng.choice(('"=HYPERLINK(""http://x"",""y"")"', "=1+1", "@SUM(A1)", "+1", "-1+1")), rng.choice((2, 3)))  # fmt: skip


def csv_shape(text: str, rng: random.Random) -> str:
    lines = _lines(text.rstrip("\n"))
    header = lines[0]
    return rng.choice((
        "", header + "\n", header, '"unclosed,' + text, text + "a,b\n", text + ",,,,,,,,,\n",
        header.replace("quantity", "qty") + "\n" + "\n".join(lines[1:]) + "\n",
        header + "\n" + "\n".join(lines[1:] * rng.choice((2, 50, 500))) + "\n",
    ))  # fmt: skip


CSV_MUTATORS: Mapping[str, Mutator] = {
    "flip": flip,
    "delete_line": delete_line,
    "duplicate_line": duplicate_line,
    "truncate": truncate,
    "control_character": control_character,
    "csv_big_field": csv_big_field,
    "csv_far_date": csv_far_date,
    "csv_quantity": csv_quantity,
    "csv_control": csv_control,
    "csv_formula": csv_formula,
    "csv_shape": csv_shape,
}


def mutate(
    text: str, rng: random.Random, mutators: Mapping[str, Mutator]
) -> tuple[str, tuple[str, ...]]:
    """``text`` after one to three mutations; returns the text and the mutators' names."""
    names = tuple(rng.choice(sorted(mutators)) for _ in range(rng.choice((1, 1, 2, 3))))
    for name in names:
        text = mutators[name](text, rng)
    return text, names
