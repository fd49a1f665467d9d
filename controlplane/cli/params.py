"""Option parsing and refusal shared by command modules (one wording, one exit code)."""

from __future__ import annotations

from typing import NoReturn

import typer

from controlplane.billing import Month

__all__ = ["parse_month", "refuse"]


def parse_month(text: str) -> Month:
    """``--month YYYY-MM``; a malformed value is a usage error (exit 2)."""
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--month") from exc


def refuse(exc: Exception) -> NoReturn:
    """A refusal at run time: the reason on stderr, exit 1."""
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)
