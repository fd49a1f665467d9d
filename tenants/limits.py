"""How much input govcloud reads before it refuses: stated, enforced first, configurable.

Every user-facing file (estate, request manifests, policy packs, usage imports) is
read under :class:`InputLimits`. Each limit is checked before the work it bounds —
the size before the file is read, nesting depth and alias expansion while the YAML is
composed, CSV fields and rows while they are split — so a hostile or careless file is
refused within a second with a located error naming the limit, and nothing is changed.

Defaults are several times what a province needs (docs/limits.md gives the figures and
the reasoning); an operator who needs more sets the environment variable named on each
field (read by :meth:`InputLimits.from_env`). Imports no other govcloud package.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

__all__ = ["ENV_PREFIX", "InputLimits", "LimitSettingError", "limit_message"]

ENV_PREFIX = "GOVCLOUD_LIMIT_"


class LimitSettingError(ValueError):
    """An environment variable meant to raise a limit holds no positive whole number."""


@dataclass(frozen=True)
class InputLimits:
    """Ceilings on one input file; each is also ``GOVCLOUD_LIMIT_<FIELD NAME IN CAPITALS>``."""

    file_bytes: int = 16 * 2**20
    """Size of one YAML or JSON file (the province's 10,000 manifests are 7.1 MB)."""
    documents: int = 20_000
    """YAML documents in one stream (``---`` separated)."""
    depth: int = 64
    """Nesting of mappings and lists (manifests need 6, estates 8)."""
    nodes: int = 2_500_000
    """Mappings, lists and scalars in one file, aliases counted expanded (10,000 manifests
    are 0.9 million)."""
    alias_nodes: int = 100_000
    """Nodes that aliases add when expanded, counted over the whole file."""
    scalar_chars: int = 65_536
    """Characters in one YAML scalar (a key or a value)."""
    problems: int = 20
    """Problems found in one file before reading stops (the rest is not read, and the
    refusal says so; 20 is clang's error limit): a stream of thousands of bad documents is
    refused at its twentieth problem, not after all of it is composed."""
    csv_bytes: int = 256 * 2**20
    """Size of one usage CSV file."""
    csv_rows: int = 2_000_000
    """Records in one usage CSV file."""
    csv_field_chars: int = 1024
    """Characters in one CSV field (the longest column, ``source_key``, allows 255)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> InputLimits:
        """The defaults, raised or lowered by ``GOVCLOUD_LIMIT_*`` variables in ``env``."""
        env = os.environ if env is None else env
        values: dict[str, int] = {}
        for item in fields(cls):
            name = ENV_PREFIX + item.name.upper()
            text = env.get(name)
            if text is None:
                continue
            try:
                number = int(text.replace("_", ""))
            except ValueError:
                number = 0
            if number < 1:
                raise LimitSettingError(f"{name}={text!r} is not a positive whole number")
            values[item.name] = number
        return cls(**values)


def limit_message(what: str, limit: int, setting: str) -> str:
    """The text of a breach: what went over, the limit, and how an operator raises it."""
    return f"{what} exceeds the limit of {limit:,} ({ENV_PREFIX}{setting.upper()})"
