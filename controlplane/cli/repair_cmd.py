"""``govcloud repair TENANT/SYSTEM``: undo a system's drift for operators.

Syncs the system's provider (so the plan reflects the cloud now, unless ``--no-sync``),
prints the repair plan (what will be recreated, restored, re-tagged, removed, or only
reported), and — unless ``--dry-run`` — re-applies the system's declared state through
its driver, then syncs again and says how much drift is left. Unmanaged resources in the
department's project are removed only with ``--prune-unmanaged``. Exit 1 when refused or
when a step failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from controlplane import rbac
from controlplane.cli.context import CliContext, cli_context
from controlplane.cli.output import Format, emit
from controlplane.inventory import UnknownProvider, list_drift, sync_service
from controlplane.inventory.words import say
from controlplane.requests import provisioner
from controlplane.requests.provisioning import NothingToRepair, RepairResult
from providers import ProviderError

__all__ = ["register"]


@contextmanager
def _refusals(obj: CliContext) -> Iterator[None]:
    try:
        yield
    except (rbac.PermissionDenied, NothingToRepair, ProviderError) as exc:
        typer.echo(f"error: {exc.describe(obj.lang)}", err=True)
        raise typer.Exit(1) from exc
    except UnknownProvider as exc:
        typer.echo(f"error: {exc.name}: {say('unknown_provider', obj.lang)}", err=True)
        raise typer.Exit(1) from exc


def _record(result: RepairResult, left: int | None) -> dict[str, Any]:
    plan = result.plan
    return {
        "tenant": plan.tenant,
        "system": plan.system,
        "provider": plan.provider,
        "dry_run": result.dry_run,
        "plan": plan.as_json(),
        "outcomes": [
            {
                "kind": o.kind,
                "name": o.name,
                "action": o.action,
                "resource_id": o.resource_id,
                "error": o.error.code if o.error else None,
            }
            for o in result.outcomes
        ],
        "drift_left": left,
    }


def repair(
    ctx: typer.Context,
    system: str = typer.Argument(..., metavar="TENANT/SYSTEM"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan only."),
    prune: bool = typer.Option(
        False, "--prune-unmanaged", help="Also remove resources govcloud did not create."
    ),
    no_sync: bool = typer.Option(False, "--no-sync", help="Plan from the last sync."),
    output: Format = typer.Option(Format.table, "-o", "--output"),
) -> None:
    """Re-apply a system's declared state: undo the drift the last sync found."""
    obj = cli_context(ctx)
    tenant, sep, name = system.partition("/")
    if not sep or not tenant or not name:
        typer.echo(f"error: {say('system_ref', obj.lang)}: {system!r}", err=True)
        raise typer.Exit(2)
    service = provisioner(obj.app)
    syncs = sync_service(obj.app)
    with _refusals(obj):
        if not no_sync:
            first = service.repair(tenant, name, actor=obj.actor, prune=prune, dry_run=True)
            syncs.sync(first.plan.provider, actor=obj.actor)
        result = service.repair(tenant, name, actor=obj.actor, prune=prune, dry_run=dry_run)
        left: int | None = None
        if not dry_run and not result.plan.empty:
            syncs.sync(result.plan.provider, actor=obj.actor)
            left = sum(
                1
                for d in list_drift(obj.app.sessions, provider=result.plan.provider)
                if d.tenant == tenant and d.system in (name, None)
            )
    if output is not Format.table:
        emit(_record(result, left), output, lang=obj.lang)
    else:
        _print(obj, result, left)
    if result.failed:
        raise typer.Exit(1)


def _print(obj: CliContext, result: RepairResult, left: int | None) -> None:
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
