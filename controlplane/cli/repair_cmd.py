"""``govcloud repair TENANT/SYSTEM``: undo a system's drift for operators.

Syncs the system's provider (so the plan reflects the cloud now, unless ``--no-sync``),
prints the repair plan (what will be recreated, restored, re-tagged, removed, or only
reported), and — unless ``--dry-run`` — re-applies the system's declared state through
its driver, then syncs again and says how much drift is left. Unmanaged resources in the
department's project are removed only with ``--prune-unmanaged``. Exit 1 when refused or
when a step failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from controlplane.cli.context import CliContext, cli_context
from controlplane.cli.output import Format, emit
from controlplane.cli.params import OUTPUT
from controlplane.i18n import tr
from controlplane.inventory.words import say

if TYPE_CHECKING:
    from controlplane.facade import RepairReport

__all__ = ["register"]


def repair(
    ctx: typer.Context,
    system: str = typer.Argument(..., metavar="TENANT/SYSTEM"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan only."),
    prune: bool = typer.Option(
        False, "--prune-unmanaged", help="Also remove resources govcloud did not create."
    ),
    no_sync: bool = typer.Option(False, "--no-sync", help="Plan from the last sync."),
    output: Format = OUTPUT,
) -> None:
    """Re-apply a system's declared state: undo the drift the last sync found."""
    obj = cli_context(ctx)
    tenant, sep, name = system.partition("/")
    if not sep or not tenant or not name:
        typer.echo(f"{tr('error', obj.lang)}: {say('system_ref', obj.lang)}: {system!r}", err=True)
        raise typer.Exit(2)
    report = obj.facade.repair_system(
        tenant, name, prune=prune, dry_run=dry_run, sync_first=not no_sync
    )
    if output.for_people:
        _print(obj, report)
    else:
        emit(report.to_record(), output, lang=obj.lang)
    if report.result.failed:
        raise typer.Exit(1)


def _print(obj: CliContext, report: RepairReport) -> None:
    result, left = report.result, report.drift_left
    plan = result.plan
    if plan.empty:
        typer.echo(say("repair_empty", obj.lang))
        return
    typer.echo(f"{say('repair_plan', obj.lang)} {plan.tenant}/{plan.system} ({plan.provider}):")
    for step in plan.steps:
        keys = f" ({', '.join(step.keys)})" if step.keys else ""
        typer.echo(
            f"  {say(step.action, obj.lang)} {step.kind}/{step.name} {step.resource_id}{keys}"
        )
    if any(step.action == "report" for step in plan.steps):
        typer.echo(say("repair_prune_hint", obj.lang))
    if result.dry_run:
        typer.echo(say("repair_dry_run", obj.lang))
        return
    for outcome in result.outcomes:
        if outcome.action != "unchanged":
            error = f"  {outcome.error.describe(obj.lang)}" if outcome.error else ""
            typer.echo(f"  {outcome.kind}/{outcome.name}: {outcome.action}{error}")
    typer.echo(say("repair_done", obj.lang, left=left if left is not None else "?"))


def register(root: typer.Typer) -> None:
    root.command("repair")(repair)
