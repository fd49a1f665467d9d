"""``govcloud tui``: the operations console (Textual) over this home, as ``--as``, or
through a context over a remote ``govcloud serve``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from controlplane.cli.config_file import config_path
from controlplane.cli.context import cli_context

if TYPE_CHECKING:
    from controlplane.i18n import Lang

__all__ = ["open_console", "register"]

_VIEW_HELP = "View to open first (a name or alias, e.g. resources)."
_CONTRAST_HELP = "High-contrast theme: white on black (or GOVCLOUD_HIGH_CONTRAST=1)."
_PINS_HELP = "File keeping the scopes pinned to keys 1-9 (default: beside the client config)."


def tui(
    ctx: typer.Context,
    view: str = typer.Option("overview", "--view", help=_VIEW_HELP),
    refresh: float = typer.Option(15.0, "--refresh", min=1.0, help="Seconds between refreshes."),
    high_contrast: bool = typer.Option(False, "--high-contrast", help=_CONTRAST_HELP),
    pins: Path | None = typer.Option(None, "--pins", metavar="FILE", help=_PINS_HELP),
) -> None:
    """Open the operations console: `:` views, `/` filter, `d` describe, `?` keys."""
    from tui.app import ConsoleApp, Pins
    from tui.views import resolve_view

    obj = cli_context(ctx)
    start = resolve_view(view)
    if start is None:
        raise typer.BadParameter(f"no such view {view!r}", param_hint="--view")
    # the local facade, or through a context a RemoteGovcloud: both are the console's Door
    ConsoleApp(obj.facade, lang=obj.lang, start=start, refresh_seconds=refresh,
               pins=Pins(pins or config_path().with_name("tui-pins.json")),
               high_contrast=high_contrast or bool(os.environ.get("GOVCLOUD_HIGH_CONTRAST")),
               ).run()  # fmt: skip


def open_console(home: Path, actor: str, lang: Lang) -> None:
    """The console over the home ``home`` acting as ``actor`` (the demo's last step)."""
    from controlplane.app import App
    from controlplane.config import Settings
    from controlplane.facade import Govcloud
    from tui.app import ConsoleApp

    app = App(Settings.for_home(home))
    app.ready()
    try:
        ConsoleApp(Govcloud.acting_as(app, actor), lang=lang).run()
    finally:
        app.close()


def register(root: typer.Typer) -> None:
    root.command("tui")(tui)
