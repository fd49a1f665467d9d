"""Hostile YAML is refused located, quickly and in bounded memory; libyaml and the
pure-Python parser agree.

Cases (each reproducer of the reliability issue that concerns YAML):
- 1,000-deep and 100,000-deep flow nesting and 500-deep block nesting: the depth limit,
  located, within a second;
- ``!!int abc``, ``!!float x``, ``!!bool maybe``, ``2026-02-30``, ``T25:00:00Z``, a date
  past year 9999: located errors naming the value; tagged values that are right load;
- ``m: &m {<<: *m}`` and other self-references: located, never an AttributeError;
- integers beyond 64 bits (and 5,000-digit ones): located at parse;
- control characters written as escapes (NUL, ESC): located;
- billion laughs: refused at the first alias past the limit (aliases are shared, not
  copied) — in a subprocess, within 1 s and 200 MB peak RSS; a 50 MB manifest likewise;
- a 5 MB comment loads within a second; 30,000 documents are refused before parsing;
  1,000 documents load; 10,000 compute groups and ``count: 2147483648`` are refused
  located by the request schema;
- the limits can be raised from the environment, and a bad setting is refused;
- libyaml (C) and the pure-Python path give identical data, positions and errors for
  every YAML file of the repository and for mutated versions of the manifest corpus.
"""

from __future__ import annotations

import io
import json
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bench.mutate import YAML_MUTATORS
from tenants import load_requests
from tenants.errors import ManifestError
from tenants.limits import InputLimits, LimitSettingError
from tenants.located import C_PARSER, LocatedDocument, load_yaml_documents, read_text

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
REQUEST = (ROOT / "tests/tenants/manifests/valid/design-example.yaml").read_text()
LAUGHS = "\n".join(
    ['l0: &l0 "lol"'] + [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]" for n in range(1, 10)]
)


def within(seconds: float, work: Callable[[], T]) -> T:
    """``work()``'s result, asserting it takes under ``seconds`` of this process's CPU —
    the best of three tries; CPU time, not wall, since a shared machine's load is not the
    input's cost."""
    best, result = float("inf"), None
    for _ in range(3):
        began = time.process_time()
        result = work()
        best = min(best, time.process_time() - began)
        if best < seconds:
            break
    assert best < seconds, f"took {best:.2f} s"
    return cast(T, result)


def within_a_second(work: Callable[[], T]) -> T:
    return within(1, work)


def refusal(text: str, **limits: int) -> str:
    with pytest.raises(ManifestError) as caught:
        load_yaml_documents(text, "f.yaml", limits=InputLimits(**limits))
    (problem,) = caught.value.problems
    assert problem.location is not None and problem.location.file == "f.yaml"
    return str(problem)


@pytest.mark.parametrize(
    "text",
    ["x: " + "[" * 1000 + "]" * 1000, "x: " + "[" * 100_000 + "]" * 100_000,
     "x: " + "{a: " * 70 + "}" * 70, "x:\n" + "".join(" " * i + "- \n" for i in range(500))],
    ids=["flow-1000", "flow-100000", "flow-mappings-70", "block-500"],
)  # fmt: skip
def test_deep_nesting_is_refused_at_the_depth_limit(text: str) -> None:
    message = within_a_second(lambda: refusal(text))
    assert "the nesting of mappings and lists exceeds the limit of 64" in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: !!int abc", "1:4: a: not an integer (tag !!int)"),
        ("a: !!float x", "1:4: a: not a number (tag !!float)"),
        ("a: !!bool maybe", "1:4: a: not a boolean (tag !!bool)"),
        ("a: !!int 1.5", "not an integer"),
        ("a: 2026-02-30", "1:4: a: not a valid date or time: day is out of range for month"),
        ("a: 2026-01-01T25:00:00Z", "not a valid date or time: hour must be in 0..23"),
        ("a: 9999-12-31T23:59:59.9999999-01:00", "not a valid date or time"),
        ("a: !!timestamp 2026-13-01", "not a valid date or time"),
        ("a: !!binary aGk=", "unsupported YAML tag tag:yaml.org,2002:binary"),
        ("a: !!set {x}", "unsupported YAML tag tag:yaml.org,2002:set"),
    ],
)
def test_every_scalar_is_checked_by_its_type(text: str, words: str) -> None:
    assert words in refusal(text)


