"""What ``govcloud policy list`` shows: catalogue rows filtered by level, pack, severity.

Pure; imports only :mod:`policies` internals.
"""

from __future__ import annotations

from typing import Any

from policies.packs import builtin_packs
from policies.registry import catalog
from policies.verdicts import Severity

__all__ = ["list_rules"]


def list_rules(
    *, level: int | None = None, pack: str | None = None, severity: Severity | None = None
) -> list[dict[str, Any]]:
    """JSON-ready rows (see ``RuleSpec.summary``) plus the built-in packs listing each rule.

    ``pack`` must name a built-in pack (``KeyError`` otherwise).
    """
    packs = builtin_packs()
    members = {e.rule_id for e in packs[pack].entries} if pack is not None else None
    rows: list[dict[str, Any]] = []
    for spec in catalog():
        if level is not None and level not in spec.levels:
            continue
        if severity is not None and spec.severity is not severity:
            continue
        if members is not None and spec.id not in members:
            continue
        row = spec.summary()
        row["packs"] = [
            name for name, p in packs.items() if any(e.rule_id == spec.id for e in p.entries)
        ]
        rows.append(row)
    return rows
