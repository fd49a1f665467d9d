"""``govcloud tui``: the operations console (Textual) over this home, as ``--as``."""

from __future__ import annotations

import typer

from controlplane.cli.context import cli_context

__all__ = ["register"]

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
    ConsoleApp(obj.facade, lang=obj.lang, start=start, refresh_seconds=refresh).run()


def register(root: typer.Typer) -> None:
    root.command("tui")(tui)
