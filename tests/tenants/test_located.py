"""The located-YAML core: ``tenants.located``, ``tenants.validation``, ``tenants.errors``.

Cases:
- positions of keys and values (block, flow, nested, list items), 1-based;
- ``locate`` falls back to the nearest located ancestor; merged keys use the ancestor;
- every document of a stream gets its own start; empty documents load as ``None``;
- YAML floats load as exact ``Decimal``; ints, bools, dates stay themselves; ``!!str``
  gives a string; application tags are refused where they are written;
- duplicate keys, tabs, unclosed flow collections, control characters: located syntax
  errors; non-UTF-8 files: located at the first bad byte; unreadable files: a problem;
- ``parse_model``: unknown fields located at the key, missing fields at the parent's
  key, wrong types and bounds at the value with expected/found; ``schema_error`` points
  below the validated field; all errors of a document come at once, sorted;
- ``Problem``/``ManifestError`` rendering and ``format_path``;
- a plain text repeated in a reading (keys, values, across documents) is one string,
  and resolves once (one ``8080``); the same text quoted stays text.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import AfterValidator, Field

from tenants.errors import Location, ManifestError, Problem, format_path
from tenants.located import load_yaml_documents, load_yaml_file
from tenants.validation import StrictModel, parse_model, schema_error

TEXT = """\
top: 1
nested:
  inner: two
  items:
    - a
    - {k: v, n: 3}
