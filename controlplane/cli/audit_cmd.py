"""``govcloud audit verify | checkpoint | rotate-key``: the keyed, anchored audit log."""

from __future__ import annotations

import typer

from controlplane.audit_service import AuditService
from controlplane.cli.context import cli_context
from controlplane.cli.output import Format, emit
from controlplane.i18n import tr

app = typer.Typer(help="The append-only, keyed and checkpointed audit log.", no_args_is_help=True)


def _service(ctx: typer.Context) -> tuple[AuditService, str]:
    obj = cli_context(ctx)
    return AuditService(obj.app.sessions, obj.app.clock), obj.actor


@app.command("verify")
def verify(
    ctx: typer.Context, output: Format = typer.Option(Format.table, "-o", "--output")
) -> None:
    """Detect altered, removed, reordered, re-chained or forged events and truncation
    (against the latest signed checkpoint); exit 1 if there is any."""
    lang = cli_context(ctx).lang
    service, actor = _service(ctx)
    report = service.verify(actor=actor)
    anchor = report.checkpoint
    if output is not Format.table:
        emit(
            {
                "intact": report.intact,
                "head": report.head,
                "checkpoint": None if anchor is None else {"seq": anchor.seq, "at": anchor.at},
                "unanchored": report.unanchored,
                "unkeyed": report.unkeyed,
                "breaks": [
                    {"seq": b.seq, "kind": b.kind, "where": b.where, "reason": b.describe(lang)}
                    for b in report.breaks
                ],
            },
            output,
            lang=lang,
        )
    elif report.intact:
        typer.echo(tr("audit.ok", lang))
        if anchor is None:
            typer.echo(f"  {tr('audit.no_checkpoint', lang)}")
        else:
            at = anchor.at.isoformat(timespec="seconds")
            after = report.unanchored
            typer.echo("  " + tr("audit.anchored", lang).format(seq=anchor.seq, at=at, after=after))
        if report.unkeyed:
            typer.echo("  " + tr("audit.unkeyed", lang).format(count=report.unkeyed))
    else:
        typer.echo(tr("audit.broken", lang), err=True)
        for item in report.breaks:
            typer.echo(f"  {item.describe(lang)}", err=True)
    if not report.intact:
        raise typer.Exit(1)


@app.command("checkpoint")
def checkpoint(ctx: typer.Context) -> None:
    """Sign the current head and append it to the checkpoint file(s) now (for schedulers)."""
    lang = cli_context(ctx).lang
    service, actor = _service(ctx)
    written = service.checkpoint(actor=actor)
    if written is None:
        typer.echo(tr("audit.empty", lang))
    else:
        typer.echo(tr("audit.checkpointed", lang).format(seq=written.seq, hash=written.hash))


@app.command("rotate-key")
def rotate_key(ctx: typer.Context) -> None:
    """Start sealing with a new key; old keys stay in the ring so the past still verifies."""
    lang = cli_context(ctx).lang
    service, actor = _service(ctx)
    old, new = service.rotate_key(actor=actor)
    typer.echo(tr("audit.rotated", lang).format(old=old, new=new))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="audit")
