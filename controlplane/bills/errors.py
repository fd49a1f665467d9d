"""Why a bills operation was refused.

Owns the ``BillError`` tree; every message names the month, department or gap it is
about so the operator knows what to do next. Imports nothing internal.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "BillError",
    "BillRunError",
    "FinalizeRefused",
    "StatementFinalized",
    "StatementTampered",
]


class BillError(RuntimeError):
    """Base of the refusals of ``controlplane.bills``."""


class BillRunError(BillError):
    """A month cannot be rated from the stored data (the message says which record)."""


class StatementFinalized(BillError):
    """A finalized statement was about to change; it never does."""


class StatementTampered(BillError):
    """A stored statement no longer matches its stored content hash."""


class FinalizeRefused(BillError):
    """``bill finalize`` cannot freeze the month yet; ``reasons`` says each cause."""

    def __init__(self, month: str, reasons: Sequence[str]) -> None:
        self.month = month
        self.reasons = tuple(reasons)
        super().__init__(f"{month} cannot be finalized: " + "; ".join(self.reasons))
