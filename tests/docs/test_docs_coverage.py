"""The docs cover what the code has, and their examples and links are real.

Cases: every command path and option of the real ``govcloud`` command tree has its
section in docs/cli.md; every estate field (policies binding included) is named in
docs/estate.md and every SystemRequest field in docs/request.md; no doc names a
command, option or field the code no longer has; the checker reports exactly a command,
an option or a field added without docs, or gone from the code (its negative cases);
the YAML examples of estate.md and request.md validate, the estate example applies on
both databases and request.md's examples plan against it with the verdicts it states,
and the usage-import examples parse; the README and docs/ link only to files inside the repository.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import Field

from controlplane.cli.main import app as cli_app
from controlplane.cli.main import main
from controlplane.estate.schema import Estate, parse_estate
from controlplane.metering.importing import parse_import
from policies.overlays import PolicyBinding
from tenants import load_yaml_documents, parse_requests
from tenants.request import SystemRequest, SystemRequestSpec
from tests.docs.coverage import (
    DocProblem,
    command_docs,
    draft_section,
    missing_commands,
    missing_fields,
    model_field_paths,
    stale_commands,
    stale_fields,
)

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
ESTATE_SUBSTITUTES = {"spec.policies": PolicyBinding}


def _read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _report(problems: list[DocProblem]) -> str:
    return "the docs are out of step with the code; edit:\n" + "\n".join(f"  {p}" for p in problems)


def _yaml_blocks(text: str, kind: str) -> list[str]:
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    return [b for b in blocks if f"kind: {kind}" in b]


# --- coverage ------------------------------------------------------------------------


def test_every_command_and_option_is_in_cli_md() -> None:
    missing = missing_commands(typer.main.get_command(cli_app), _read("cli.md"))
    assert not missing, _report(missing)


def test_every_estate_field_is_in_estate_md() -> None:
    paths = model_field_paths(Estate, substitutes=ESTATE_SUBSTITUTES)
    missing = missing_fields(paths, _read("estate.md"), "docs/estate.md")
    assert not missing, _report(missing)


def test_every_request_field_is_in_request_md() -> None:
    missing = missing_fields(
        model_field_paths(SystemRequest), _read("request.md"), "docs/request.md"
    )
    assert not missing, _report(missing)


def test_the_docs_name_no_command_option_or_field_that_is_gone() -> None:
    stale = [
        *stale_commands(typer.main.get_command(cli_app), _read("cli.md")),
        *stale_fields(
            model_field_paths(Estate, substitutes=ESTATE_SUBSTITUTES),
            _read("estate.md"),
            "docs/estate.md",
        ),
        *stale_fields(model_field_paths(SystemRequest), _read("request.md"), "docs/request.md"),
    ]
    assert not stale, _report(stale)


def test_the_walk_finds_nested_commands_options_and_fields() -> None:
    commands = {c.path: c.options for c in command_docs(typer.main.get_command(cli_app))}
    assert "--as" in commands["govcloud"]
    assert "--reason" in commands["govcloud meter gap ack"]
    paths = model_field_paths(Estate, substitutes=ESTATE_SUBSTITUTES)
    assert "spec.providers[].slaDeductions[].below" in paths
    assert "spec.policies.overlays[].rules.<key>.params" in paths
    assert "spec.network.ingress[].from" in model_field_paths(SystemRequest)


# --- the checker fails when something is added without docs --------------------------


def _with_extra_command(name: str) -> Any:
    extra = typer.Typer(add_completion=False)

    @extra.command()
    def frobnicate(force: bool = typer.Option(False, "--force")) -> None:
        """A command nobody documented."""

    root = copy.copy(typer.main.get_command(cli_app))
    root.commands = {**root.commands, name: typer.main.get_command(extra)}  # type: ignore[attr-defined]
    return root


def test_a_command_added_without_docs_is_reported_by_name() -> None:
    missing = missing_commands(_with_extra_command("frobnicate"), _read("cli.md"))
    assert [str(m) for m in missing] == [
        "docs/cli.md: add a heading `### govcloud frobnicate` with the command's options "
        "(a draft: .venv/bin/python -m tests.docs.coverage 'govcloud frobnicate')"
    ]


def test_an_option_added_without_docs_is_reported_by_name() -> None:
    root = typer.main.get_command(cli_app)
    bill = root.commands["bill"]  # type: ignore[attr-defined]
    run = copy.copy(bill.commands["run"])
    option = copy.copy(next(p for p in run.params if "--month" in p.opts))
    option.opts, option.name = ["--frobnicate"], "frobnicate"
    run.params = [*run.params, option]
    patched_bill = copy.copy(bill)
    patched_bill.commands = {**bill.commands, "run": run}
    patched = copy.copy(root)
    patched.commands = {**root.commands, "bill": patched_bill}  # type: ignore[attr-defined]
    missing = missing_commands(patched, _read("cli.md"))
    assert [m.name for m in missing] == ["govcloud bill run --frobnicate"]
    assert str(missing[0]) == (
        "docs/cli.md: describe --frobnicate under the heading of `govcloud bill run`"
    )


def test_a_documented_command_passes_the_checker() -> None:
    text = _read("cli.md") + "\n### govcloud frobnicate\n\n`--force`: do it anyway.\n"
    assert missing_commands(_with_extra_command("frobnicate"), text) == []
    # the option must be in the command's own section, not anywhere in the file
    text = _read("cli.md") + "\n### govcloud frobnicate\n\nNo options.\n"
    assert [m.name for m in missing_commands(_with_extra_command("frobnicate"), text)] == [
        "govcloud frobnicate --force"
    ]


def test_the_draft_for_a_missing_command_satisfies_the_checker() -> None:
    root = _with_extra_command("frobnicate")
    draft = draft_section(root, "govcloud frobnicate")
    assert draft.startswith("### govcloud frobnicate\n\nA command nobody documented.")
    text = _read("cli.md") + "\n" + draft
    assert missing_commands(root, text) == []
    assert stale_commands(root, text) == []


def test_a_command_or_option_that_is_gone_is_reported_as_stale() -> None:
    root = typer.main.get_command(cli_app)
    without_demo = copy.copy(root)
    without_demo.commands = {  # type: ignore[attr-defined]
        name: c
        for name, c in root.commands.items()  # type: ignore[attr-defined]
        if name != "demo"
    }
    assert [str(p) for p in stale_commands(without_demo, _read("cli.md"))] == [
        "docs/cli.md: remove the heading `govcloud demo`: no such command"
    ]
    text = _read("cli.md").replace("| `--dry-run` |", "| `--dry-run`, `-n` |", 1)
    assert [p.name for p in stale_commands(root, text)] == ["govcloud estate apply -n"]


def test_a_field_that_is_gone_is_reported_as_stale() -> None:
    paths = [p for p in model_field_paths(SystemRequest) if p != "spec.backup.offsite"]
    assert [str(p) for p in stale_fields(paths, _read("request.md"), "docs/request.md")] == [
        "docs/request.md: remove the row for `spec.backup.offsite`: no such field"
    ]


def test_a_field_added_without_docs_is_reported_by_path() -> None:
    class ExtendedSpec(SystemRequestSpec):
        failover_region: str | None = Field(default=None)

    class ExtendedRequest(SystemRequest):
        spec: ExtendedSpec

    missing = missing_fields(
        model_field_paths(ExtendedRequest), _read("request.md"), "docs/request.md"
    )
    assert [str(m) for m in missing] == [
        "docs/request.md: add a table row for the field `spec.failoverRegion` (the path in backticks)"
    ]


# --- the examples are real -----------------------------------------------------------


def test_the_examples_apply_and_plan_as_the_docs_say(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (estate,) = _yaml_blocks(_read("estate.md"), "Estate")
    document = parse_estate(load_yaml_documents(estate, "estate.yaml"), "estate.yaml")
    assert len(document.estate.spec.principals) == 5
    (tmp_path / "estate.yaml").write_text(estate, encoding="utf-8")
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", database_url)
    home = ["--home", str(tmp_path / "home")]
    assert main([*home, "init"]) == 0
    assert main([*home, "estate", "apply", "-f", str(tmp_path / "estate.yaml")]) == 0
    codes = []
    for index, block in enumerate(_yaml_blocks(_read("request.md"), "SystemRequest")):
        request = tmp_path / f"request-{index}.yaml"
        request.write_text(block, encoding="utf-8")
        codes.append(main([*home, "plan", "-f", str(request), "-o", "json"]))
    assert codes == [1, 1, 0]  # denied, denied, admitted: what request.md says


def test_the_request_examples_validate() -> None:
    blocks = _yaml_blocks(_read("request.md"), "SystemRequest")
    assert len(blocks) == 3
    for block in blocks:
        (parsed,) = parse_requests(load_yaml_documents(block, "docs/request.md"), "docs/request.md")
        assert parsed.request.metadata.tenant in {"hrss", "city-a-edu", "water-dept"}


def test_the_usage_import_examples_parse() -> None:
    text = _read("usage-import.md")
    (csv_block,) = re.findall(r"```csv\n(.*?)```", text, flags=re.DOTALL)
    (json_block,) = re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)
    known = ({"tax-cloud"}, {"linjiang-justice"})
    parsed_csv = parse_import("usage.csv", *known, text=csv_block)
    parsed_json = parse_import("usage.json", *known, text=json_block)
    assert (parsed_csv.problems, len(parsed_csv.records)) == ((), 3)
    assert (parsed_json.problems, len(parsed_json.records), len(parsed_json.windows)) == ((), 1, 1)


# --- links stay inside the repository ------------------------------------------------


@pytest.mark.parametrize(
    "page", ["README.md", *(f"docs/{p.name}" for p in sorted(DOCS.glob("*.md")))]
)
def test_links_point_inside_the_repository(page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        assert not re.match(r"[a-z]+:", target), f"{page}: external link {target}"
        path = (ROOT / page).parent / target.split("#")[0]
        assert path.resolve().is_relative_to(ROOT), f"{page}: {target} leaves the repository"
        assert path.exists(), f"{page}: {target} does not exist"
        if "#" in target:
            anchor = target.split("#", 1)[1]
            assert anchor in _anchors(path.read_text(encoding="utf-8")), (
                f"{page}: {target}: no heading with that anchor"
            )


def _anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", text, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