def test_tagged_values_that_are_right_load() -> None:
    (doc,) = load_yaml_documents(
        "a: !!int 0x1F\nb: !!float 2\nc: !!bool yes\nd: !!str 5\ne: !!null x\nf: yes\ng: 010",
        "f.yaml",
    )
    assert doc.data == {"a": 31, "b": 2, "c": True, "d": "5", "e": None, "f": "yes", "g": 10}


@pytest.mark.parametrize(
    "text", ["m: &m\n  <<: *m\n", "m: &m {a: *m}", "m: &m [*m]", "m: &m {<<: [*m]}"]
)
def test_self_reference_is_refused_located(text: str) -> None:
    assert "refers to a collection that contains it" in refusal(text)


def test_merge_keys_share_and_locate() -> None:
    text = "base: &b {cpu: {n: 1}, mem: 2}\nm:\n  <<: *b\n  mem: 3\n"
    (doc,) = load_yaml_documents(text, "f.yaml")
    assert doc.data["m"] == {"cpu": {"n": 1}, "mem": 3}
    assert doc.data["m"]["cpu"] is doc.data["base"]["cpu"]  # shared, not copied
    assert str(doc.locate(("m", "cpu", "n"))) == "f.yaml:1:20"  # where it is written
    assert str(doc.locate(("m", "cpu"))) == "f.yaml:3:3"  # merged keys: the mapping's merge


@pytest.mark.parametrize(
    "value", ["9223372036854775808", "-9223372036854775809", "0x1" + "0" * 16, "9" * 5000]
)
def test_integers_beyond_64_bits_are_refused_at_parse(value: str) -> None:
    assert "1:4: a: integer out of range" in refusal(f"a: {value}")
    (doc,) = load_yaml_documents("a: 9223372036854775807\nb: -9223372036854775808", "f")
    assert doc.data == {"a": 2**63 - 1, "b": -(2**63)}


@pytest.mark.parametrize(("escape", "code"), [("\\0", "0000"), ("\\e", "001B"), ("\\x85", "0085")])
def test_control_characters_in_values_are_refused(escape: str, code: str) -> None:
    assert f"1:9: region: control character U+{code}" in refusal(f'region: "a{escape}b"')


def test_billion_laughs_is_refused_at_the_alias_limit() -> None:
    message = within_a_second(lambda: refusal(LAUGHS + "\nuse: *l9\n"))
    assert "the expansion of aliases exceeds the limit of 100,000" in message
    (doc,) = load_yaml_documents(LAUGHS.replace("&l9", "&l9x").split("\nl5")[0], "f")
    assert doc.data["l4"][0] is doc.data["l4"][1]  # small expansions load, shared


def test_scalar_and_node_limits() -> None:
    assert "a value of 70,000 characters exceeds the limit of 65,536" in refusal(
        "a: " + "x" * 70_000
    )
    assert "the number of YAML nodes exceeds the limit of 10" in refusal(
        "a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", nodes=10
    )


def test_document_limits() -> None:
    message = within_a_second(lambda: refusal("---\na: 1\n" * 40_000, documents=30_000))
    # counted from the markers before parsing: the 30,001st starts line 60,001
    assert (
        "60001:1: <document>: the number of YAML documents exceeds the limit of 30,000" in message
    )
    many = "".join(
        "---\n" + REQUEST.replace("social-security-portal", f"system-{i}") for i in range(1000)
    )
    began = time.process_time()
    assert len(load_requests(many)) == 1000
    assert time.process_time() - began < 20  # CPU s; it was over 20 (10x less today)


