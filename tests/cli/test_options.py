"""One meaning for ``-o`` everywhere: every command takes ``-o/--output`` as its output
format (table, wide, json, yaml); a command that writes a file names it ``--output-file``;
every list that can grow long pages with ``--limit`` and ``--continue``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer

from controlplane.cli.main import app

TREE = typer.main.get_command(app)
LONG_LISTS = {
    "get resources", "get drift", "request list", "tenant list", "provider list",
    "policy violations", "policy waiver list", "bill show",
}  # fmt: skip
#: Full-screen commands print no result to format.
INTERACTIVE = {"tui"}


def _leaves(command: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    subs = getattr(command, "commands", None) or {}
    if not subs:
        yield path, command
    for name, sub in subs.items():
        yield from _leaves(sub, f"{path} {name}".strip())


def _option(command: Any, flag: str) -> Any:
    return next((p for p in command.params if flag in p.opts), None)


def test_every_command_takes_the_output_format() -> None:
    leaves = dict(_leaves(TREE))
    assert len(leaves) > 30
    for path, command in leaves.items():
        if path in INTERACTIVE:
            assert _option(command, "-o") is None, f"{path} takes -o but prints no result"
            continue
        option = _option(command, "-o")
        assert option is not None, f"{path} has no -o"
        assert option.opts == ["-o", "--output"], path
        assert str(option.default) == "table", path
        assert option.display_type(None) == "<table|wide|json|yaml>", path


def test_files_are_named_with_output_file() -> None:
    leaves = dict(_leaves(TREE))
    for path in ("bill export", "policy report"):
        assert _option(leaves[path], "--output-file") is not None, path
    assert not [path for path, c in leaves.items() if _option(c, "--out")]


def test_long_lists_page() -> None:
    leaves = dict(_leaves(TREE))
    for path in LONG_LISTS:
        assert _option(leaves[path], "--limit") is not None, path
        assert _option(leaves[path], "--continue") is not None, path
