"""``govcloud config set-context | use-context | get-contexts | current-context |
delete-context``: where commands are sent, like kubectl's contexts.

The file is ``$GOVCLOUD_CONFIG`` or ``~/.config/govcloud/config.yaml``, written 0600.
A token is never printed back (``get-contexts`` shows the server and CA only).
"""

from __future__ import annotations

from pathlib import Path

import typer

from controlplane.cli.config_file import Context, config_path, load_config, save_config
from controlplane.cli.context import UnknownContext, cli_context
from controlplane.cli.output import Column, Format, emit
from controlplane.cli.params import OUTPUT
from controlplane.i18n import Lang

__all__ = ["register"]

app = typer.Typer(
    help="Contexts: which govcloud server a command goes to, with which token.",
    no_args_is_help=True,
)

_WORDS = {
    "set": ("已保存上下文 {name}（{path}）", "context {name} saved in {path}"),
    "use": ("当前上下文：{name}", "switched to context {name}"),
    "deleted": ("已删除上下文 {name}", "context {name} deleted"),
    "none": (
        "未设置当前上下文（命令在本地数据目录上运行）",
        "no current context (commands run on the local home)",
    ),
}


def _w(key: str, lang: Lang, **values: object) -> str:
    zh, en = _WORDS[key]
    return (zh if lang == "zh" else en).format(**values)


@app.command("set-context")
def set_context(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Name of the context."),
    server: str = typer.Option(..., "--server", help="API server URL (https://HOST:PORT)."),
    token: str = typer.Option(..., "--token", help="Bearer token (govcloud token create)."),
    ca: Path | None = typer.Option(None, "--ca", help="CA certificate file to verify the server."),
    output: Format = OUTPUT,
) -> None:
    """Add or replace a context (the file is written readable by you only)."""
    obj = cli_context(ctx)
    if not server.startswith(("http://", "https://")):
        raise typer.BadParameter("http://… or https://…", param_hint="--server")
    if ca is not None and not ca.is_file():
        raise typer.BadParameter(f"{ca}: no such file", param_hint="--ca")
    config = load_config(config_path())
    chosen = Context(name, server.rstrip("/"), token, str(ca.resolve()) if ca else None)
    updated = config.with_context(chosen)
    if updated.current is None:
        updated = type(updated)(updated.path, updated.contexts, name)
    save_config(updated)
    _say(output, obj.lang, {"context": name, "file": str(config.path)},
         _w("set", obj.lang, name=name, path=config.path))  # fmt: skip


@app.command("use-context")
def use_context(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Name of the context."),
    output: Format = OUTPUT,
) -> None:
    """Make NAME the context every command goes through."""
    obj = cli_context(ctx)
    config = load_config(config_path())
    if config.find(name) is None:
        raise UnknownContext(name, config.path)
    save_config(type(config)(config.path, config.contexts, name))
    _say(output, obj.lang, {"current_context": name}, _w("use", obj.lang, name=name))


@app.command("delete-context")
def delete_context(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Name of the context."),
    output: Format = OUTPUT,
) -> None:
    """Remove a context (and unset it if it was the current one)."""
    obj = cli_context(ctx)
    config = load_config(config_path())
    if config.find(name) is None:
        raise UnknownContext(name, config.path)
    kept = tuple(c for c in config.contexts if c.name != name)
    save_config(type(config)(config.path, kept, None if config.current == name else config.current))
    _say(output, obj.lang, {"deleted": name}, _w("deleted", obj.lang, name=name))


@app.command("get-contexts")
def get_contexts(ctx: typer.Context, output: Format = OUTPUT) -> None:
    """Every context: name, server and CA (never the token); * marks the current one."""
    obj = cli_context(ctx)
    config = load_config(config_path())
    rows = [{"current": c.name == config.current, **c.record()} for c in config.contexts]
    columns = [
        Column("current", lambda r: "*" if r["current"] else ""),
        Column("name", lambda r: r["name"]),
        Column("server", lambda r: r["server"]),
        Column("ca", lambda r: r["ca"]),
    ]
    emit(rows, output, lang=obj.lang, columns=columns)


@app.command("current-context")
def current_context(ctx: typer.Context, output: Format = OUTPUT) -> None:
    """The name of the current context (exit 1 when none is set)."""
    obj = cli_context(ctx)
    config = load_config(config_path())
    if config.current is None:
        typer.echo(f"{_w('none', obj.lang)}", err=True)
        raise typer.Exit(1)
    _say(output, obj.lang, {"current_context": config.current}, config.current)


def _say(output: Format, lang: Lang, record: dict[str, str], text: str) -> None:
    if output.for_people:
        typer.echo(text)
    else:
        emit(record, output, lang=lang)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="config")