def _stream_near_the_limits() -> str:
    """The fuzzing run's slow shape: the design example repeated to just under the size
    limit (13,000 documents, every one after the first a duplicate name) and cut off in
    the middle of its last document."""
    piece = "---\n" + REQUEST
    return (piece * (16_000_000 // len(piece) + 1))[: 16_000_000 - 37]


def test_a_stream_of_bad_documents_stops_at_the_problem_limit() -> None:
    text = _stream_near_the_limits()

    def refused() -> ManifestError:
        with pytest.raises(ManifestError) as caught:
            load_requests(text, name="s.yaml")
        return caught.value

    # composed and validated as read, the 21st document ends it: the other ~13,000 are
    # never composed (all of it took 20-30 s under load; now 1.5 s at load average 16)
    error = within(3, refused)
    (note,) = [p for p in error.problems if "stopped reading" in str(p)]
    duplicates = [p for p in error.problems if p is not note]
    assert len(duplicates) == 20
    assert all("duplicate system name 'social-security-portal'" in str(p) for p in duplicates)
    lines = REQUEST.count("\n") + 1  # per piece; the 21st starts with "---", a comment
    assert str(note).startswith(f"s.yaml:{20 * lines + 3}:1: <document>: stopped reading after")
    assert "(GOVCLOUD_LIMIT_PROBLEMS raises the limit)" in str(note)


def test_a_stream_of_empty_documents_is_read_in_linear_time() -> None:
    # an empty document asks where the text ends (libyaml places it past the end); that
    # was counted afresh each time, so 19,000 of them took over 30 s under load
    text = "---\n# only a comment\n" * 19_000
    docs = within(3, lambda: load_yaml_documents(text, "e.yaml"))
    assert len(docs) == 19_000 and all(doc.data is None for doc in docs)
    with pytest.raises(ManifestError) as caught:
        load_requests(text, name="e.yaml")
    assert "e.yaml:1:1: <document>: no SystemRequest in the file" in str(caught.value)


def test_problem_limit_is_configurable_and_a_short_file_reports_every_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    piece = "---\n" + REQUEST
    with pytest.raises(ManifestError) as caught:
        load_requests(piece * 15, name="s.yaml")
    assert len(caught.value.problems) == 14  # all duplicates, no note: under the limit
    monkeypatch.setenv("GOVCLOUD_LIMIT_PROBLEMS", "5")
    with pytest.raises(ManifestError) as caught:
        load_requests(piece * 15, name="s.yaml")
    assert len(caught.value.problems) == 6
    assert "stopped reading after 5 problems" in str(caught.value)
    # a syntax error before the limit is reached is still the one reported
    with pytest.raises(ManifestError) as caught:
        load_requests(piece * 3 + "---\na: [\n", name="s.yaml")
    (problem,) = caught.value.problems
    assert "YAML syntax error" in str(problem)


def test_long_comment_loads_quickly() -> None:
    text = "# " + "x" * 5_000_000 + "\na: 1\n"
    (doc,) = within_a_second(lambda: load_yaml_documents(text, "f"))
    assert doc.data == {"a": 1}


def test_request_list_and_count_limits() -> None:
    groups = "".join(
        f"    - {{name: g{i}, flavor: c4m8, image: kylin-v10-sp3}}\n" for i in range(10_000)
    )
    text = REQUEST.replace("  compute:\n", "  compute:\n" + groups, 1)

    def refused() -> str:
        with pytest.raises(ManifestError) as caught:
            load_requests(text)
        return str(caught.value)

    # refused while read, at the 101st group: the other 9,899 are never composed
    assert "15:5: spec.compute: too many compute groups: the limit is 100" in within_a_second(
        refused
    )
    some = "".join(groups.splitlines(keepends=True)[:99])
    at_limit = REQUEST.replace("  compute:\n", "  compute:\n" + some, 1)
    assert len(load_requests(at_limit)[0].request.spec.compute) == 100
    with pytest.raises(ManifestError) as caught:
        load_requests(REQUEST.replace("count: 2", "count: 2147483648"))
    assert "17:14: spec.compute[0].count: too large (expected at most 1000" in str(caught.value)


def test_limits_from_the_environment() -> None:
    limits = InputLimits.from_env(
        {"GOVCLOUD_LIMIT_FILE_BYTES": "1_000", "GOVCLOUD_LIMIT_DEPTH": "3"}
    )
    assert (limits.file_bytes, limits.depth, limits.documents) == (1000, 3, 20_000)
    with pytest.raises(LimitSettingError, match="GOVCLOUD_LIMIT_DEPTH='many'"):
        InputLimits.from_env({"GOVCLOUD_LIMIT_DEPTH": "many"})
    size = len(REQUEST.encode())
    assert f"a file of {size:,} bytes exceeds the limit of 1,000" in refusal(
        REQUEST, file_bytes=1000
    )


_PROBE = """
import json, sys, time, tracemalloc
from tenants.located import load_yaml_file
from tenants.errors import ManifestError

def high_water_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

# the peak so far belongs to the interpreter that forked us: reset it (Linux clear_refs)
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
tracemalloc.start()
began = time.process_time()  # CPU, not wall: the machine's load is not the input's
try:
    load_yaml_file(sys.argv[1])
    message = "loaded"
except ManifestError as exc:
    message = str(exc)
seconds = time.process_time() - began
print(json.dumps({"seconds": seconds, "message": message, "peak_mib": high_water_mib(),
                  "python_peak_mib": tracemalloc.get_traced_memory()[1] / 2**20}))
"""


def _probe(path: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path)], capture_output=True, text=True, cwd=ROOT,
        check=True, timeout=120,
    )  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.slow
