"""The ``govcloud`` command: global options, sub-command groups, exit codes.

Exit codes: 0 success; 1 refused or failed at run time; 2 invalid input (with
``file:line:col``, the field path and what was expected — and nothing changed).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path

import typer

import controlplane.cli
from controlplane.app import SchemaNotCurrent
from controlplane.audit_config import AuditSetupError
from controlplane.cli.context import CliContext
from controlplane.config import Settings
from controlplane.i18n import detect_lang, tr
from controlplane.rbac import PermissionDenied
from tenants import ManifestError

__all__ = ["app", "main"]

app = typer.Typer(
    name="govcloud",
    help="govcloud — control plane for a provincial 1+M+N government cloud (政务云).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands(root: typer.Typer) -> None:
    """Every ``controlplane/cli/*_cmd.py`` module adds its commands via ``register(root)``.

    Areas (estate, requests, policy, metering, bills…) own their own command modules;
    discovering them keeps this file from becoming everyone's merge point.
    """
    for info in sorted(pkgutil.iter_modules(controlplane.cli.__path__), key=lambda m: m.name):
        if info.name.endswith("_cmd"):
            module = importlib.import_module(f"controlplane.cli.{info.name}")
            module.register(root)


_register_commands(app)


@app.callback()
def _root(
    ctx: typer.Context,
    home: Path | None = typer.Option(
        None,
        "--home",
        envvar="GOVCLOUD_HOME",
        help="State directory (default ~/.local/share/govcloud).",
    ),
    actor: str = typer.Option(
        "local-operator", "--as", envvar="GOVCLOUD_USER", help="Principal the command acts as."
    ),
    lang: str | None = typer.Option(None, "--lang", help="zh or en (default: from LANG)."),
) -> None:
    env = dict(os.environ)
    if home is not None:
        env["GOVCLOUD_HOME"] = str(home)
    settings = Settings.from_env(env)
    chosen = detect_lang({"GOVCLOUD_LANG": lang} if lang else None)
    ctx.obj = CliContext(settings=settings, lang=chosen, actor=actor)
    ctx.call_on_close(ctx.obj.close)


@app.command("init")
def init(ctx: typer.Context) -> None:
    """Create or migrate the database (idempotent)."""
    obj: CliContext = ctx.find_root().obj
    from controlplane.app import App

    app_ = App(obj.settings)
    try:
        before, after = app_.init()
    finally:
        app_.close()
    where = obj.settings.database_url.split("@")[-1]
    typer.echo(f"database {where}: schema {before or 'empty'} -> {after}")


def _report_invalid(exc: ManifestError, lang: str) -> None:
    typer.echo(f"error: {tr('invalid', 'zh' if lang == 'zh' else 'en')}", err=True)
    for problem in exc.problems:
        typer.echo(f"  {problem}", err=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (used by the console script and tests).

    Usage errors (unknown option, bad value, missing argument) are reported by the
    command framework itself in standalone mode, with exit code 2; govcloud's own
    errors are translated here.
    """
    command = typer.main.get_command(app)
    try:
        command.main(
            args=list(argv) if argv is not None else None,
            prog_name="govcloud",
            standalone_mode=True,
        )
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        typer.echo(str(exc.code), err=True)
        return 1
    except ManifestError as exc:
        _report_invalid(exc, detect_lang())
        return 2
    except (SchemaNotCurrent, AuditSetupError) as exc:
        typer.echo(f"error: {exc}", err=True)
        return 1
    except PermissionDenied as exc:
        typer.echo(f"error: {exc.describe(detect_lang())}", err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
