"""``govcloud tenant list | show``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from controlplane.cli.context import cli_context, require
from controlplane.cli.output import Format, emit
from controlplane.cli.params import CONTINUE, LIMIT, OUTPUT, print_continue, shown
from controlplane.cli.views import TENANT_COLUMNS, tenant_record
from controlplane.errors import NotFound

if TYPE_CHECKING:
    from controlplane.facade.models import TenantInfo

app = typer.Typer(help="Departments (委办局) of the estate.", no_args_is_help=True)


@app.command("list")
def list_(
    ctx: typer.Context,
    city: str | None = typer.Option(None, "--city", help="Only this city's departments."),
    limit: int = LIMIT,
    token: str | None = CONTINUE,
    output: Format = OUTPUT,
) -> None:
    """Departments, optionally of one city."""
    obj = cli_context(ctx)
    found = obj.facade.tenants(city=city, limit=limit, continue_token=token)
    page = shown(found, [tenant_record(t) for t in found.items])
    emit(page.rows, output, lang=obj.lang, columns=TENANT_COLUMNS)
    print_continue(page, output, obj.lang)


@app.command("show")
def show(ctx: typer.Context, code: str, output: Format = OUTPUT) -> None:
    """One department in full."""
    obj = cli_context(ctx)
    try:
        found: TenantInfo | None = obj.facade.tenant(code)
    except NotFound:
        found = None
    tenant = require(found, "tenant", code, obj.lang)
    emit(tenant_record(tenant), output, lang=obj.lang)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="tenant")