def test_billion_laughs_and_a_50mb_manifest_in_bounded_time_and_memory(tmp_path: Path) -> None:
    laughs = tmp_path / "laughs.yaml"
    laughs.write_text(LAUGHS + "\nuse: *l9\n")
    assert len(laughs.read_bytes()) < 600
    big = tmp_path / "big.yaml"
    big.write_text(REQUEST + "\n# " + "x" * (50 * 2**20) + "\n")
    for path, words in ((laughs, "expansion of aliases"), (big, "exceeds the limit of 16,777,216")):
        result = _probe(path)
        assert words in str(result["message"]), result
        assert float(str(result["seconds"])) < 1, result
        assert float(str(result["peak_mib"])) < 200, result
        assert float(str(result["python_peak_mib"])) < 50, result


# --- libyaml and the pure-Python parser agree ----------------------------------------------


def _outcome(text: str, pure: bool) -> tuple[object, ...]:
    try:
        docs = load_yaml_documents(text, "f.yaml", pure=pure)
    except ManifestError as exc:
        messages = [str(p) for p in exc.problems]
        if any("nesting of mappings and lists" in m for m in messages):
            # libyaml meets its own 1,000-level ceiling while looking ahead of ours, so
            # the position differs; the refusal is the same
            return ("depth",)
        if len(text) > 64 * 1024:
            # above this size a syntax error keeps libyaml's wording: compare where only
            return ("refused", [str(p.location) for p in exc.problems])
        return ("refused", messages)
    return ("loaded", [_summary(doc) for doc in docs])


def _summary(doc: LocatedDocument) -> tuple[object, ...]:
    return (repr(doc.data), doc.start, sorted(doc.values.items(), key=repr),
            sorted(doc.keys.items(), key=repr), sorted(doc.aliases.items(), key=repr))  # fmt: skip


YAML_FILES = sorted([*ROOT.glob("tests/**/*.yaml"), *ROOT.glob("policies/packs/*.yaml")])


