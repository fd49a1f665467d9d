"""What the docs must mention, enumerated from the code, and what they leave out.

The command tree is walked from the real click command that ``govcloud`` runs, and the
estate / ``SystemRequest`` fields from their pydantic models, so a command, option or
field added anywhere shows up here without anyone remembering to list it.

Conventions the docs follow (and the checks read):

- ``docs/cli.md`` has a Markdown heading per command path, e.g. ``### govcloud bill run``
  (the root is ``## govcloud``); each option's long name (its short name when it has no
  long one) appears in the text between that heading and the next command heading.
- ``docs/estate.md`` and ``docs/request.md`` name every field by its YAML path in
  backticks: ``spec.providers[].capacity.memoryGiB``; a list item is ``[]``, a key the
  user chooses (a rule id) is ``<key>``.

The checks also run the other way: a command heading, an option row of cli.md or a
field row (first table cell) of estate.md / request.md that the code no longer has is
reported as stale, so renaming an option or a field fails until the docs follow.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

__all__ = [
    "CommandDoc",
    "DocProblem",
    "command_docs",
    "draft_section",
    "missing_commands",
    "missing_fields",
    "model_field_paths",
    "stale_commands",
    "stale_fields",
]


@dataclass(frozen=True)
class CommandDoc:
    """One command path (``govcloud bill run``) and the option names it must document."""

    path: str
    options: tuple[str, ...]
    spellings: frozenset[str] = frozenset()  # every option name, short ones included


@dataclass(frozen=True)
class DocProblem:
    """A doc out of step with the code (something missing, or gone), and how to fix it."""

    doc: str
    name: str
    how: str

    def __str__(self) -> str:
        return f"{self.doc}: {self.how}"


class Param(Protocol):
    """The part of a click parameter read here (typer vendors its own click)."""

    param_type_name: str
    opts: list[str]
    secondary_opts: list[str]
    hidden: bool


class Command(Protocol):
    """The part of a click command read here; a group also has ``commands``."""

    params: list[Any]
    hidden: bool


def _option_name(param: Param) -> str | None:
    if param.param_type_name != "option" or param.hidden:
        return None
    names = [*param.opts, *param.secondary_opts]
    long = [n for n in names if n.startswith("--")]
    return long[0] if long else names[0]


def command_docs(command: Command, prefix: str = "govcloud") -> list[CommandDoc]:
    """Every command path under ``command`` (itself included), with its options."""
    options = tuple(
        name for param in command.params if (name := _option_name(param)) and name != "--help"
    )
    spellings = frozenset(
        name
        for param in command.params
        if param.param_type_name == "option"
        for name in (*param.opts, *param.secondary_opts)
    )
    found = [CommandDoc(prefix, options, spellings)]
    subcommands: Mapping[str, Command] = getattr(command, "commands", {})
    for name, sub in sorted(subcommands.items()):
        if not sub.hidden:
            found.extend(command_docs(sub, f"{prefix} {name}"))
    return found


_HEADING = re.compile(r"^#{1,6}\s+`?(govcloud(?: [a-z0-9][a-z0-9-]*)*)`?\s*$", re.MULTILINE)


def _sections(text: str) -> dict[str, str]:
    """The text under each ``# govcloud …`` heading, up to the next such heading."""
    marks = list(_HEADING.finditer(text))
    return {
        mark.group(1): text[mark.end() : marks[i + 1].start() if i + 1 < len(marks) else None]
        for i, mark in enumerate(marks)
    }


def missing_commands(root: Command, text: str, doc: str = "docs/cli.md") -> list[DocProblem]:
    """Command paths without a heading in ``text``, and options their section leaves out."""
    sections = _sections(text)
    missing: list[DocProblem] = []
    for command in command_docs(root):
        section = sections.get(command.path)
        if section is None:
            how = (
                f"add a heading `### {command.path}` with the command's options "
                f"(a draft: .venv/bin/python -m tests.docs.coverage '{command.path}')"
            )
            missing.append(DocProblem(doc, command.path, how))
            continue
        for option in command.options:
            if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", section):
                how = f"describe {option} under the heading of `{command.path}`"
                missing.append(DocProblem(doc, f"{command.path} {option}", how))
    return missing


def stale_commands(root: Command, text: str, doc: str = "docs/cli.md") -> list[DocProblem]:
    """Headings for commands that no longer exist, and option rows for options gone."""
    commands = {c.path: c for c in command_docs(root)}
    stale: list[DocProblem] = []
    for path, section in _sections(text).items():
        command = commands.get(path)
        if command is None:
            stale.append(DocProblem(doc, path, f"remove the heading `{path}`: no such command"))
            continue
        for row in re.findall(r"^\|([^|\n]*)\|", section, flags=re.MULTILINE):
            for name in re.findall(r"`(-[^`]+)`", row):
                if name not in command.spellings:
                    how = f"remove {name} from `{path}`: the command has no such option"
                    stale.append(DocProblem(doc, f"{path} {name}", how))
    return stale


