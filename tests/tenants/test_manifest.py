"""Loading request manifests (``tenants.manifest.load_requests``).

Cases:
- text and ``pathlib.Path`` sources; ``name=`` names text input in locations;
- multi-document files: every request kept with its document, index and start line;
  stray ``---`` and a trailing ``...`` ignored;
- all problems of all documents reported at once, sorted by position;
- wrong ``apiVersion``/``kind`` reported alone for that document;
- duplicate ``metadata.name`` located at the second occurrence (the first names a line);
- empty file and comment-only file are errors; a syntax error anywhere refuses the file;
- follow-up checks by the control plane locate with ``parsed.document.problem``;
- spec hash equal for the same system written two different ways.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tenants.errors import Location, ManifestError
from tenants.manifest import load_requests

ONE = """\
apiVersion: govcloud.io/v1
kind: SystemRequest
metadata: {{name: {name}, tenant: hrss}}
spec:
  classifiedProtection: 2
  dataClassification: general
  compute:
    - {{name: web, flavor: {flavor}, image: ubuntu-22.04}}
"""


def _doc(name: str = "portal", flavor: str = "c2m4") -> str:
    return ONE.format(name=name, flavor=flavor)


def test_text_source_is_named() -> None:
    (parsed,) = load_requests(_doc(), name="<stdin>")
    assert parsed.name == "portal" and parsed.tenant == "hrss"
    assert parsed.document.file == "<stdin>"
    assert parsed.location == Location("<stdin>", 1, 1)
    assert parsed.index == 0
    with pytest.raises(ManifestError) as caught:
        load_requests("kind: 1\n")
    assert caught.value.problems[0].location is not None
    assert caught.value.problems[0].location.file == "<input>"


def test_path_source(tmp_path: Path) -> None:
    path = tmp_path / "req.yaml"
    path.write_text(_doc(), encoding="utf-8")
    (parsed,) = load_requests(path)
    assert parsed.document.file == str(path)


def test_multi_document_file_keeps_each_document() -> None:
    text = "---\n" + _doc("a") + "---\n---\n" + _doc("b") + "...\n"
    first, second = load_requests(text)
    assert (first.name, second.name) == ("a", "b")
    assert (first.index, second.index) == (0, 2)
    assert (first.location.line, second.location.line) == (2, 12)
    assert second.document.locate(("spec", "compute", 0, "flavor")).line == 19


def test_all_documents_problems_at_once() -> None:
    bad_first = _doc("a").replace("classifiedProtection: 2", "classifiedProtection: 9")
    bad_second = _doc("b").replace("general", "top-secret").replace("flavor:", "flavour:")
    with pytest.raises(ManifestError) as caught:
        load_requests(bad_first + "---\n" + bad_second, name="m.yaml")
    assert [(p.location.line if p.location else 0, p.path) for p in caught.value.problems] == [
        (5, "spec.classifiedProtection"),
        (15, "spec.dataClassification"),
        (17, "spec.compute[0].flavor"),
        (17, "spec.compute[0].flavour"),
    ]


def test_wrong_kind_is_reported_alone() -> None:
    estate = (
        "apiVersion: govcloud.io/v1\nkind: Estate\nmetadata: {name: x}\nspec: {providers: []}\n"
    )
    with pytest.raises(ManifestError) as caught:
        load_requests(estate, name="e.yaml")
    (problem,) = caught.value.problems
    assert (problem.path, problem.location) == ("kind", Location("e.yaml", 2, 7))
    assert problem.found == "'Estate'"


def test_duplicate_name_is_located_at_the_second() -> None:
    with pytest.raises(ManifestError) as caught:
        load_requests(
            _doc("same") + "---\n" + _doc("other") + "---\n" + _doc("same"), name="d.yaml"
        )
    (problem,) = caught.value.problems
    assert (problem.path, problem.location) == ("metadata.name", Location("d.yaml", 21, 18))
    assert "line 3" in (problem.expected or "")


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing\n", "---\n...\n"])
def test_empty_input_is_an_error(text: str) -> None:
    with pytest.raises(ManifestError) as caught:
        load_requests(text, name="empty.yaml")
    (problem,) = caught.value.problems
    assert problem.location == Location("empty.yaml", 1, 1)
    assert "no SystemRequest" in problem.message


def test_syntax_error_refuses_the_whole_file() -> None:
    with pytest.raises(ManifestError) as caught:
        load_requests(_doc("a") + "---\n" + "spec: [\n", name="s.yaml")
    (problem,) = caught.value.problems
    assert problem.message.startswith("YAML syntax error")


def test_follow_up_checks_are_located_by_the_document() -> None:
    (parsed,) = load_requests(_doc(flavor="c99m999"), name="f.yaml")
    problem = parsed.document.problem(
        ("spec", "compute", 0, "flavor"),
        "unknown flavour",
        expected="a catalogue flavour",
        found="'c99m999'",
    )
    assert str(problem) == (
        "f.yaml:8:27: spec.compute[0].flavor: unknown flavour "
        "(expected a catalogue flavour, found 'c99m999')"
    )
    tenant = parsed.document.problem(("metadata", "tenant"), "unknown tenant", key=True)
    assert tenant.location == Location("f.yaml", 3, 26)


def test_same_system_written_differently_has_the_same_hash() -> None:
    block = """\
# the same request, block style, keys reordered, defaults spelled out
kind: SystemRequest
apiVersion: "govcloud.io/v1"
metadata:
  tenant: hrss
  name: portal
spec:
  dataClassification: general
  classifiedProtection: 2
  xinchuang: false
  compute:
    - image: ubuntu-22.04
      flavor: c2m4
      name: web
      count: 1
  logging:
    retentionDays: 180
"""
    (flow,) = load_requests(_doc())
    (reordered,) = load_requests(block)
    assert flow.spec_hash() == reordered.spec_hash()
    (changed,) = load_requests(block.replace("count: 1", "count: 2"))
    assert changed.spec_hash() != flow.spec_hash()
