"""``govcloud provider list | show``."""

from __future__ import annotations

import typer

from controlplane.cli.context import cli_context, require
from controlplane.cli.output import Format, emit
from controlplane.cli.views import PROVIDER_COLUMNS, provider_record

app = typer.Typer(
    help="Clouds of the estate (1 provincial + M municipal + N sector).", no_args_is_help=True
)


@app.command("list")
def list_(
    ctx: typer.Context,
    tier: str | None = typer.Option(None, "--tier", help="provincial | municipal | sector"),
    output: Format = typer.Option(Format.table, "-o", "--output"),
) -> None:
    """Providers, optionally of one tier."""
    obj = cli_context(ctx)
    records = [
        provider_record(p) for p in obj.app.estate.providers() if tier is None or p.tier == tier
    ]
    emit(records, output, lang=obj.lang, columns=PROVIDER_COLUMNS)


@app.command("show")
def show(
    ctx: typer.Context,
    name: str,
    output: Format = typer.Option(Format.table, "-o", "--output"),
) -> None:
    """One provider in full."""
    obj = cli_context(ctx)
    provider = require(obj.app.estate.provider(name), "provider", name, obj.lang)
    record = provider_record(provider)
    if output is Format.table:
        capacity = record.pop("capacity")
        record.update({f"capacity.{k}": v for k, v in capacity.items()})
        record["credentials"] = ", ".join(f"{k}={v}" for k, v in record["credentials"].items())
    emit(record, output, lang=obj.lang)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="provider")
