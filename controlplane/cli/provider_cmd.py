"""``govcloud provider list | show``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from controlplane.cli.context import cli_context, require
from controlplane.cli.output import Format, emit
from controlplane.cli.params import CONTINUE, LIMIT, OUTPUT, print_continue, shown
from controlplane.cli.views import PROVIDER_COLUMNS, provider_record
from controlplane.errors import NotFound

if TYPE_CHECKING:
    from controlplane.facade.models import ProviderInfo
    from controlplane.facade.paging import Page

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
    # the facade's read models, or the embedded read path's rows of the same fields
    found: Page[Any] = obj.reads.providers(tier=tier, limit=limit, continue_token=token)
    page = shown(found, [provider_record(p) for p in found.items])
    emit(page.rows, output, lang=obj.lang, columns=PROVIDER_COLUMNS)
    print_continue(page, output, obj.lang)


@app.command("show")
def show(ctx: typer.Context, name: str, output: Format = OUTPUT) -> None:
    """One provider in full."""
    obj = cli_context(ctx)
    try:
        found: ProviderInfo | None = obj.facade.provider(name)
    except NotFound:
        found = None
    provider = require(found, "provider", name, obj.lang)
    emit(provider_record(provider), output, lang=obj.lang)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="provider")
