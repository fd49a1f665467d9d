"""``govcloud tui``: the operations console (Textual) over this home, as ``--as``, or
through a context over a remote ``govcloud serve``."""

from __future__ import annotations

from pathlib import Path

import typer

from controlplane.app import App
from controlplane.cli.context import cli_context
from controlplane.config import Settings
from controlplane.facade import Govcloud
from controlplane.i18n import Lang

__all__ = ["open_console", "register"]

_VIEW_HELP = "View to open first (a name or alias, e.g. resources)."


def tui(
    ctx: typer.Context,
    view: str = typer.Option("overview", "--view", help=_VIEW_HELP),
    refresh: float = typer.Option(15.0, "--refresh", min=1.0, help="Seconds between refreshes."),
) -> None:
    """Open the operations console: `:` views, `/` filter, `d` describe, `?` keys."""
    from tui.app import ConsoleApp
    from tui.views import resolve_view

    obj = cli_context(ctx)
    start = resolve_view(view)
    if start is None:
        raise typer.BadParameter(f"no such view {view!r}", param_hint="--view")
    # the local facade, or through a context a RemoteGovcloud: both are the console's Door
    ConsoleApp(obj.facade, lang=obj.lang, start=start, refresh_seconds=refresh).run()


def open_console(home: Path, actor: str, lang: Lang) -> None:
    """The console over the home ``home`` acting as ``actor`` (the demo's last step)."""
    from tui.app import ConsoleApp

    app = App(Settings.for_home(home))
    app.ready()
    try:
        ConsoleApp(Govcloud.acting_as(app, actor), lang=lang).run()
    finally:
        app.close()


def register(root: typer.Typer) -> None:
    root.command("tui")(tui)
