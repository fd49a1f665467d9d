"""The estate's policy binding, resolved from the stored ``policies:`` section.

``estate apply`` validated the section (overlays may only tighten) before storing it;
here it is resolved again into an :class:`policies.EstatePolicy` so audits bind exactly
what was applied. An estate without a policy section still audits every system against
the 等保 floor of its level (:mod:`policies.level_baseline`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies import EstatePolicy, load_policy_binding
from tenants import LocatedDocument, Location

__all__ = ["resolve_policy"]

_SOURCE = "<stored estate policies>"


def resolve_policy(document: Mapping[str, Any] | None) -> EstatePolicy:
    """The bindings of a stored policy section; the level floor alone if there is none."""
    if document is None:
        return EstatePolicy()
    start = Location(_SOURCE, 1, 1)
    located = LocatedDocument(
        data={"spec": {"policies": dict(document)}}, file=_SOURCE, start=start
    )
    return load_policy_binding(located, ("spec", "policies"))
