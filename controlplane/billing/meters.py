"""Meters and their integer base units.

Owns the table that turns a quantity in a meter's unit (``Decimal("4")`` vCPU,
``Decimal("0.5")`` cores) into an integer count of base units (vCPU, MiB, millicores…),
so that intervals never carry a rounded quantity. A meter not listed here (any other name
from the rate card) counts in milli-units. Imports nothing internal except ``errors``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from controlplane.billing.errors import ObservationError


@dataclass(frozen=True)
class Meter:
    """A meter: ``unit`` is what prices are per, ``base_unit`` what intervals count.

    ``scale`` base units make one unit (1024 MiB per GiB, 1000 millicores per core).
    """

    name: str
    unit: str
    base_unit: str
    scale: int

    def to_base(self, quantity: Decimal) -> int:
        """``quantity`` (in ``unit``) as an exact integer number of base units."""
        if not quantity.is_finite() or quantity < 0:
            raise ObservationError(f"{self.name}: quantity must be a finite number ≥ 0")
        # exact, as Fraction(quantity) * scale, without building a Fraction per record
        numerator, denominator = quantity.as_integer_ratio()
        base, remainder = divmod(numerator * self.scale, denominator)
        if remainder:
            raise ObservationError(
                f"{self.name}: quantity {quantity} {self.unit} is not a whole number of "
                f"{self.base_unit} (1 {self.unit} = {self.scale} {self.base_unit})"
            )
        return base

    def to_units(self, base: int) -> Fraction:
        """``base`` base units expressed exactly in ``unit``."""
        return Fraction(base, self.scale)


KNOWN_METERS: dict[str, Meter] = {
    m.name: m
    for m in (
        Meter("compute.vcpu", "vCPU", "vCPU", 1),
        Meter("compute.memory", "GiB", "MiB", 1024),
        Meter("storage.ssd", "GiB", "GiB", 1),
        Meter("storage.hdd", "GiB", "GiB", 1),
        Meter("network.public_ip", "IP", "IP", 1),
        Meter("k8s.cpu", "core", "millicore", 1000),
        Meter("k8s.memory", "GiB", "MiB", 1024),
    )
}


def meter(name: str, unit: str | None = None) -> Meter:
    """The meter called ``name``; unknown names count in milli-``unit``."""
    known = KNOWN_METERS.get(name)
    if known is not None:
        return known
    if not name or name != name.strip():
        raise ObservationError(f"invalid meter name {name!r}")
    shown = unit or "unit"
    return Meter(name, shown, f"milli-{shown}", 1000)
