"""Chinese is complete: every command's help, every list/show output and the errors a
user meets, in ``--lang zh``, carry no English words but data and identifiers.

What may stay English is worked out, not listed by hand: for output, every value the
same command prints with ``-o json`` (data: names, codes, tiers, ids); for help, the
command and option names, their types and defaults, and the identifiers the approved
Chinese help itself uses. The negative cases show the walk fails when a translation is
missing (a help text, a heading).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from controlplane import i18n
from controlplane.cli import localize
from controlplane.cli.localize import HELP_ZH, help_texts
from controlplane.cli.main import app

from .checks import english_words, has_cjk
from .conftest import MONTH, Run


def _paths(command: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        yield from _paths(sub, (*prefix, name))


def _identifiers(command: Any) -> set[str]:
    """Names a user types: commands, options, choices, defaults, env vars."""
    names = {"govcloud", "OPTIONS", "COMMAND", "ARGS", "--help"}
    stack = [command]
    while stack:
        each = stack.pop()
        names.add(each.name or "")
        for param in each.params:
            names.update(param.opts + param.secondary_opts)
            names.update(str(getattr(param, "metavar", None) or "").split())
            names.update(str(getattr(param, "envvar", "") or "").split())
            names.update(str(param.default).split())
            names.update(param.display_type(None).strip("<>").replace("|", " ").split())
        stack.extend((getattr(each, "commands", None) or {}).values())
    return {w for name in names for w in english_words(name)}


_TREE = typer.main.get_command(app)
PATHS = list(_paths(_TREE))
_ALLOWED_IN_HELP = _identifiers(_TREE) | {
    w for text in HELP_ZH.values() for w in english_words(text)
}


def _help_problems(run: Run, path: tuple[str, ...]) -> list[str]:
    printed = run(*path, "--help", lang="zh")
    assert printed.code == 0, printed.err
    text = printed.out
    # the help panels wrap at spaces only: a Chinese text too long for its column is cut
    cut = [line for line in text.splitlines() if "…" in line]
    # type hints such as <str>, <path>, <csv|xlsx|pdf|json> are identifiers (a long
    # one may be folded over two lines of its panel)
    text = re.sub(r"<[^\s>]*>?|[^\s<│]*>", "", text)
    return cut + english_words(text, _ALLOWED_IN_HELP)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "govcloud")
def test_every_help_is_chinese(run: Run, path: tuple[str, ...]) -> None:
    assert _help_problems(run, path) == []


def test_every_help_text_has_its_chinese() -> None:
    missing = [text for _, text in help_texts(_TREE) if text not in HELP_ZH]
    assert missing == []


def test_walk_fails_when_a_help_text_is_untranslated(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    english = "Providers, optionally of one tier."
    monkeypatch.setattr(localize, "HELP_ZH", {k: v for k, v in HELP_ZH.items() if k != english})
    assert "Providers" in _help_problems(run, ("provider", "list"))


def _data_words(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {w for v in value.values() for w in _data_words(v)}
    if isinstance(value, list):
        return {w for v in value for w in _data_words(v)}
    return set(english_words(str(value))) if value is not None else set()


OUTPUTS: list[list[str]] = [
    ["provider", "list"],
    ["tenant", "list"],
    ["estate", "show"],
    ["request", "list"],
    ["get", "resources", "--limit", "40"],
    ["get", "drift"],
    ["policy", "list"],
    ["policy", "violations"],
    ["policy", "waiver", "list"],
    ["bill", "show", "--month", MONTH],
    ["bill", "show", "--month", MONTH, "--tenant", "police"],
    ["meter", "gaps", "--month", MONTH],
    ["meter", "gaps"],
    ["bill", "run", "--month", MONTH],
    ["provider", "sync", "--all"],
    ["audit", "verify"],
]


def _output_problems(run: Run, argv: list[str]) -> list[str]:
    data = _data_words(run.json(*argv))
    printed = run(*argv, lang="zh")
    assert printed.code == 0, printed.err
    assert has_cjk(printed.out)
    # a continue token is an identifier to paste back
    text = re.sub(r"--continue \S+", "", printed.out + printed.err)
    return english_words(text, data | set(argv))


@pytest.mark.parametrize("argv", OUTPUTS, ids=lambda a: " ".join(a[:3]))
def test_every_output_is_chinese(run: Run, argv: list[str]) -> None:
    assert _output_problems(run, argv) == []


def test_show_outputs_are_chinese(run: Run) -> None:
    provider = run.json("provider", "list")[0]["name"]
    request = str(run.json("request", "list")[0]["id"])
    for argv in (["provider", "show", provider], ["tenant", "show", "police"],
                 ["request", "show", request]):  # fmt: skip
        assert _output_problems(run, argv) == [], argv


def test_walk_fails_when_a_heading_is_untranslated(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = dict(i18n._WORDS)
    words["serves"] = ("serves", "serves")
    monkeypatch.setattr(i18n, "_WORDS", words)
    assert "serves" in _output_problems(run, ["provider", "list"])


def test_errors_are_chinese(run: Run, tmp_path: Path) -> None:
    missing = run("tenant", "show", "nobody", lang="zh")
    assert missing.code == 1 and "错误" in missing.err and "未找到" in missing.err
    assert english_words(missing.err, {"nobody"}) == []

    unknown = run("request", "show", "9999", lang="zh")
    assert unknown.code == 1 and "申请 #9999 不存在" in unknown.err

    refused = run("bill", "finalize", "--month", "2099-01", lang="zh")
    assert refused.code == 1 and "2099-01 无法定稿：该月尚未结束" in refused.err
    assert "还没有结算单" in refused.err and "cannot be finalized" not in refused.err

    bad_month = run("bill", "show", "--month", "2026-13", lang="zh")
    assert bad_month.code == 2 and "的值无效" in bad_month.err

    manifest = tmp_path / "bad.yaml"
    manifest.write_text(
        "apiVersion: govcloud.io/v1\nkind: SystemRequest\n"
        "metadata: {name: web, tenant: police}\nspec: {dataClassification: general}\n"
    )
    invalid = run("plan", "-f", str(manifest), lang="zh")
    assert invalid.code == 2
    assert "缺少必填字段" in invalid.err and "required field" not in invalid.err
    located = [line for line in invalid.err.splitlines() if "bad.yaml:" in line]
    assert located and all(
        english_words(line.split(": ", 2)[-1], {"spec", "classifiedProtection"}) == []
        for line in located
    ), invalid.err


def test_usage_error_names_are_kept_and_sentences_translated(run: Run) -> None:
    printed = run("provider", "list", "-o", "xml", lang="zh")
    assert printed.code == 2
    assert "'xml' 不在可选值" in printed.err and "is not one of" not in printed.err
    assert "用法：" in printed.err
