"""Help and a mistyped word start fast: what ``govcloud --help``, ``govcloud bill --help``
and ``govcloud nosuch`` load, and that they still name every command.

Cases:
- :data:`~controlplane.cli.main.COMMAND_MODULES` names exactly the words each
  ``*_cmd`` module registers (and ``init``, main's own), so a known word never falls
  back to registering everything;
- a command's ``--help`` registers only its area's modules (and its group's
  sub-command modules), as running it would; the top-level ``--help`` (even before a
  command word), no arguments and an unknown word register every module;
- registering every module is cheap: in a fresh interpreter, the top-level help, an
  area's help and an unknown word load none of the heavy areas (bills and their
  exports, the report writers, the policy engine, ``tenants``, the app and the
  database layer, the demo, Textual, the API server) — in English and in Chinese;
- the top-level help still lists every command word with its one-line help, in the
  language asked for; an unknown word is still refused with exit code 2.
Timing is ``bench/cli.py``'s (a shared machine proves little here).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
import typer

import controlplane.cli
from controlplane.cli import main as cli_main
from controlplane.cli.localize import HELP_ZH

from .test_startup import HEAVY as LIST_HEAVY
from .test_startup import _loaded

#: Modules help and usage errors must not load (prefixes): what a list command must not
#: load, but the help renderer (``rich``) and the light modules option choices come
#: from (``policies.verdicts``), and the heavy areas the command modules used to import.
HEAVY = (
    *(m for m in LIST_HEAVY if m not in {"policies", "rich.console", "typer.rich_utils"}),
    "policies.engine",
    "policies.packs",
    "policies.registry",
    "policies.reports",
    "policies.rules",
    "controlplane.compliance.audit",
    "controlplane.compliance.waivers",
    "controlplane.auth",
    "controlplane.demo",
    "controlplane.api",
    "controlplane.scheduler",
    "bench",
    "tui",
    "textual",
    "fastapi",
    "uvicorn",
    "reportlab",
    "openpyxl",
)


def _run(tmp_path: Path, *argv: str) -> tuple[int, list[str], str]:
    return _loaded(tmp_path / "home", tmp_path, *argv)


def _words_of(module: str) -> set[str]:
    """The top-level command words ``controlplane.cli.<module>`` registers."""
    root = typer.Typer()
    importlib.import_module(f"controlplane.cli.{module}").register(root)
    commands = {
        c.name or (c.callback.__name__ if c.callback else "") for c in root.registered_commands
    }
    return commands | {g.name or "" for g in root.registered_groups}


def test_the_table_names_every_command_word_of_every_module() -> None:
    found = sorted(m.name for m in pkgutil.iter_modules(controlplane.cli.__path__))
    extra = {m for modules in cli_main.SUBCOMMAND_MODULES.values() for m in modules}
    table: dict[str, set[str]] = {}
    for word, modules in cli_main.COMMAND_MODULES.items():
        for module in modules or ("main",):
            table.setdefault(module, set()).add(word)
    own = {
        c.name
        for c in cli_main._app.registered_commands
        if c.callback is not None and c.callback.__module__ == cli_main.__name__
    }
    assert table.pop("main") == own
    assert set(table) | extra == {name for name in found if name.endswith("_cmd")}
    for module, words in table.items():
        assert _words_of(module) == words, module
    for module in extra:
        assert _words_of(module) == set(), module  # it joins a group, not the root


@pytest.mark.parametrize(
    ("argv", "modules"),
    [
        (["bill", "--help"], {"bill_cmd"}),
        (["--lang", "zh", "bill", "show", "--help"], {"bill_cmd"}),
        (["provider", "--help"], {"provider_cmd", "sync_cmd"}),
        (["provider", "list", "--help"], {"provider_cmd"}),
        (["provider", "sync", "--help"], {"provider_cmd", "sync_cmd"}),
        (["apply", "--help"], {"request_cmd"}),
        (["init", "--help"], set()),
    ],
)
def test_a_commands_help_registers_its_area_only(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], modules: set[str]
) -> None:
    registered: list[str] = []
    monkeypatch.setattr(cli_main, "_registered", set())
    monkeypatch.setattr(cli_main, "_register", registered.extend)
    cli_main.register_for(argv)
    assert set(registered) == modules


@pytest.mark.parametrize(
    "argv", [[], ["--help"], ["--help", "bill"], ["nosuch"], ["nosuch", "--help"]]
)
def test_top_level_help_and_unknown_words_register_everything(
    monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    registered: list[str] = []
    monkeypatch.setattr(cli_main, "_registered", set())
    monkeypatch.setattr(cli_main, "_register", registered.extend)
    cli_main.register_for(argv)
    every = {m for modules in cli_main.COMMAND_MODULES.values() for m in modules}
    assert every <= set(registered)


def _one_line(text: str) -> str:
    return " ".join(text.strip().split("\n\n")[0].split())


def _expected_rows(lang: str) -> dict[str, str]:
    """Each command word and its one-line help, as the top-level help shows it."""
    tree = typer.main.get_group(cli_main.app)
    rows = {}
    for word, command in tree.commands.items():
        text = command.help or ""
        rows[word] = _one_line(HELP_ZH.get(text, text) if lang == "zh" else text)
    return rows


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_top_level_help_loads_no_heavy_area_and_names_every_command(
    tmp_path: Path, lang: str
) -> None:
    code, modules, printed = _run(tmp_path, "--lang", lang, "--help")
    assert code == 0, printed
    assert [m for m in modules if m.startswith(HEAVY)] == []
    flat = " ".join(printed.replace("│", " ").split())
    rows = _expected_rows(lang)
    assert set(rows) >= set(cli_main.COMMAND_MODULES)
    for word, text in rows.items():
        assert text, word
        assert re.search(rf"(^| ){re.escape(word)} {re.escape(text)}", flat), (word, text)
    if lang == "zh":
        assert "命令" in printed and "Commands" not in printed


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    "argv",
    [["bill", "--help"], ["policy", "--help"], ["nosuch"], []],
    ids=["bill-help", "policy-help", "unknown-word", "missing-command"],
)
def test_help_and_unknown_words_load_no_heavy_area(
    tmp_path: Path, argv: list[str], lang: str
) -> None:
    code, modules, printed = _run(tmp_path, "--lang", lang, *argv)
    assert [m for m in modules if m.startswith(HEAVY)] == []
    zh = lang == "zh"
    if argv == ["nosuch"]:
        assert code == 2 and ("没有这个命令" if zh else "No such command") in printed
    elif argv == []:
        # (the framework's "Missing command." has no Chinese yet: the usage line has)
        assert code == 2 and ("用法" if zh else "Missing command") in printed
    else:
        assert code == 0 and ("用法" if zh else "Usage") in printed


def test_no_arguments_shows_the_help_of_every_command(tmp_path: Path) -> None:
    code, modules, printed = _run(tmp_path)
    assert code == 2
    assert [m for m in modules if m.startswith(HEAVY)] == []
    flat = " ".join(printed.replace("│", " ").split())
    for word, text in _expected_rows("en").items():
        assert f" {word} {text}" in flat, word
