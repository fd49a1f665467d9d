"""Exceptions raised by the pure billing core.

Owns the ``BillingError`` tree. Every error names the record it is about so that a
caller (the CLI, an importer) can point the operator at it. Imports nothing internal.
"""

from __future__ import annotations


class BillingError(ValueError):
    """Base of every error raised by ``controlplane.billing``."""


class ObservationError(BillingError):
    """A usage observation is malformed (bad time, quantity or unit)."""


class ConflictingObservation(BillingError):
    """Two observations share a natural key but say different things.

    Replaying the same batch is idempotent; a *different* payload under an existing key
    is a data error that must be looked at, never resolved by arrival order.
    """


class OwnershipConflict(BillingError):
    """One resource is claimed by two owners over the same instant."""


class RateCardError(BillingError):
    """A rate card, version or discount is inconsistent (overlaps, bad prices)."""


class StatementError(BillingError):
    """Statements cannot be assembled from the given lines and adjustments."""
