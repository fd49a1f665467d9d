"""The ``govcloud`` command: global options, sub-command groups, exit codes.

Exit codes: 0 success; 1 refused or failed at run time; 2 invalid input (with
``file:line:col``, the field path and what was expected — and nothing changed).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from typer import Abort
from typer._click.exceptions import ClickException

import controlplane.cli
from controlplane.cli.config_file import ConfigFileError, Context, config_path, load_config
from controlplane.cli.context import CliContext, LocalOnly, UnknownContext
from controlplane.cli.localize import framework_error, localized, problem_text, refusal_text
from controlplane.cli.output import Format, emit
from controlplane.cli.params import OUTPUT
from controlplane.errors import GovcloudError
from controlplane.i18n import Lang, detect_lang, tr

if TYPE_CHECKING:
    from tenants import ManifestError

__all__ = ["main"]  # and ``app``, the whole command tree (see __getattr__)

_app = typer.Typer(
    name="govcloud",
    help="govcloud — control plane for a provincial 1+M+N government cloud (政务云).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: The top-level command words and the ``*_cmd`` modules that register them. A command
#: line — and its ``--help`` — imports only its own area's module (a CLI that starts
#: fast: ``provider list`` never loads bills, exports or the API server); the top-level
#: help and unknown words register them all, which stays cheap because a ``*_cmd``
#: module imports its area only inside its commands. tests/cli/test_help_startup.py
#: checks this table against the modules and what help loads.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "apply": ("request_cmd",),
    "audit": ("audit_cmd",),
    "bill": ("bill_cmd",),
    "budget": ("budget_cmd",),
    "config": ("config_cmd",),
    "delete": ("request_cmd",),
    "demo": ("demo_cmd",),
    "estate": ("estate_cmd",),
    "get": ("get_cmd",),
    "infra": ("infra_cmd",),
    "init": (),  # this module's own
    "jobs": ("jobs_cmd",),
    "meter": ("meter_cmd",),
    "plan": ("plan_cmd",),
    "policy": ("policy_cmd",),
    "provider": ("provider_cmd",),
    "repair": ("repair_cmd",),
    "request": ("request_cmd",),
    "serve": ("serve_cmd",),
    "tenant": ("tenant_cmd",),
    "token": ("token_cmd",),
    "tui": ("tui_cmd",),
}
#: Sub-commands another module adds to a group: loaded when named (or for help).
SUBCOMMAND_MODULES: dict[tuple[str, str], tuple[str, ...]] = {
    ("provider", "sync"): ("sync_cmd",),
}
_registered: set[str] = set()


def _register(names: Sequence[str]) -> None:
    for name in names:
        if name not in _registered:
            _registered.add(name)
            importlib.import_module(f"controlplane.cli.{name}").register(_app)


def _register_commands(root: typer.Typer) -> None:
    """Every ``controlplane/cli/*_cmd.py`` module adds its commands via ``register(root)``.

    Areas (estate, requests, policy, metering, bills…) own their own command modules;
    discovering them keeps this file from becoming everyone's merge point.
    """
    assert root is _app
    found = sorted(m.name for m in pkgutil.iter_modules(controlplane.cli.__path__))
    _register([name for name in found if name.endswith("_cmd")])


#: Global options that take a value (so the command word is found after them).
_VALUED = frozenset({"--home", "--as", "--lang", "--context"})


def _command_words(args: Sequence[str]) -> list[str]:
    """The words of a command line before its first option after the globals (the
    command and its sub-command)."""
    words: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in _VALUED and not words:
            skip = True
            continue
        if arg.startswith("-"):
            if words:
                break
            continue
        words.append(arg)
        if len(words) == 2:
            break
    return words


def register_for(args: Sequence[str]) -> None:
    """Register what the command line ``args`` needs: its area — for the command or for
    its ``--help`` alike — or everything (no command word, the top-level ``--help``, an
    unknown word: the help and the error name every command)."""
    words = _command_words(args)
    modules = COMMAND_MODULES.get(words[0]) if words else None
    if modules is None or "--help" in args[: args.index(words[0])]:
        _register_commands(_app)
        return
    _register(modules)
    for (group, sub), extra in SUBCOMMAND_MODULES.items():
        if group == words[0] and (len(words) < 2 or words[1] == sub):
            _register(extra)


def __getattr__(name: str) -> typer.Typer:
    """``app``: the whole command tree (docs, help walks and tests read it whole)."""
    if name == "app":
        _register_commands(_app)
        return _app
    raise AttributeError(name)


@_app.callback()
def _root(
    ctx: typer.Context,
    home: Path | None = typer.Option(
        None,
        "--home",
        envvar="GOVCLOUD_HOME",
        help="State directory (default ~/.local/share/govcloud).",
    ),
    actor: str | None = typer.Option(
        None,
        "--as",
        envvar="GOVCLOUD_USER",
        help="Principal the command acts as (default local-operator; with a context: "
        "impersonated, which the server checks).",
    ),
    lang: str | None = typer.Option(None, "--lang", help="zh or en (default: from LANG)."),
    context: str | None = typer.Option(
        None,
        "--context",
        envvar="GOVCLOUD_CONTEXT",
        help="Send the command to this context's server (default: the configuration's "
        "current context; '' for the local home).",
    ),
) -> None:
    chosen = detect_lang({"GOVCLOUD_LANG": lang} if lang else None)
    remote = _chosen_context(context, ctx.invoked_subcommand)
    ctx.obj = CliContext(lang=chosen, home=home, as_given=actor or None, remote_context=remote)
    ctx.call_on_close(ctx.obj.close)


#: Commands about the configuration file itself: they never go to a server.
_CONFIG_COMMANDS = frozenset({"config"})


def _chosen_context(name: str | None, command: str | None) -> Context | None:
    """The context a command goes through: ``--context``/``$GOVCLOUD_CONTEXT``, else the
    file's current context; ``''`` (or a ``config`` command) means the local home."""
    if command in _CONFIG_COMMANDS or name == "":
        return None
    config = load_config(config_path())
    chosen = name if name is not None else config.current
    if chosen is None:
        return None
    found = config.find(chosen)
    if found is None:
        raise UnknownContext(chosen, config.path)
    return found


@_app.command("init")
def init(ctx: typer.Context, output: Format = OUTPUT) -> None:
    """Create or migrate the database (idempotent)."""
    obj: CliContext = ctx.find_root().obj
    if obj.remote_context is not None:
        raise LocalOnly("govcloud init", obj.remote_context.name)
    from controlplane.app import App

    app_ = App(obj.settings)
    try:
        before, after = app_.init()
    finally:
        app_.close()
    where = obj.settings.database_url.split("@")[-1]
    if not output.for_people:
        emit({"database": where, "schema_before": before, "schema_after": after}, output,
             lang=obj.lang)  # fmt: skip
        return
    typer.echo(tr("init.done", obj.lang).format(where=where, before=before or "-", after=after))


def _report_invalid(exc: ManifestError, lang: Lang) -> None:
    typer.echo(f"{tr('error', lang)}: {tr('invalid', lang)}", err=True)
    for problem in exc.problems:
        typer.echo(f"  {problem_text(problem, lang)}", err=True)


def _lang_of(argv: Sequence[str]) -> Lang:
    """The language of this command line: ``--lang`` if given, else from the locale.

    Known before the command runs, so that help and usage errors speak it too.
    """
    chosen: str | None = None
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            chosen = argv[index + 1]
        elif arg.startswith("--lang="):
            chosen = arg.split("=", 1)[1]
    return detect_lang({"GOVCLOUD_LANG": chosen} if chosen else None)


def _help_wanted(command: object, args: Sequence[str]) -> bool:
    """Whether the command line shows help: ``--help``, or it names a group and none of
    its commands (the framework then shows the group's help, made before it raises)."""
    if "--help" in args:
        return True
    node, skip = command, False
    for arg in args:
        if skip:
            skip = False
        elif node is command and arg in _VALUED:
            skip = True
        elif not arg.startswith("-"):
            node = (getattr(node, "commands", None) or {}).get(arg)
            if getattr(node, "commands", None) is None:
                return False  # a command (or no such word: a usage error, said later)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (used by the console script and tests).

    Usage errors (unknown option, bad value, missing argument) are said as the command
    framework says them (:func:`~controlplane.cli.localize.framework_error`), with exit
    code 2; govcloud's own errors are translated here.
    """
    args = list(argv) if argv is not None else sys.argv[1:]
    lang = _lang_of(args)
    register_for(args)
    command = typer.main.get_command(_app)
    try:
        with localized(command, lang, help_wanted=_help_wanted(command, args)):
            # not standalone: typer would load ``rich`` to say a usage error before we
            # could; framework_error says it the same way, loading it only then
            try:
                code = command.main(args=args, prog_name="govcloud", standalone_mode=False)
            except (ClickException, Abort) as exc:
                return framework_error(exc, lang)
        return code if isinstance(code, int) else 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        typer.echo(str(exc.code), err=True)
        return 1
    except GovcloudError as exc:
        return _report_refusal(exc, lang)
    except ConfigFileError as exc:
        typer.echo(f"{tr('error', lang)}: {exc.describe(lang)}", err=True)
        return 2
    except (LocalOnly, UnknownContext) as exc:
        typer.echo(f"{tr('error', lang)}: {exc.describe(lang)}", err=True)
        return 1
    except Exception as exc:
        code = _report_area_error(exc, lang)
        if code is None:
            raise
        return code
    return 0


def _report_area_error(exc: Exception, lang: Lang) -> int | None:
    """An area's own refusal that reached the command line (its module is loaded only
    now: a command that raised none of them never imports them)."""
    from controlplane.audit_config import AuditSetupError
    from tenants import ManifestError
    from tenants.limits import LimitSettingError

    if isinstance(exc, ManifestError):
        _report_invalid(exc, lang)
        return 2
    if isinstance(exc, AuditSetupError | LimitSettingError):
        typer.echo(f"{tr('error', lang)}: {exc}", err=True)
        return 1
    return None


#: The facade names the field at fault as the API does; the CLI says which option it is.
_AS_OPTION = {"continue": "--continue", "limit": "--limit", "sort": "--sort"}


def _report_refusal(exc: GovcloudError, lang: Lang) -> int:
    """A refusal from the facade, said as the command would have said its cause.

    The facade translates the areas' errors into one tree (``source`` keeps the
    original): manifest problems are located as ever; a refused waiver lists its
    reasons; the rest is one line, in the user's language.
    """
    from controlplane.compliance.words import word
    from policies import WaiverRefused
    from tenants import ManifestError

    cause = exc.source
    if isinstance(cause, ManifestError):
        _report_invalid(cause, lang)
        return exc.exit_code
    if isinstance(cause, WaiverRefused):
        typer.echo(f"{tr('error', lang)}: {word('refused', lang)}:", err=True)
        for zh, en in cause.reasons:
            typer.echo(f"  - {zh if lang == 'zh' else en}", err=True)
        return exc.exit_code
    said = cause if cause is not None else exc
    typer.echo(f"{tr('error', lang)}: {refusal_text(said, lang)}", err=True)
    for detail in exc.details if said is exc else ():
        typer.echo(f"  {_AS_OPTION.get(detail, detail)}", err=True)
    return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
