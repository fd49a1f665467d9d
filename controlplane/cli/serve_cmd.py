"""``govcloud serve [--listen HOST:PORT]``: the HTTP API over this home's database.

TLS is on when a certificate and key are given (``--cert``/``--key`` or
``GOVCLOUD_TLS_CERT``/``GOVCLOUD_TLS_KEY``); without them the server listens in plain
HTTP, which is only for 127.0.0.1 behind a TLS-terminating proxy. Keystone tokens are
accepted with ``--keystone-map`` (or ``GOVCLOUD_KEYSTONE_MAP``).
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from controlplane.cli.context import cli_context
from controlplane.cli.output import Format, emit
from controlplane.cli.params import OUTPUT

__all__ = ["parse_listen", "register"]


def parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter(f"expected HOST:PORT, got {value!r}", param_hint="--listen")
    return host.strip("[]"), int(port)


def _env_file(variable: str, option: str) -> Path | None:
    """A file named by an environment variable (the option's default), checked like it."""
    value = os.environ.get(variable)
    if not value:
        return None
    if not Path(value).is_file():
        raise typer.BadParameter(f"{variable}={value!r} is not a file", param_hint=option)
    return Path(value)


def serve(
    ctx: typer.Context,
    listen: str = typer.Option("127.0.0.1:8443", "--listen", help="HOST:PORT to listen on."),
    cert: Path | None = typer.Option(
        None, "--cert", exists=True, dir_okay=False, help="TLS certificate (PEM).",
    ),
    key: Path | None = typer.Option(
        None, "--key", exists=True, dir_okay=False, help="TLS private key (PEM).",
    ),
    max_body: int = typer.Option(4 * 1024 * 1024, "--max-body", min=1024,
                                 help="Largest request body in bytes."),
    keystone_map: Path | None = typer.Option(
        None, "--keystone-map", exists=True, dir_okay=False,
        help="Accept Keystone tokens, mapped to principals by this KeystoneMapping file.",
    ),
    output: Format = OUTPUT,
) -> None:  # fmt: skip
    """Serve the govcloud API at /api/v1 (bearer tokens: `govcloud token create`)."""
    import uvicorn

    from controlplane.api import IdentityProvider, create_api, server_config

    host, port = parse_listen(listen)
    cert = cert or _env_file("GOVCLOUD_TLS_CERT", "--cert")
    key = key or _env_file("GOVCLOUD_TLS_KEY", "--key")
    keystone_map = keystone_map or _env_file("GOVCLOUD_KEYSTONE_MAP", "--keystone-map")
    if (cert is None) != (key is None):
        raise typer.BadParameter("give both --cert and --key, or neither", param_hint="--cert")
    obj = cli_context(ctx)
    providers: tuple[IdentityProvider, ...] = ()
    if keystone_map is not None:
        from controlplane.keystone import KeystoneIdentity

        providers = (KeystoneIdentity.from_file(keystone_map),)
    api = create_api(obj.app, identity_providers=providers, max_body=max_body)
    scheme = "https" if cert else "http"
    where = {"url": f"{scheme}://{host}:{port}/api/v1", "tls": cert is not None,
             "keystone": keystone_map is not None}  # fmt: skip
    if output.for_people:
        typer.echo(f"govcloud API at {where['url']}", err=True)
    else:
        emit(where, output, lang=obj.lang)
    config = server_config(
        api, host, port, cert=str(cert) if cert else None, key=str(key) if key else None
    )
    uvicorn.Server(config).run()


def register(root: typer.Typer) -> None:
    root.command("serve")(serve)
