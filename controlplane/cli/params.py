"""Options shared by command modules: one spelling, one wording, one exit code.

``-o/--output`` is always the output format (kubectl's convention); commands that write a
file take it as ``--output-file``. Lists page with ``--limit N`` and ``--continue TOKEN``:
the token is the sort key of the last row shown (keyset, never an offset), so rows added
or removed before it do not shift the next page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer

from controlplane.cli.localize import refusal_text
from controlplane.cli.output import Format
from controlplane.facade import Page as FacadePage
from controlplane.i18n import Lang, tr

if TYPE_CHECKING:
    from controlplane.billing.period import Month

__all__ = [
    "CONTINUE",
    "LIMIT",
    "OUTPUT",
    "OUTPUT_FILE",
    "TIER",
    "Page",
    "after_id",
    "after_key",
    "current_month",
    "page_of",
    "parse_month",
    "print_continue",
    "refuse",
    "shown",
]

T = TypeVar("T")

#: The output format option, the same on every command.
OUTPUT: Any = typer.Option(
    Format.table, "-o", "--output", help="Output format: table, wide, json or yaml."
)
#: Where an export or report is written (never ``-o``, which is the format).
OUTPUT_FILE_HELP = "File to write."
OUTPUT_FILE = "--output-file"
LIMIT: Any = typer.Option(200, "--limit", min=1, help="At most this many rows per page.")
CONTINUE: Any = typer.Option(
    None, "--continue", help="Token printed at the end of the previous page."
)
#: ``--tier`` of the lists that filter by the clouds of one tier.
TIER: Any = typer.Option(
    None,
    "--tier",
    help="Only those on the clouds of this tier (provincial, municipal, sector).",
)


def parse_month(text: str) -> Month:
    """``--month YYYY-MM``; a malformed value is a usage error (exit 2)."""
    from controlplane.billing.period import Month

    try:
        return Month.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--month") from exc


def current_month(now: datetime) -> Month:
    """The month ``now`` falls in, in Asia/Shanghai (the billing calendar)."""
    from controlplane.billing.period import Month

    return Month.containing(now)


def refuse(exc: Exception, lang: Lang = "en") -> NoReturn:
    """A refusal at run time: the reason on stderr, exit 1."""
    typer.echo(f"{tr('error', lang)}: {refusal_text(exc, lang)}", err=True)
    raise typer.Exit(1)


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows and the token for the next one (``None``: the end)."""

    rows: list[Any]
    next_token: str | None


def _encode(list_name: str, key: Sequence[Any]) -> str:
    raw = json.dumps([list_name, list(key)], separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def after_key(token: str | None, list_name: str) -> tuple[Any, ...] | None:
    """The sort key a ``--continue`` token carries; a token of another list is refused."""
    if token is None:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        name, key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, TypeError):
        name, key = None, None
    if name != list_name or not isinstance(key, list):
        raise typer.BadParameter(f"not a continue token of `{list_name}`", param_hint="--continue")
    return tuple(key)


def after_id(token: str | None, list_name: str) -> int | None:
    """The row id a ``--continue`` token of an id-ordered list carries."""
    key = after_key(token, list_name)
    if key is None:
        return None
    if len(key) != 1 or not isinstance(key[0], int):
        raise typer.BadParameter(f"not a continue token of `{list_name}`", param_hint="--continue")
    return key[0]


def page_of(
    rows: Sequence[T],
    key: Callable[[T], tuple[Any, ...]],
    *,
    list_name: str,
    limit: int,
    token: str | None,
    presorted: bool = False,
) -> Page:
    """A keyset page over rows a service returned whole (for services without keyset
    reads): rows after the token's key in ``key`` order, at most ``limit`` of them.

    With ``presorted`` the rows already start after the token and come in ``key`` order
    with one extra row fetched to tell whether another page follows.
    """
    after = after_key(token, list_name)
    if presorted:
        chosen = list(rows)
    else:
        ordered = sorted(rows, key=key)
        chosen = [r for r in ordered if after is None or _json_key(key(r)) > after]
    shown = chosen[:limit]
    more = len(chosen) > limit
    return Page(shown, _encode(list_name, _json_key(key(shown[-1]))) if more and shown else None)


def _json_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """The key as a token carries it (JSON values), so comparisons agree across pages."""
    return tuple(json.loads(json.dumps(list(key), default=str)))


def print_continue(page: Page, fmt: Format, lang: Lang) -> None:
    """Say how to get the next page: after the table for people, on stderr for scripts
    (their stdout stays one JSON/YAML document)."""
    if page.next_token is None:
        return
    typer.echo(f"{tr('more_rows', lang)} --continue {page.next_token}", err=not fmt.for_people)


def shown(found: FacadePage[T], rows: Sequence[Any] | None = None) -> Page:
    """A facade page as the CLI pages it: its rows (or ``rows`` made from them) and the
    facade's continue token, which ``--continue`` hands back to the facade unchanged."""
    return Page(list(found.items if rows is None else rows), found.continue_token)
