"""``govcloud infra export --system NAME [--provider P] --dir DIR``.

Writes the standalone Pulumi project of a department system (``Pulumi.yaml``, the
program, its stack config, requirements) so the department can keep, review and run it
with the Pulumi CLI. Refusals (unknown system or provider, nothing Pulumi provisions,
another tenant's system) are one line on stderr and exit 1.
"""

from __future__ import annotations

from pathlib import Path

import typer

from controlplane import rbac
from controlplane.cli.context import cli_context
from controlplane.cli.output import Format, emit
from controlplane.requests.exported import ExportRefused, SystemExporter
from providers import ProviderError

__all__ = ["register"]

app = typer.Typer(help="Pulumi programs of department systems (基础设施即代码).")


@app.command("export")
def export(
    ctx: typer.Context,
    system: str = typer.Option(..., "--system", help="The system (metadata.name) to export."),
    provider: str | None = typer.Option(
        None, "--provider", help="Provider of the stack (default: where it was placed)."
    ),
    directory: Path = typer.Option(..., "--dir", help="Directory to write the project into."),
    output: Format = typer.Option(Format.table, "-o", "--output"),
) -> None:
    """Write a system's self-contained Pulumi project."""
    obj = cli_context(ctx)
    try:
        project = SystemExporter(obj.app.sessions).export(
            system, directory=directory, actor=obj.actor, provider=provider
        )
    except (ExportRefused, rbac.PermissionDenied, ProviderError) as exc:
        typer.echo(f"error: {exc.describe(obj.lang)}", err=True)
        raise typer.Exit(1) from exc
    record = {
        "project": project.project,
        "stack": project.stack,
        "directory": str(project.directory),
        "files": ", ".join(path.name for path in project.files),
    }
    emit(record, output, lang=obj.lang)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="infra")