flow: {x: 1.50, y: [1, 2]}
"""


def test_positions_of_keys_and_values() -> None:
    (doc,) = load_yaml_documents(TEXT, "t.yaml")
    assert doc.locate(("top",), key=True) == Location("t.yaml", 1, 1)
    assert doc.locate(("top",)) == Location("t.yaml", 1, 6)
    assert doc.locate(("nested", "inner")) == Location("t.yaml", 3, 10)
    assert doc.locate(("nested", "items", 0)) == Location("t.yaml", 5, 7)
    assert doc.locate(("nested", "items", 1, "n"), key=True) == Location("t.yaml", 6, 14)
    assert doc.locate(("flow", "y", 1)) == Location("t.yaml", 7, 24)


def test_locate_falls_back_to_the_nearest_ancestor() -> None:
    (doc,) = load_yaml_documents(TEXT, "t.yaml")
    assert doc.locate(("nested", "missing", "deeper")) == doc.locate(("nested",))
    assert doc.locate(("nope",)) == doc.start == Location("t.yaml", 1, 1)
    # a list item has no key; its key position is the item itself
    assert doc.locate(("nested", "items", 1), key=True) == Location("t.yaml", 6, 7)


def test_merged_keys_are_located_at_their_mapping() -> None:
    (doc,) = load_yaml_documents("base: &b {p: 1}\nuse:\n  <<: *b\n  q: 2\n", "m.yaml")
    assert doc.data["use"] == {"p": 1, "q": 2}
    assert doc.locate(("use", "q"), key=True) == Location("m.yaml", 4, 3)
    assert doc.locate(("use", "p")) == doc.locate(("use",))


def test_documents_of_a_stream_have_their_own_start() -> None:
    docs = load_yaml_documents("a: 1\n---\n---\n# c\nb: 2\n", "s.yaml")
    assert [d.data for d in docs] == [{"a": 1}, None, {"b": 2}]
    assert [d.start.line for d in docs] == [1, 3, 5]
    assert docs[2].locate(("b",), key=True) == Location("s.yaml", 5, 1)


def test_empty_text_has_no_documents() -> None:
    assert load_yaml_documents("", "e.yaml") == []
    assert load_yaml_documents("# only a comment\n", "e.yaml") == []


def test_scalars_keep_their_types_and_floats_are_exact() -> None:
    text = "f: 0.1\ng: 1e3\ni: 7\nb: true\nd: 2026-01-01\ns: !!str 5\nyes_is: yes\n"
    (doc,) = load_yaml_documents(text, "s.yaml")
    data = doc.data
    assert data["f"] == Decimal("0.1") and isinstance(data["f"], Decimal)
    assert data["g"] == Decimal(1000)
    assert data["i"] == 7 and type(data["i"]) is int
    assert data["b"] is True
    assert data["d"] == date(2026, 1, 1)
    assert data["s"] == "5" and type(data["s"]) is str
    assert data["yes_is"] == "yes"  # YAML 1.2: not a boolean


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key"),
        ("a:\n\tb: 1\n", 2, 1, "'\\t'"),
        ("a: [1, 2\n", 2, 1, "flow sequence"),
        ("a: 1\nb: x\x07y\n", 2, 5, "U+0007"),
        ("a: 'open\n", 2, 1, "quoted scalar"),
    ],
    ids=["duplicate-key", "tab", "unclosed-flow", "control-character", "unclosed-quote"],
)
def test_syntax_errors_are_located(text: str, line: int, col: int, words: str) -> None:
    with pytest.raises(ManifestError) as caught:
        load_yaml_documents(text, "bad.yaml")
    (problem,) = caught.value.problems
    assert problem.location == Location("bad.yaml", line, col)
    assert problem.message.startswith("YAML syntax error")
    assert words in problem.message


def test_application_tags_are_refused_where_written() -> None:
    with pytest.raises(ManifestError) as caught:
        load_yaml_documents("a:\n  b: !secret xyz\n", "t.yaml")
    (problem,) = caught.value.problems
    assert (problem.location, problem.path) == (Location("t.yaml", 2, 6), "a.b")
    assert "!secret" in problem.message
    with pytest.raises(ManifestError):
        load_yaml_documents("a: !thing {b: 1}\n", "t.yaml")


def test_non_utf8_file_is_located_at_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes(b"a: 1\nname: x  # " + "社保".encode("gbk") + b"\n")
    with pytest.raises(ManifestError) as caught:
        load_yaml_file(str(path))
    (problem,) = caught.value.problems
    assert problem.location == Location(str(path), 2, 12)
    assert problem.expected == "UTF-8"
    assert problem.found == "byte 0xc9"


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        load_yaml_file(str(tmp_path / "absent.yaml"))
    assert "cannot read" in caught.value.problems[0].message


def test_file_loading_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("x: 1\n", encoding="utf-8")
    (doc,) = load_yaml_file(str(path))
    assert doc.file == str(path) and doc.data == {"x": 1}


# --- validation ----------------------------------------------------------------------


class Leaf(StrictModel):
    size_gib: Annotated[int, Field(ge=1, alias="sizeGiB")]
    kind: str = "ssd"


def _no_duplicates(items: list[Leaf]) -> list[Leaf]:
    kinds = [item.kind for item in items]
    for index, kind in enumerate(kinds):
        if kind in kinds[:index]:
            raise schema_error("duplicate kind", expected="unique kinds", at=(index, "kind"))
    return items


class Root(StrictModel):
    retention_days: int
    leaves: Annotated[list[Leaf], AfterValidator(_no_duplicates)] = Field(default_factory=list)


def _problems(text: str) -> list[Problem]:
    (doc,) = load_yaml_documents(text, "v.yaml")
    with pytest.raises(ManifestError) as caught:
        parse_model(Root, doc)
    return list(caught.value.problems)


def test_valid_document_parses_with_camel_case_aliases() -> None:
    (doc,) = load_yaml_documents("retentionDays: 3\nleaves: [{sizeGiB: 2}]\n", "v.yaml")
    root = parse_model(Root, doc)
    assert root.retention_days == 3 and root.leaves[0].size_gib == 2


def test_unknown_field_is_located_at_its_key() -> None:
    (problem,) = _problems("retentionDays: 3\nleaves:\n  - {sizeGiB: 2, colour: red}\n")
    assert (problem.location, problem.path) == (
        Location("v.yaml", 3, 18),
        "leaves[0].colour",
    )
    assert "unknown field" in problem.message


def test_missing_field_is_located_at_the_parent_key() -> None:
    problems = _problems("retentionDays: 3\nleaves:\n  - kind: hdd\n")
    (problem,) = problems
    assert (problem.location, problem.path) == (Location("v.yaml", 3, 5), "leaves[0].sizeGiB")
    (root_problem,) = _problems("# lead\nleaves: []\n")
    assert root_problem.location == Location("v.yaml", 2, 1)
    assert root_problem.path == "retentionDays"


def test_wrong_values_say_expected_and_found() -> None:
    problems = _problems("retentionDays: many\nleaves: [{sizeGiB: 0}]\n")
    assert [(p.path, p.location, p.message, p.expected, p.found) for p in problems] == [
        ("retentionDays", Location("v.yaml", 1, 16), "wrong type", "an integer", "'many'"),
        ("leaves[0].sizeGiB", Location("v.yaml", 2, 20), "too small", "at least 1", "0"),
    ]


def test_schema_error_points_below_the_validated_field() -> None:
    text = "retentionDays: 1\nleaves:\n  - {sizeGiB: 1}\n  - {sizeGiB: 2, kind: ssd}\n"
    (problem,) = _problems(text)
    assert problem.path == "leaves[1].kind"
    assert problem.location == Location("v.yaml", 4, 24)
    assert (problem.message, problem.expected) == ("duplicate kind", "unique kinds")


def test_parse_model_at_a_sub_path() -> None:
    (doc,) = load_yaml_documents("outer:\n  retentionDays: x\n", "v.yaml")
    with pytest.raises(ManifestError) as caught:
        parse_model(Root, doc, ("outer",))
    assert caught.value.problems[0].path == "outer.retentionDays"


def test_problem_rendering_and_path_format() -> None:
    problem = Problem(
        Location("f.yaml", 7, 15), "spec.compute[0].count", "too small", "at least 1", "0"
    )
    assert (
        str(problem)
        == "f.yaml:7:15: spec.compute[0].count: too small (expected at least 1, found 0)"
    )
    assert str(Problem(None, "", "cannot read")) == "<input>: <document>: cannot read"
    assert format_path(("spec", "compute", 0, "count")) == "spec.compute[0].count"
    assert format_path(()) == ""


def test_manifest_error_sorts_its_problems_and_needs_one() -> None:
    late = Problem(Location("f", 9, 1), "b", "x")
    early = Problem(Location("f", 2, 4), "a", "y")
    error = ManifestError([late, early])
    assert error.problems == (early, late)
    assert str(error).splitlines() == [str(early), str(late)]
    with pytest.raises(ValueError, match="at least one"):
        ManifestError([])


def test_repeated_plain_texts_of_a_reading_are_one_string() -> None:
    first, second = load_yaml_documents("- {name: web}\n---\n- {name: web}\n", "t.yaml")
    (a,), (b,) = first.data, second.data
    ((key_a, value_a),), ((key_b, value_b),) = a.items(), b.items()
    assert key_a is key_b and value_a is value_b
    (again,) = load_yaml_documents("- {name: web}\n", "t.yaml")
    assert again.data == first.data


def test_plain_texts_resolve_once_and_quoted_ones_stay_text() -> None:
    text = "a: 8080\nb: 'null'\nc: '8080'\n---\na: 8080\nb: null\nc: 8080\n"
    first, second = load_yaml_documents(text, "t.yaml")
    assert first.data == {"a": 8080, "b": "null", "c": "8080"}
    assert second.data == {"a": 8080, "b": None, "c": 8080}
    assert first.data["a"] is second.data["a"] is second.data["c"]
