"""What every command gets: settings, language, the acting principal, the app."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

import typer

from controlplane.app import App
from controlplane.config import Settings
from controlplane.i18n import Lang, tr

__all__ = ["CliContext", "cli_context", "require"]

T = TypeVar("T")


@dataclass
class CliContext:
    settings: Settings
    lang: Lang
    actor: str = field(default_factory=lambda: os.environ.get("GOVCLOUD_USER", "local-operator"))

    @cached_property
    def app(self) -> App:
        app = App(self.settings)
        app.ready()
        return app

    def close(self) -> None:
        if "app" in self.__dict__:
            self.app.close()


def require(found: T | None, what: str, key: str, lang: Lang) -> T:
    """``found``, or exit 1 with "<what> '<key>' not found" in the user's language."""
    if found is None:
        typer.echo(
            f"{tr('error', lang)}: {tr(what, lang)} {key!r} {tr('not_found', lang)}", err=True
        )
        raise typer.Exit(1)
    return found


def cli_context(ctx: typer.Context) -> CliContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliContext):
        raise RuntimeError("govcloud commands run under the govcloud root command")
    return obj