def _find(root: Command, path: str) -> Command:
    command = root
    for word in path.split()[1:]:
        command = getattr(command, "commands", {})[word]
    return command


def draft_section(root: Command, path: str) -> str:
    """A docs/cli.md section for ``path`` from the code, to paste and complete by hand."""
    command = _find(root, path)
    help_text = str(getattr(command, "help", None) or "").strip().split("\n\n")[0]
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    usage = " ".join([path, "[OPTIONS]", *(str(p.name).upper() for p in arguments)])
    lines = [f"{'#' * min(2 + len(path.split()) - 1, 4)} {path}", "", " ".join(help_text.split())]
    subcommands = sorted(getattr(command, "commands", {}))
    if subcommands:
        lines += ["", "Sub-commands: " + ", ".join(f"`{n}`" for n in subcommands)]
    else:
        lines += ["", "```", usage, "```"]
    rows = [p for p in command.params if _option_name(p) not in (None, "--help")]
    if rows:
        lines += ["", "| option | value | meaning | default |", "|---|---|---|---|"]
    for param in rows:
        names = ", ".join(f"`{n}`" for n in (*param.opts, *param.secondary_opts))
        value = "flag" if getattr(param, "is_flag", False) else "VALUE"
        default = getattr(param, "default", None)
        shown = (
            "required"
            if param.required
            else "—"
            if default in (None, False, ())
            else (f"default `{getattr(default, 'value', default)}`")
        )
        lines.append(f"| {names} | {value} | {param.help or ''} | {shown} |")
    return "\n".join(lines) + "\n"


def _unwrap(annotation: Any) -> Iterator[tuple[str, Any]]:
    """The models inside ``annotation``, each with the path suffix that reaches it."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _unwrap(typing.get_args(annotation)[0])
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _unwrap(arg)
    elif origin in (list, tuple, Sequence):
        yield from (("[]" + s, m) for s, m in _unwrap(typing.get_args(annotation)[0]))
    elif origin in (dict, Mapping):
        yield from ((".<key>" + s, m) for s, m in _unwrap(typing.get_args(annotation)[1]))
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield "", annotation


def model_field_paths(
    model: type[BaseModel],
    prefix: str = "",
    substitutes: Mapping[str, type[BaseModel]] | None = None,
) -> list[str]:
    """Every field's YAML path under ``model`` (aliases, camelCase), depth first.

    ``substitutes`` maps a path whose type is free-form in this model (``spec.policies``
    is a ``dict`` validated by another module) to the model that really validates it.
    """
    substitutes = substitutes or {}
    paths: list[str] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}.{info.alias or name}" if prefix else info.alias or name
        paths.append(path)
        if path in substitutes:
            paths.extend(model_field_paths(substitutes[path], path, substitutes))
            continue
        for suffix, inner in _unwrap(info.annotation):
            paths.extend(model_field_paths(inner, path + suffix, substitutes))
    return list(dict.fromkeys(paths))


def missing_fields(paths: Sequence[str], text: str, doc: str) -> list[DocProblem]:
    """Field paths that ``text`` does not name in backticks."""
    named = set(re.findall(r"`([^`\n]+)`", text))
    return [
        DocProblem(doc, path, f"add a table row for the field `{path}` (the path in backticks)")
        for path in paths
        if path not in named
    ]


def stale_fields(paths: Sequence[str], text: str, doc: str) -> list[DocProblem]:
    """Table rows whose first cell names a field the model no longer has.

    Only rows under the model's top-level names (``spec…``, ``metadata…``) count: other
    tables of the page (roles, meters) are not field tables.
    """
    known = set(paths)
    roots = {re.split(r"[.\[]", path)[0] for path in paths}
    rows = re.findall(r"^\| `([^`\n]+)` \|", text, flags=re.MULTILINE)
    return [
        DocProblem(doc, row, f"remove the row for `{row}`: no such field")
        for row in dict.fromkeys(rows)
        if re.split(r"[.\[]", row)[0] in roots and row not in known
    ]


def _main(paths: Sequence[str]) -> None:
    """Print drafts for ``paths``, or for every command docs/cli.md lacks."""
    from pathlib import Path

    import typer

    from controlplane.cli.main import app

    root = typer.main.get_command(app)
    if not paths:
        text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text("utf-8")
        paths = [m.name for m in missing_commands(root, text) if " -" not in m.name]
    for path in paths:
        print(draft_section(root, path))


if __name__ == "__main__":
    import sys

    _main(sys.argv[1:])
