"""Dependency ordering and per-resource failure isolation shared by every driver.

Owns ``dependency_order`` (a stable topological order of desired resources by
``depends_on``) and ``run_in_order`` (runs one step per resource, turns a
``ProviderError`` into a ``failed`` outcome and skips dependents of failures while
independent resources proceed).

Must not import anything internal except ``providers.errors`` and ``providers.types``.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Sequence

from providers.errors import ProviderConflict, ProviderError, ProviderInvalidRequest
from providers.types import ApplyOutcome, DesiredResource

__all__ = ["dependency_order", "run_in_order"]


def _resolve(desired: Sequence[DesiredResource], provider: str) -> dict[str, tuple[str, ...]]:
    counts = Counter(item.key for item in desired)
    duplicates = sorted(key for key, count in counts.items() if count > 1)
    if duplicates:
        raise ProviderInvalidRequest(provider, f"duplicate resources: {', '.join(duplicates)}")
    by_bare: dict[str, list[str]] = {}
    for item in desired:
        by_bare.setdefault(item.name, []).append(item.key)
    resolved: dict[str, tuple[str, ...]] = {}
    for item in desired:
        deps: list[str] = []
        for ref in item.depends_on:
            if "/" in ref:
                if ref not in by_bare.get(ref.split("/", 1)[1], []):
                    raise ProviderInvalidRequest(provider, f"{item.key} depends on unknown {ref}")
                deps.append(ref)
                continue
            candidates = by_bare.get(ref, [])
            if len(candidates) != 1:
                problem = "unknown" if not candidates else "ambiguous"
                raise ProviderInvalidRequest(provider, f"{item.key} depends on {problem} {ref}")
            deps.append(candidates[0])
        resolved[item.key] = tuple(deps)
    return resolved


def dependency_order(desired: Sequence[DesiredResource], *, provider: str) -> list[DesiredResource]:
    """``desired`` with dependencies first, otherwise in input order.

    Raises ``ProviderInvalidRequest`` for duplicate ``kind/name``, unknown or ambiguous
    references, and cycles — before anything is touched.
    """
    deps = _resolve(desired, provider)
    position = {item.key: index for index, item in enumerate(desired)}
    waiting_on = {key: len(set(found)) for key, found in deps.items()}
    dependents: dict[str, list[str]] = {}
    for key, found in deps.items():
        for dep in set(found):
            dependents.setdefault(dep, []).append(key)
    # A heap on input position makes input order decide among ready resources.
    ready = [position[key] for key, count in waiting_on.items() if count == 0]
    heapq.heapify(ready)
    ordered: list[DesiredResource] = []
    while ready:
        item = desired[heapq.heappop(ready)]
        ordered.append(item)
        for child in dependents.get(item.key, ()):
            waiting_on[child] -= 1
            if waiting_on[child] == 0:
                heapq.heappush(ready, position[child])
    if len(ordered) != len(desired):
        stuck = sorted(key for key, count in waiting_on.items() if count > 0)
        raise ProviderInvalidRequest(provider, f"dependency cycle among {', '.join(stuck)}")
    return ordered


def run_in_order(
    desired: Sequence[DesiredResource],
    *,
    provider: str,
    step: Callable[[DesiredResource], ApplyOutcome],
) -> list[ApplyOutcome]:
    """Run ``step`` over ``desired`` in dependency order, isolating failures.

    A ``ProviderError`` from ``step`` becomes a ``failed`` outcome; resources that
    depend on a failed one are not attempted and fail with a ``ProviderConflict``
    carrying the same retry semantics. Other exceptions propagate (a crash).
    """
    deps = _resolve(desired, provider)
    failed: dict[str, ProviderError] = {}
    outcomes: list[ApplyOutcome] = []
    for item in dependency_order(desired, provider=provider):
        broken = next((dep for dep in deps[item.key] if dep in failed), None)
        if broken is not None:
            error: ProviderError = ProviderConflict(
                provider,
                f"{item.key} skipped: it depends on {broken}, which failed",
                temporary=failed[broken].temporary,
            )
            error.__cause__ = failed[broken]
            failed[item.key] = error
            outcomes.append(ApplyOutcome(item.kind, item.name, "failed", None, error))
            continue
        try:
            outcome = step(item)
        except ProviderError as exc:
            failed[item.key] = exc
            outcome = ApplyOutcome(item.kind, item.name, "failed", None, exc)
        else:
            if outcome.error is not None:
                failed[item.key] = outcome.error
        outcomes.append(outcome)
    return outcomes
