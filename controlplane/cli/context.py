"""What every command gets: settings, language, the acting principal, the app."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property

import typer

from controlplane.app import App
from controlplane.config import Settings
from controlplane.i18n import Lang

__all__ = ["CliContext", "cli_context"]


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


def cli_context(ctx: typer.Context) -> CliContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliContext):
        raise RuntimeError("govcloud commands run under the govcloud root command")
    return obj
