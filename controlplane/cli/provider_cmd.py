"""``govcloud provider list | show``."""

from __future__ import annotations

import typer

from controlplane.cli.context import cli_context, require
from controlplane.cli.output import Format, emit
from controlplane.cli.params import CONTINUE, LIMIT, OUTPUT, page_of, print_continue
from controlplane.cli.views import PROVIDER_COLUMNS, provider_record

app = typer.Typer(
    help="Clouds of the estate (1 provincial + M municipal + N sector).", no_args_is_help=True
)


@app.command("list")
def list_(
    ctx: typer.Context,
    tier: str | None = typer.Option(None, "--tier", help="provincial | municipal | sector"),
    limit: int = LIMIT,
    token: str | None = CONTINUE,
    output: Format = OUTPUT,
) -> None:
    """Providers, optionally of one tier."""
    obj = cli_context(ctx)
    records = [
        provider_record(p) for p in obj.app.estate.providers() if tier is None or p.tier == tier
    ]
    page = page_of(
        records, lambda r: (r["name"],), list_name="provider list", limit=limit, token=token
    )
    emit(page.rows, output, lang=obj.lang, columns=PROVIDER_COLUMNS)
    print_continue(page, output, obj.lang)


@app.command("show")
def show(ctx: typer.Context, name: str, output: Format = OUTPUT) -> None:
    """One provider in full."""
    obj = cli_context(ctx)
    provider = require(obj.app.estate.provider(name), "provider", name, obj.lang)
    emit(provider_record(provider), output, lang=obj.lang)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="provider")
