"""What every command gets: settings, language, the acting principal and its facade.

Without a context the facade is the local :class:`~controlplane.facade.Govcloud` over
the home's database, acting as ``--as`` (default ``local-operator``). With a context
(``--context``, ``$GOVCLOUD_CONTEXT`` or the configuration file's current context) it
is a :class:`~controlplane.remote.RemoteGovcloud` talking to that server with that
context's token, ``--as`` becoming an impersonation the server checks. The two offer
the same methods and results, so a command is written once. Nothing heavy is imported
here: a remote command never loads the database layers, and the list commands that
read the local home use :attr:`CliContext.reads` (the embedded read path, without
SQLAlchemy, when the home is an up-to-date SQLite database).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from controlplane.cli.config_file import Context
from controlplane.i18n import Lang, tr

if TYPE_CHECKING:
    from controlplane.app import App
    from controlplane.config import Settings
    from controlplane.facade import Govcloud
    from controlplane.facade.embedded import EmbeddedReads
    from controlplane.remote import RemoteGovcloud

__all__ = ["CliContext", "LocalOnly", "UnknownContext", "cli_context", "require"]

T = TypeVar("T")
DEFAULT_ACTOR = "local-operator"


class LocalOnly(Exception):
    """A command that works on a local home only was run with a context."""

    def __init__(self, command: str, context: str) -> None:
        self.command, self.context = command, context
        super().__init__(command)

    def describe(self, lang: Lang) -> str:
        if lang == "zh":
            return (
                f"`{self.command}` 只能在本地数据目录上运行，不能经由上下文 {self.context!r} "
                "发往服务器；请加 --context '' 在本地运行"
            )
        return (
            f"`{self.command}` works on a local home only and cannot go through context "
            f"{self.context!r}; run it with --context '' on the server's host"
        )


@dataclass
class CliContext:
    lang: Lang
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    home: Path | None = None
    #: ``--as`` as given (``None``: not given; the local default is ``local-operator``)
    as_given: str | None = None
    remote_context: Context | None = None
    command: str = "govcloud"

    @property
    def actor(self) -> str:
        return self.as_given or DEFAULT_ACTOR

    @property
    def remote(self) -> bool:
        return self.remote_context is not None

    @cached_property
    def settings(self) -> Settings:
        from controlplane.config import Settings

        env = dict(self.env)
        if self.home is not None:
            env["GOVCLOUD_HOME"] = str(self.home)
        return Settings.from_env(env)

    @cached_property
    def app(self) -> App:
        """The local home's services (refused with a context: see :class:`LocalOnly`)."""
        if self.remote_context is not None:
            raise LocalOnly(self.command, self.remote_context.name)
        from controlplane.app import App

        app = App(self.settings)
        app.ready()
        return app

    @cached_property
    def reads(self) -> Govcloud | RemoteGovcloud | EmbeddedReads:
        """The door for ``provider list`` and ``get resources``: on a local SQLite home at
        the current schema, :class:`~controlplane.facade.embedded.EmbeddedReads` (the
        same results, read without SQLAlchemy); anywhere else, :attr:`facade`."""
        if self.remote_context is None and "app" not in self.__dict__:
            from controlplane.facade.embedded import EmbeddedReads

            found = EmbeddedReads.open(self.settings.database_url, self.actor)
            if found is not None:
                return found
        return self.facade

    @cached_property
    def facade(self) -> Govcloud | RemoteGovcloud:
        """The one door, acting as ``--as`` (a principal the estate declares)."""
        found = self.remote_context
        if found is not None:
            from controlplane.remote import RemoteGovcloud

            return RemoteGovcloud(
                found.server, found.token, ca=found.ca, impersonate=self.as_given, lang=self.lang
            )
        from controlplane.facade import Govcloud

        return Govcloud.acting_as(self.app, self.actor)

    def now(self) -> datetime:
        """The time ages and default months are reckoned from (the home's clock locally:
        the wall clock, which a command that never built the app reads itself)."""
        if self.remote_context is not None or "app" not in self.__dict__:
            return datetime.now(UTC)
        return self.app.clock()

    def manifest(self, parsed: T, text: str, source: str) -> T | Any:
        """What to hand the facade for a manifest already parsed (and located) here: the
        parsed documents locally, the text and its name for the server to parse again."""
        if self.remote_context is None:
            return parsed
        from controlplane.facade.govcloud import Manifest

        return Manifest(text, source)

    def close(self) -> None:
        if "facade" in self.__dict__ and self.remote_context is not None:
            facade = self.__dict__["facade"]
            facade.close()
        reads = self.__dict__.get("reads")
        if reads is not None and reads is not self.__dict__.get("facade"):
            reads.close()  # the embedded reads' own connection
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
    obj.command = ctx.command_path
    return obj


class UnknownContext(Exception):
    """``--context NAME`` (or the current context) names no context of the file."""

    def __init__(self, name: str, path: Path) -> None:
        self.name, self.path = name, path
        super().__init__(name)

    def describe(self, lang: Lang) -> str:
        if lang == "zh":
            return (
                f"配置文件 {self.path} 中没有上下文 {self.name!r}（govcloud config get-contexts）"
            )
        return f"no context {self.name!r} in {self.path} (see govcloud config get-contexts)"
