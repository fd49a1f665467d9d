"""``govcloud audit verify``: check the hash chain of the audit log."""

from __future__ import annotations

import typer

from controlplane.cli.context import cli_context
from controlplane.cli.output import Format, emit
from controlplane.cli.params import OUTPUT
from controlplane.i18n import tr

app = typer.Typer(help="The append-only, hash-chained audit log.", no_args_is_help=True)


@app.command("verify")
def verify(ctx: typer.Context, output: Format = OUTPUT) -> None:
    """Detect any altered, removed or reordered audit event; exit 1 if there is one."""
    obj = cli_context(ctx)
    breaks = obj.facade.verify_audit().breaks
    if not output.for_people:
        emit(
            {"intact": not breaks, "breaks": [{"seq": b.seq, "reason": b.reason} for b in breaks]},
            output,
            lang=obj.lang,
        )
    elif not breaks:
        typer.echo(tr("audit.ok", obj.lang))
    else:
        typer.echo(tr("audit.broken", obj.lang), err=True)
        for item in breaks:
            typer.echo(f"  {item}", err=True)
    if breaks:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="audit")
