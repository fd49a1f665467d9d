"""The Chinese of govcloud's located problems, refusals and the framework's usage errors.

A known sentence is said in Chinese with its data (names, numbers, paths) kept as it is;
a sentence not known is left as it is rather than guessed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from controlplane.bills.errors import FinalizeRefused
from controlplane.cli.localize import (
    problem_text,
    problem_zh,
    refusal_text,
    translate_usage_error,
)
from controlplane.estate.schema import parse_estate
from tenants import Location, ManifestError, Problem, load_yaml_file

from .checks import has_cjk


def test_problems_keep_location_path_and_data() -> None:
    missing = Problem(Location("req.yaml", 4, 3), "spec.compute[0].flavor",
                      "required field is missing")  # fmt: skip
    assert problem_text(missing, "zh") == "req.yaml:4:3: spec.compute[0].flavor: 缺少必填字段"
    assert problem_text(missing, "en") == str(missing)
    port = Problem(Location("req.yaml", 9, 7), "spec.network.ingress[0].port",
                   "port 70000 is out of range", "a port 1-65535 or a range", "70000")  # fmt: skip
    assert problem_text(port, "zh") == (
        "req.yaml:9:7: spec.network.ingress[0].port: 端口 70000 超出范围"
        "（应为 a port 1-65535 or a range，实际为 70000）"
    )
    choice = Problem(None, "spec.dataClassification", "not an allowed value",
                     "one of 'general', 'important' or 'core'", "'secret'")  # fmt: skip
    assert "不是允许的值（应为 以下之一：'general'" in problem_text(choice, "zh")
    unknown = Problem(None, "spec", "something nobody translated")
    assert "something nobody translated" in problem_text(unknown, "zh")


def test_refusals_in_chinese() -> None:
    refused = FinalizeRefused("2026-03", ["it is already finalized"])
    assert refusal_text(refused, "zh") == "2026-03 无法定稿：已经定稿"
    assert refusal_text(refused, "en") == str(refused)
    # a service refusal that carries both languages as "english / 中文"
    bilingual = LookupError("no audit has run yet / 尚未运行过审计")
    assert refusal_text(bilingual, "zh") == "尚未运行过审计"
    assert refusal_text(bilingual, "en") == "no audit has run yet"


def test_usage_errors_in_chinese() -> None:
    assert translate_usage_error("Missing option '--month'.") == "缺少选项 '--month'。"
    assert translate_usage_error("No such command 'bogus'.") == "没有这个命令：'bogus'。"
    assert translate_usage_error(
        "Invalid value for '--limit': Value error, 'x' is not a number"
    ) == ("'--limit' 的值无效：'x' 不是数字")
    assert translate_usage_error("Something new.") == "Something new."


INVALID = Path(__file__).parents[1] / "controlplane" / "estates" / "invalid"


@pytest.mark.parametrize("path", sorted(INVALID.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_estate_problem_has_its_chinese(path: Path) -> None:
    """Each invalid estate of the corpus: every problem's sentence is said in Chinese
    (a new check without its translation fails here)."""
    with pytest.raises(ManifestError) as refused:
        parse_estate(load_yaml_file(str(path)), str(path))
    untranslated = [
        text
        for problem in refused.value.problems
        for text in (problem.message, problem.expected)
        if text is not None and not has_cjk(problem_zh(text) or "")
    ]
    assert untranslated == []
