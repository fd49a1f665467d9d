"""The estate's policy binding, resolved from the stored ``policies:`` section.

``estate apply`` validated the section (overlays may only tighten) before storing it;
here it is resolved again into an :class:`policies.EstatePolicy` so audits bind exactly
what was applied. An estate without a policy section binds nothing, and auditing it is
refused with that reason rather than reporting an empty, vacuous pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies import EstatePolicy, load_policy_binding
from tenants import LocatedDocument, Location

__all__ = ["NoPolicyBound", "resolve_policy"]

_SOURCE = "<stored estate policies>"


class NoPolicyBound(RuntimeError):
    """The estate binds no policy packs, so there is nothing to audit against."""

    def __init__(self) -> None:
        super().__init__(
            "the estate binds no policy packs (spec.policies); apply an estate that does "
            "/ 园区未绑定任何策略包（spec.policies），请先应用包含策略的 estate"
        )


def resolve_policy(document: Mapping[str, Any] | None) -> EstatePolicy:
    """The bindings of a stored policy section; :class:`NoPolicyBound` if there is none."""
    if document is None:
        raise NoPolicyBound()
    start = Location(_SOURCE, 1, 1)
    located = LocatedDocument(
        data={"spec": {"policies": dict(document)}}, file=_SOURCE, start=start
    )
    return load_policy_binding(located, ("spec", "policies"))
