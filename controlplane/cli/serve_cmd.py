"""``govcloud serve [--listen HOST:PORT]``: the HTTP API and the jobs over this home's database.

TLS is on when a certificate and key are given (``--cert``/``--key`` or
``GOVCLOUD_TLS_CERT``/``GOVCLOUD_TLS_KEY``); without them the server listens in plain
HTTP, which is only for 127.0.0.1 behind a TLS-terminating proxy. Keystone tokens are
accepted with ``--keystone-map`` (or ``GOVCLOUD_KEYSTONE_MAP``).

The same process runs the scheduled jobs and the reconciler
(:mod:`controlplane.scheduler.daemon`); ``--no-jobs`` and ``--no-api`` split the roles.
``/healthz``, ``/readyz`` and ``/metrics`` are served in both roles. SIGTERM stops taking
work, lets the current provisions finish and gives back claims and the lead.
"""

from __future__ import annotations

import logging
import os
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import typer

from controlplane.cli.context import cli_context
from controlplane.cli.output import Format, emit
from controlplane.cli.params import OUTPUT
from controlplane.errors import GovcloudError

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
    no_jobs: bool = typer.Option(False, "--no-jobs",
                                 help="Serve the API only: no jobs, no reconciler."),
    no_api: bool = typer.Option(False, "--no-api",
                                help="Run the jobs and the reconciler only (probes still served)."),
    jobs_config: Path | None = typer.Option(
        None, "--jobs-config", exists=True, dir_okay=False,
        help="Job schedule file (jobs: NAME: every, cron, enabled); or GOVCLOUD_JOBS_CONFIG.",
    ),
    replica: str | None = typer.Option(None, "--replica",
                                       help="This replica's name (default: HOSTNAME/pid)."),
    workers: int | None = typer.Option(None, "--workers", min=1, max=64,
                                       help="Reconcile threads (default: 4 on PostgreSQL, 1 on SQLite)."),
    lease: int = typer.Option(60, "--lease", min=5,
                              help="Seconds a claim lives without renewal (crash recovery)."),
    output: Format = OUTPUT,
) -> None:  # fmt: skip
    """Serve the govcloud API at /api/v1 and run the jobs that keep the estate in its declared state."""
    import uvicorn
    from fastapi import FastAPI

    from controlplane.api import IdentityProvider, create_api, server_config
    from controlplane.api.probes import mount_probes
    from controlplane.scheduler.daemon import Replica, ReplicaOptions, default_replica_name

    if no_jobs and no_api:
        raise typer.BadParameter(
            "--no-jobs and --no-api leave nothing to run", param_hint="--no-api"
        )
    host, port = parse_listen(listen)
    cert = cert or _env_file("GOVCLOUD_TLS_CERT", "--cert")
    key = key or _env_file("GOVCLOUD_TLS_KEY", "--key")
    keystone_map = keystone_map or _env_file("GOVCLOUD_KEYSTONE_MAP", "--keystone-map")
    if (cert is None) != (key is None):
        raise typer.BadParameter("give both --cert and --key, or neither", param_hint="--cert")
    obj = cli_context(ctx)
    app = obj.app
    if jobs_config is not None:
        app.jobs.config_path = jobs_config
    running: Replica | None = None
    if not no_jobs:
        sqlite = app.engine.dialect.name == "sqlite"
        options = ReplicaOptions(
            name=replica or default_replica_name(),
            workers=workers or (1 if sqlite else 4),
            lease=timedelta(seconds=lease),
        )
        running = Replica(app, options)
        running.metrics.watch_queue(app.jobs.queue_depth)
        try:
            app.jobs.specs()  # a bad schedule file fails before anything starts
            running.start()
        except (GovcloudError, ValueError) as exc:
            message = exc.describe(obj.lang) if isinstance(exc, GovcloudError) else str(exc)
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(1) from None
    if no_api:
        api = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
        api.state.asgi = api  # what server_config serves (no body limit: no API routes)
    else:
        providers: tuple[IdentityProvider, ...] = ()
        if keystone_map is not None:
            from controlplane.keystone import KeystoneIdentity

            providers = (KeystoneIdentity.from_file(keystone_map),)
        api = create_api(app, identity_providers=providers, max_body=max_body)
    mount_probes(api, app, running)
    scheme = "https" if cert else "http"
    where: dict[str, Any] = {
        "url": f"{scheme}://{host}:{port}/api/v1", "tls": cert is not None,
        "keystone": keystone_map is not None, "api": not no_api, "jobs": not no_jobs,
        "replica": running.name if running else None,
    }  # fmt: skip
    if output.for_people:
        what = "govcloud API" if not no_api else "govcloud jobs (probes)"
        typer.echo(f"{what} at {scheme}://{host}:{port}"
                   + (f"; jobs on as replica {running.name}" if running else ""), err=True)  # fmt: skip
    else:
        emit(where, output, lang=obj.lang)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = server_config(
        api, host, port, cert=str(cert) if cert else None, key=str(key) if key else None
    )
    server = uvicorn.Server(config)
    # uvicorn's handlers end the server on SIGTERM/SIGINT, then restore these and raise the
    # signal again: ours make that a no-op, so the replica stops cleanly and we exit 0
    for handled in (signal.SIGTERM, signal.SIGINT):
        signal.signal(handled, _stopping)
    try:
        server.run()
    finally:
        if running is not None:
            running.stop()


def _stopping(signum: int, frame: object) -> None:
    logging.getLogger("govcloud.serve").info("signal %d: stopping", signum)


def register(root: typer.Typer) -> None:
    root.command("serve")(serve)
