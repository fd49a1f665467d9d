"""The manifest corpus under ``manifests/``.

Cases:
- every ``valid/*.yaml`` loads, each request has a 64-hex spec hash, and loading twice
  gives the same hashes;
- every ``invalid/*.yaml`` is refused with exactly the problems its ``# expect:`` comment
  lists (``line:col path`` pairs separated by ``;``), each rendered as
  ``file:line:col: path: message`` with a non-empty message;
- the corpus is big enough (at least 25 invalid files) and no invalid file lacks its
  expectation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tenants.errors import ManifestError
from tenants.manifest import load_requests

CORPUS = Path(__file__).parent / "manifests"
VALID = sorted((CORPUS / "valid").glob("*.yaml"))
INVALID = sorted((CORPUS / "invalid").glob("*.yaml"))
_EXPECT = re.compile(r"^# expect: (.+)$", re.MULTILINE)


def _expected(path: Path) -> set[tuple[int, int, str]]:
    # the file may be deliberately broken (not UTF-8), but its comments are ASCII
    match = _EXPECT.search(path.read_bytes().decode("utf-8", errors="replace"))
    assert match, f"{path.name} has no '# expect:' comment"
    out: set[tuple[int, int, str]] = set()
    for item in match[1].split(";"):
        position, field_path = item.strip().split(" ", 1)
        line, col = position.split(":")
        out.add((int(line), int(col), field_path))
    return out


def test_corpus_is_large_enough() -> None:
    assert len(VALID) >= 5
    assert len(INVALID) >= 25


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_manifest_loads(path: Path) -> None:
    parsed = load_requests(path)
    assert parsed
    hashes = [item.spec_hash() for item in parsed]
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)
    assert [item.spec_hash() for item in load_requests(path)] == hashes


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_manifest_is_located(path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        load_requests(path)
    found = set()
    for problem in caught.value.problems:
        assert problem.location is not None
        assert problem.location.file == str(path)
        assert problem.message
        rendered = str(problem)
        where = f"{path}:{problem.location.line}:{problem.location.col}: "
        assert rendered.startswith(where + (problem.path or "<document>") + ": ")
        found.add((problem.location.line, problem.location.col, problem.path or "<document>"))
    assert found == _expected(path)
