"""``govcloud token create | list | revoke``: bearer tokens for the HTTP API.

``create`` prints the new token alone on stdout, once (pipe it where it belongs: it
cannot be shown again); only its hash is stored. Acting as ``--as`` through the facade,
so only the roles of the table may issue, list or revoke tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from controlplane.cli.context import cli_context
from controlplane.cli.output import Column, Format, emit
from controlplane.cli.params import OUTPUT
from controlplane.errors import GovcloudError

if TYPE_CHECKING:
    from controlplane.auth import TokenInfo
    from controlplane.facade import Govcloud
    from controlplane.remote import RemoteGovcloud

__all__ = ["register"]

app = typer.Typer(help="Bearer tokens for the HTTP API (govcloud serve).", no_args_is_help=True)


def _facade(ctx: typer.Context) -> Govcloud | RemoteGovcloud:
    return cli_context(ctx).facade


def _refuse(exc: GovcloudError, ctx: typer.Context) -> typer.Exit:
    typer.echo(f"error: {exc.describe(cli_context(ctx).lang)}", err=True)
    for detail in exc.details:
        typer.echo(f"  {detail}", err=True)
    return typer.Exit(exc.exit_code)


@app.command("create")
def create(
    ctx: typer.Context,
    principal: str = typer.Option(..., "--principal", help="Declared principal it acts for."),
    expires: str = typer.Option("30d", "--expires", help="Lifetime: 90m, 12h, 30d, 2w."),
    never: bool = typer.Option(False, "--no-expiry", help="A token that never expires."),
    output: Format = OUTPUT,
) -> None:
    """Issue a token and print it (alone, once; -o json|yaml: with its record)."""
    from controlplane.auth import parse_duration

    obj = cli_context(ctx)
    try:
        ttl = None if never else parse_duration(expires)
        issued = _facade(ctx).create_token(principal, expires_in=ttl)
    except GovcloudError as exc:
        raise _refuse(exc, ctx) from None
    if output.for_people:
        typer.echo(issued.token)
    else:
        emit({"token": issued.token, **_record(issued.info, obj.now())}, output, lang=obj.lang)


def _record(info: TokenInfo, now: Any) -> dict[str, Any]:
    return {
        "id": info.token_id,
        "principal": info.principal,
        "state": info.state(now),
        "created_by": info.created_by,
        "created_at": info.created_at,
        "expires_at": info.expires_at,
        "revoked_at": info.revoked_at,
    }


@app.command("list")
def list_(
    ctx: typer.Context,
    principal: str | None = typer.Option(None, "--principal"),
    output: Format = OUTPUT,
) -> None:
    """Tokens with their state (active, expired, revoked) — never their secrets."""
    obj = cli_context(ctx)
    try:
        found = _facade(ctx).tokens(principal=principal)
    except GovcloudError as exc:
        raise _refuse(exc, ctx) from None
    now = obj.now()
    emit([_record(t, now) for t in found], output, lang=obj.lang, columns=(
        Column("id", lambda r: r["id"]),
        Column("principal", lambda r: r["principal"]),
        Column("state", lambda r: r["state"]),
        Column("expires", lambda r: r["expires_at"]),
    ))  # fmt: skip


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    token_id: str = typer.Argument(..., metavar="ID"),
    output: Format = OUTPUT,
) -> None:
    """Revoke a token by its id (the part after ``gct_``); it is refused from now on."""
    obj = cli_context(ctx)
    try:
        info = _facade(ctx).revoke_token(token_id)
    except GovcloudError as exc:
        raise _refuse(exc, ctx) from None
    if output.for_people:
        typer.echo(f"revoked {info.token_id} ({info.principal})")
    else:
        emit(_record(info, obj.now()), output, lang=obj.lang)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="token")
