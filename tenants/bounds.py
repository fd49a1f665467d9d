"""Validators that bound user input: list lengths checked before their items, no booleans
where numbers are meant.

A list is measured before pydantic validates its items, so 10,000 compute groups are
refused at once rather than after 10,000 models were built; a YAML ``true`` is never
taken for the number 1. Both fail with a located, worded error (see
:func:`tenants.validation.schema_error`). The figures themselves are stated where each
field is declared and listed in docs/limits.md. Imports no other govcloud package.
"""

from __future__ import annotations

from typing import Any

from pydantic import BeforeValidator

from tenants.validation import schema_error

__all__ = [
    "MAX_COMPUTE_GROUPS",
    "MAX_INGRESS_RULES",
    "MAX_INSTANCES_PER_GROUP",
    "MAX_NAMESPACE_CPU",
    "MAX_NAMESPACE_MEMORY",
    "MAX_NAMESPACE_PODS",
    "MAX_VOLUMES_PER_INSTANCE",
    "REQUEST_LIST_CAPS",
    "at_most_items",
    "not_bool",
]


def at_most_items(limit: int, what: str) -> BeforeValidator:
    """A validator refusing a list of more than ``limit`` items, before they are validated."""

    def check(value: Any) -> Any:
        if isinstance(value, list) and len(value) > limit:
            raise schema_error(
                f"too many {what}: the limit is {limit:,}",
                expected=f"at most {limit:,} {what}",
                found=f"{len(value):,}",
            )
        return value

    return BeforeValidator(check)


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise schema_error("wrong type", expected="an integer", found=repr(value))
    return value


not_bool = BeforeValidator(_not_bool)
"""Refuses ``true``/``false`` where a number is meant (pydantic's lax mode would take 1/0)."""


# What one SystemRequest may ask for. A province's largest systems run a few hundred
# instances; these leave an order of magnitude of room (docs/limits.md).
MAX_INSTANCES_PER_GROUP = 1000
MAX_COMPUTE_GROUPS = 100
MAX_VOLUMES_PER_INSTANCE = 16
MAX_INGRESS_RULES = 256
MAX_NAMESPACE_CPU = 100_000  # cores
MAX_NAMESPACE_MEMORY = 2**50  # bytes: 1 PiB
MAX_NAMESPACE_PODS = 1_000_000

REQUEST_LIST_CAPS: dict[tuple[str | int, ...], tuple[int, str]] = {
    ("spec", "compute"): (MAX_COMPUTE_GROUPS, "compute groups"),
    ("spec", "compute", -1, "volumes"): (MAX_VOLUMES_PER_INSTANCE, "volumes"),
    ("spec", "network", "ingress"): (MAX_INGRESS_RULES, "ingress rules"),
}
"""The same ceilings for the YAML reader, so a list too long is refused as it is read."""
