"""The Pulumi provisioning engine: ``providers.Provisioning`` through Pulumi stacks.

Owns ``PulumiEngine``: ``apply`` turns a system's desired resources into its blueprint
and runs ``up`` on the system's stack; ``delete`` runs ``destroy``. The engine's report
is turned back into one ``ApplyOutcome`` per desired resource (a resource realised by
several Pulumi resources failed if any of them did), and every engine event line is kept
in ``events`` for the request history. Observation — health, inventory, usage, quotas —
stays with the SDK driver; the resources carry the same tags, so it sees them as managed.

Must not import anything internal outside ``infra`` and ``providers``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from infra.blueprint import Blueprint, Department, blueprint
from infra.errors import EngineFailed
from infra.runner import RunReport, StackId, StackRunner, Step
from providers.errors import ProviderError
from providers.types import Action, ApplyOutcome, DesiredResource, SystemRef

__all__ = ["PulumiEngine", "outcomes_of"]

_ACTIONS: Mapping[str, Action] = {
    "create": "created",
    "same": "unchanged",
    "read": "unchanged",
    "update": "updated",
    "replace": "updated",
    "create-replacement": "updated",
    "delete-replaced": "updated",
    "delete": "deleted",
}


def _primary(plan: Blueprint, key: str, steps: Sequence[Step]) -> Step:
    """The step of the first Pulumi resource realising ``key`` (its id is the outcome's)."""
    first = next((p.cls for p in plan.resources if p.realises == key), None)
    return next((s for s in steps if s.type.rsplit(":", 1)[-1] == first), steps[0])


def outcomes_of(
    plan: Blueprint, desired: Sequence[DesiredResource], report: RunReport, provider: str
) -> list[ApplyOutcome]:
    """One outcome per desired resource from an ``up`` report."""
    steps: dict[str, list[Step]] = {}
    for step in report.steps:
        steps.setdefault(step.name, []).append(step)
    diagnostics = [line for line in report.events if line.startswith("error")]
    wanted = {item.key for item in desired}
    # A failure of a part no desired resource owns (the provider, the project) fails all.
    shared = sorted({s.name for s in report.steps if s.failed and s.name not in wanted})
    if report.error and not any(s.failed for s in report.steps):
        shared.append(f"the run ({report.error})")
    outcomes: list[ApplyOutcome] = []
    for item in desired:
        mine = steps.get(item.key, [])
        broken = [s for s in mine if s.failed]
        if broken or shared or not mine:
            said = [line for line in diagnostics if f" {item.key}:" in line] or diagnostics
            reason = "; ".join(said) or (
                "not reached: the run stopped first" if not mine else "failed"
            )
            if shared and not broken:
                reason = f"{', '.join(shared)} failed: {reason}"
            error = EngineFailed(provider, f"{item.key}: {reason}")
            outcomes.append(ApplyOutcome(item.kind, item.name, "failed", None, error))
            continue
        ranked = [_ACTIONS.get(s.op, "updated") for s in mine]
        action: Action = (
            "created" if "created" in ranked
            else "updated" if any(a != "unchanged" for a in ranked)
            else "unchanged"
        )  # fmt: skip
        outcomes.append(
            ApplyOutcome(item.kind, item.name, action, _primary(plan, item.key, mine).resource_id)
        )
    return outcomes


class PulumiEngine:
    """Provisions one provider through Pulumi stacks (see the module docstring).

    ``config`` is the stack config naming the credentials reference (``openstack:cloud``
    or ``kubernetes:context``); ``events`` holds the last run's event lines.
    """

    def __init__(
        self,
        name: str,
        kind: str,
        *,
        runner: StackRunner,
        config: Mapping[str, str],
        department: Department | None = None,
        external_network: str = "public",
    ) -> None:
        self.name = name
        self.kind = kind
        self._runner = runner
        self._config = dict(config)
        self._department = department or Department()
        self._external_network = external_network
        self.events: tuple[str, ...] = ()

    def _stack(self, system: SystemRef) -> StackId:
        return StackId(system.tenant, system.system, self.name)

    def _plan(self, system: SystemRef, desired: Sequence[DesiredResource]) -> Blueprint:
        return blueprint(
            system,
            desired,
            self.kind,
            provider=self.name,
            department=self._department,
            external_network=self._external_network,
        )

    def preview(self, system: SystemRef, desired: Sequence[DesiredResource]) -> RunReport:
        """What ``apply`` would change on the stack (Pulumi's plan diff); nothing changes."""
        return self._runner.preview(self._plan(system, desired), self._stack(system), self._config)

    def drift(self, system: SystemRef) -> list[str]:
        """Desired keys (``kind/name``) whose cloud state left the stack's (``refresh``)."""
        report = self._runner.refresh(self._stack(system), self.kind, self._config)
        return [name for name in report.drifted() if "/" in name]

    def apply(self, system: SystemRef, desired: Sequence[DesiredResource]) -> list[ApplyOutcome]:
        plan = self._plan(system, desired)
        self.events = ()
        report = self._runner.up(plan, self._stack(system), self._config)
        self.events = report.events
        return outcomes_of(plan, desired, report, self.name)

    def delete(self, system: SystemRef) -> list[ApplyOutcome]:
        self.events = ()
        report = self._runner.destroy(self._stack(system), self.kind, self._config)
        self.events = report.events
        outcomes: dict[str, ApplyOutcome] = {}
        for step in report.steps:
            kind, sep, name = step.name.partition("/")
            if not sep:
                continue  # the explicit provider or the department's parts
            if step.failed:
                error: ProviderError = EngineFailed(self.name, f"{step.name}: delete failed")
                outcomes[step.name] = ApplyOutcome(kind, name, "failed", step.resource_id, error)
            elif step.name not in outcomes or outcomes[step.name].ok:
                outcomes.setdefault(
                    step.name, ApplyOutcome(kind, name, "deleted", step.resource_id)
                )
        return list(outcomes.values())
