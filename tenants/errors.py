"""Located input errors: where in which file a user's input is wrong, and how.

Every user-facing input (estate, request manifests, policy packs, imported CSV) reports
its problems as :class:`Problem` values carrying a ``file:line:col`` location, the field
path and what was expected, collected into one :class:`ManifestError`. Nothing here
imports other govcloud packages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Location", "ManifestError", "Problem", "format_path"]


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based line and column in a named file."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, at one place."""

    location: Location | None
    path: str
    message: str
    expected: str | None = None
    found: str | None = None

    def __str__(self) -> str:
        where = str(self.location) if self.location else "<input>"
        text = f"{where}: {self.path or '<document>'}: {self.message}"
        if self.expected is not None:
            text += f" (expected {self.expected}"
            text += f", found {self.found})" if self.found is not None else ")"
        return text

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.file, loc.line, loc.col, self.path) if loc else ("", 0, 0, self.path)


class ManifestError(Exception):
    """An input was refused; ``problems`` says every place where and why."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=Problem.sort_key))
        if not self.problems:
            raise ValueError("ManifestError needs at least one problem")
        super().__init__("\n".join(str(p) for p in self.problems))


def format_path(path: Iterable[str | int]) -> str:
    """``('spec', 'providers', 2, 'tier')`` -> ``spec.providers[2].tier``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