@pytest.mark.skipif(not C_PARSER, reason="libyaml is not installed: only the pure path exists")
@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_c_and_pure_agree_on_every_yaml_file(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    assert _outcome(text, pure=False) == _outcome(text, pure=True)


# long comments and many documents or groups only make the pure path slow; the rest all
# take part (a text libyaml refuses, or holding a tab, gets the pure parser's verdict when
# it is small, as these are)
_CHEAP = sorted(set(YAML_MUTATORS) - {"long_comment", "many_documents", "many_groups"})
_MANIFESTS = sorted((ROOT / "tests/tenants/manifests/valid").glob("*.yaml"))


def _question_mark_in_flow(text: str) -> bool:
    """A ``?`` right after a character other than a blank on a line, after a ``[`` or ``{``
    (a plain scalar's ``?`` in a flow collection, give or take); line by line, in linear
    time (one regular expression over the text backtracked quadratically on long lines)."""
    for line in text.splitlines():
        if "?" not in line:
            continue
        opening = min((i for i in (line.find("["), line.find("{")) if i >= 0), default=-1)
        if opening >= 0 and _AFTER_A_CHARACTER.search(line, opening):
            return True
    return False


_AFTER_A_CHARACTER = re.compile(r"[^\s?]\?")


@pytest.mark.skipif(not C_PARSER, reason="libyaml is not installed: only the pure path exists")
@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(
    path=st.sampled_from(_MANIFESTS),
    names=st.lists(st.sampled_from(_CHEAP), min_size=1, max_size=3),
    seed=st.integers(0, 2**32),
)
def test_c_and_pure_agree_on_mutated_manifests(path: Path, names: list[str], seed: int) -> None:
    rng = random.Random(seed)
    text = path.read_text()
    for name in names:
        text = YAML_MUTATORS[name](text, rng)
    # the two known differences left, both in a flow collection: libyaml ends a tag at a
    # comma (``{a: !!str, b: 1}``), PyYAML reads the comma into the tag and refuses the
    # text; libyaml reads a ``?`` inside a plain scalar into it (``{a?b: 1}``, as YAML 1.2
    # does), PyYAML ends the scalar there (YAML 1.1) and refuses the text
    assume(re.search(r"![^\s,\]}]*,", text) is None)
    assume(not _question_mark_in_flow(text))
    assert _outcome(text, pure=False) == _outcome(text, pure=True)


@pytest.mark.skipif(not C_PARSER, reason="libyaml is not installed: only the pure path exists")
def test_a_question_mark_inside_a_flow_plain_scalar_is_a_known_difference() -> None:
    """Pinned so that a fix on either side shows: libyaml reads ``a?b`` in a flow mapping
    as one key; the pure path refuses it with the position of the ``?``."""
    text = "metadata:\n  annotations: {changeTicket: CHG-1, govcloud?io/note: x}\n"
    loaded = _outcome(text, pure=False)
    assert loaded[0] == "loaded" and "govcloud?io/note" in str(loaded[1])
    assert _outcome(text, pure=True) == (
        "refused",
        ["f.yaml:2:46: <document>: YAML syntax error: while parsing a flow mapping "
         "expected ',' or '}', but got '?'"],
    )  # fmt: skip


@pytest.mark.skipif(not C_PARSER, reason="libyaml is not installed: only the pure path exists")
@pytest.mark.parametrize("deep", ["block", "flow"])
def test_a_tab_before_a_later_refusal_is_reported_first_on_a_large_text(deep: str) -> None:
    """libyaml reads on past a tab PyYAML refuses; on a text too large to re-read with the
    pure parser, the refusal it meets later (here the depth limit) must not replace the
    tab, the first error. Found by the mutation test (seed 39538: flip, block_nesting×2)."""
    text = "a: {b: 1, c\t 2}\n" + "#" * (70 * 1024) + "\n"
    if deep == "block":
        text += "x:\n" + "".join(" " * i + "- \n" for i in range(500))
    else:
        text += "x: " + "[" * 1200 + "]" * 1200 + "\n"
    expected = ["f.yaml:1:12"]
    assert _outcome(text, pure=False) == ("refused", expected)
    assert _outcome(text, pure=True) == ("refused", expected)


def test_stdin_is_read_no_further_than_the_file_size_limit() -> None:
    """``plan -f -``: stdin is refused at its limit (located at ``<stdin>:1:1``) after
    reading at most one byte more, and non-UTF-8 bytes are located like a file's."""
    huge = io.BytesIO(b"#" * 10_000)
    with pytest.raises(ManifestError) as refused:
        read_text(huge, "<stdin>", limits=InputLimits(file_bytes=100))
    (problem,) = refused.value.problems
    assert str(problem.location) == "<stdin>:1:1" and "100" in str(problem)
    assert huge.tell() == 101
    with pytest.raises(ManifestError) as binary:
        read_text(io.BytesIO(b"a: 1\nb: \xff\n"), "<stdin>")
    assert str(binary.value.problems[0].location) == "<stdin>:2:4"
    assert read_text(io.BytesIO("名: 值\n".encode()), "<stdin>") == "名: 值\n"
