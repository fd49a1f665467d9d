"""YAML documents that remember where every value came from.

ruamel.yaml's round-trip loader keeps line/column marks; this module turns a stream
into plain Python data (dicts, lists, str, int, bool, ``Decimal`` for every YAML float so
no price or version is ever rounded through binary floating point, ``date``/``datetime``)
plus a map from field path to source location, so later validation can point at
``file:line:col`` for any path. Imports no other govcloud package.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError

from tenants.errors import Location, ManifestError, Problem

__all__ = ["LocatedDocument", "Path", "load_yaml_documents", "load_yaml_file"]

Path = tuple[str | int, ...]


class _DecimalConstructor(RoundTripConstructor):
    """Round-trip constructor that builds YAML floats as exact Decimals."""


def _construct_decimal(constructor: RoundTripConstructor, node: ScalarNode) -> Any:
    text = str(node.value).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        # .inf / .nan: keep YAML's meaning; validation will refuse them where money is expected
        return constructor.construct_yaml_float(node)


_DecimalConstructor.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


@dataclass
class LocatedDocument:
    """One YAML document as plain data plus the source position of every path."""

    data: Any
    file: str
    start: Location
    values: dict[Path, Location] = field(default_factory=dict)
    keys: dict[Path, Location] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> Location:
        """The position of ``path``; falls back to the nearest located ancestor."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if key and probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), self.start)

    def problem(
        self,
        path: Path,
        message: str,
        *,
        expected: str | None = None,
        found: str | None = None,
        key: bool = False,
    ) -> Problem:
        """A :class:`Problem` located at ``path`` in this document."""
        from tenants.errors import format_path

        return Problem(self.locate(path, key=key), format_path(path), message, expected, found)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _DecimalConstructor
    yaml.allow_duplicate_keys = False
    return yaml


def _loc(file: str, line: int, col: int) -> Location:
    return Location(file, line + 1, col + 1)


_CORE_TAG_PREFIX = "tag:yaml.org,2002:"


def _refuse_tag(node: Any, path: Path, doc: LocatedDocument) -> None:
    """Application tags (``!foo``) mean nothing to govcloud; dropping them would hide a typo."""
    tag = getattr(getattr(node, "tag", None), "value", None)
    if tag is not None and not str(tag).startswith(_CORE_TAG_PREFIX):
        problem = doc.problem(path, f"unsupported YAML tag {tag}", expected="a plain value")
        raise ManifestError([problem])


def _plain(node: Any, path: Path, doc: LocatedDocument) -> Any:
    """Convert ruamel containers to plain ones, recording positions on the way."""
    if isinstance(node, TaggedScalar):
        if node.tag.value == _CORE_TAG_PREFIX + "str":
            return str(node.value)  # ``!!str 5`` is the string "5"
        problem = doc.problem(
            path, f"unsupported YAML tag {node.tag.value}", expected="a plain value"
        )
        raise ManifestError([problem])
    if isinstance(node, CommentedMap | CommentedSeq):
        _refuse_tag(node, path, doc)
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            child = (*path, key if isinstance(key, str | int) else str(key))
            try:
                kl, kc = node.lc.key(key)
                vl, vc = node.lc.value(key)
            except (KeyError, TypeError):
                pass  # merged (<<) keys carry no mark of their own; the ancestor's is used
            else:
                doc.keys[child] = _loc(doc.file, kl, kc)
                doc.values[child] = _loc(doc.file, vl, vc)
            out[key if isinstance(key, str | int) else str(key)] = _plain(value, child, doc)
        return out
    if isinstance(node, CommentedSeq):
        items: list[Any] = []
        for index, value in enumerate(node):
            child = (*path, index)
            try:
                line, col = node.lc.item(index)
            except (KeyError, TypeError):
                pass
            else:
                doc.values[child] = _loc(doc.file, line, col)
            items.append(_plain(value, child, doc))
        return items
    if isinstance(node, str):
        return str(node)  # drop ruamel's scalar string subclasses
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    return node


def _mark_problem(file: str, exc: MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    location = _loc(file, mark.line, mark.column) if mark is not None else None
    message = " ".join(part for part in (exc.context, exc.problem) if part)
    return Problem(location, "", f"YAML syntax error: {message or exc}")


def _reader_problem(file: str, text: str, exc: ReaderError) -> Problem:
    """ReaderError (a control character in the text) carries an offset, not a mark."""
    before = text[: exc.position]
    line = before.count("\n") + 1
    col = exc.position - (before.rfind("\n") + 1) + 1
    return Problem(
        Location(file, line, col),
        "",
        f"YAML syntax error: control character U+{exc.character:04X} is not allowed in YAML text",
    )


def _iter_documents(text: str, file: str) -> Iterator[LocatedDocument]:
    yaml = _yaml()
    # compose first so every document's start mark is known, even an empty one
    for node in yaml.compose_all(text):
        if node is None:
            continue
        start = _loc(file, node.start_mark.line, node.start_mark.column)
        data = yaml.constructor.construct_document(node)
        doc = LocatedDocument(data=None, file=file, start=start)
        doc.values[()] = start
        doc.data = _plain(data, (), doc)
        yield doc


def load_yaml_documents(text: str, file: str) -> list[LocatedDocument]:
    """Parse every document in ``text``; syntax errors raise a located ManifestError."""
    try:
        return list(_iter_documents(text, file))
    except MarkedYAMLError as exc:
        raise ManifestError([_mark_problem(file, exc)]) from exc
    except ReaderError as exc:
        raise ManifestError([_reader_problem(file, text, exc)]) from exc
    except YAMLError as exc:  # any other parser failure still refuses the input cleanly
        raise ManifestError([Problem(Location(file, 1, 1), "", f"YAML error: {exc}")]) from exc


def load_yaml_file(path: str) -> list[LocatedDocument]:
    """Read and parse a YAML file; unreadable or non-UTF-8 files give a ManifestError."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise ManifestError([Problem(None, "", f"cannot read {path}: {exc.strerror}")]) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # point at the first offending byte so the user can find it in their editor
        line = raw.count(b"\n", 0, exc.start) + 1
        col = len(raw[raw.rfind(b"\n", 0, exc.start) + 1 : exc.start].decode("utf-8")) + 1
        where = Location(path, line, col)
        found = f"byte 0x{raw[exc.start]:02x}"
        raise ManifestError(
            [Problem(where, "", "file is not UTF-8 text", expected="UTF-8", found=found)]
        ) from exc
    return load_yaml_documents(text, path)
