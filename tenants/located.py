"""YAML documents that remember where every value came from, read under limits.

The text is parsed by libyaml (PyYAML's C ``CParser``) where it is installed and by
PyYAML's pure-Python parser where it is not; both give the same events, and one composer
here turns them into plain Python data (dicts, lists, str, int, bool, ``None``,
``Decimal`` for every YAML float so no price or version is ever rounded through binary
floating point, ``date``/``datetime``) plus a map from field path to the position (line
and column as one int) of that value and of its key, so later validation can point at
``file:line:col`` for any path. A position becomes a :class:`Location` only when one is
asked for, and the
common events are composed in one loop without a call per event: composing costs about
what libyaml's own ``compose_all`` does (``bench/parse.py``).

Scalars are resolved by :mod:`tenants.scalars` (the YAML 1.2 core schema, plus
timestamps and ``<<`` merge keys), exactly as govcloud read them before. Every
scalar is checked by its type, never by luck: an explicit ``!!int abc`` or an impossible
date ``2026-02-30`` is a located error, as are integers beyond 64 bits, control
characters, unknown tags and aliases that refer to the collection containing them.

Composition is iterative and bounded by :class:`tenants.limits.InputLimits`: nesting
depth, document count, scalar length and alias expansion are counted as the events
arrive, and an alias is shared (the same Python object), never copied, so a
"billion laughs" file is refused at its first excessive alias. Imports no other govcloud
package.
"""

from __future__ import annotations

import bisect
import gc
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO, NamedTuple, Protocol

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.scanner import Scanner

from tenants.errors import Location, ManifestError, Problem, format_path
from tenants.limits import InputLimits, limit_message
from tenants.scalars import (
    CONTROL_CHARACTERS,
    CORE_TAG,
    MERGE,
    ScalarError,
    plain_scalar,
    tagged_scalar,
)

__all__ = [
    "C_PARSER",
    "ListCaps",
    "LocatedDocument",
    "Mark",
    "OnDocument",
    "Path",
    "load_yaml_documents",
    "load_yaml_file",
    "read_bounded",
    "read_text",
    "without_cycle_collection",
]

Path = tuple[str | int, ...]
ListCaps = Mapping[Path, tuple[int, str]]
"""Most items of the lists at these paths (``-1`` matches any list index), and their name."""
OnDocument = Callable[[int, "LocatedDocument"], bool]
"""Called with each document's index and the document as soon as it is composed (from
index 0 again when a small text is re-read by the pure parser); True stops the reading."""

_CParser: Any
try:  # libyaml is optional in PyYAML; its parser is some 10x faster than the pure one
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _CParser = None

C_PARSER: bool = _CParser is not None
"""Whether documents are parsed by libyaml (else by PyYAML's pure-Python parser)."""


class Mark(Protocol):
    """A parser's 0-based position (PyYAML's ``Mark``, from libyaml or the pure parser)."""

    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...


class _Mark(NamedTuple):
    """A position the composer works out itself (0-based, like a parser's mark)."""

    line: int
    column: int


@dataclass(eq=False)
class LocatedDocument:
    """One YAML document as plain data plus the source position of every path.

    ``marks`` and ``key_marks`` keep the 0-based line and column of every value and key
    as one int, ``line << 32 | column`` (a :class:`Location` is made only when a position
    is asked for: a valid document never needs one). Ints, not the parser's mark objects:
    those are objects the cyclic collector walks, about 920,000 of them for 10,000
    province manifests, walked again by each collection after the reading. ``values`` and
    ``keys`` are the same positions as locations.
    ``aliases`` maps the path of an alias (or of a key brought in by a ``<<`` merge) to
    the path of the node it stands for; positions below it are that node's, which is
    where the user must edit.
    """

    data: Any
    file: str
    start: Location
    aliases: dict[Path, Path] = field(default_factory=dict)
    marks: dict[Path, int] = field(default_factory=dict, repr=False)
    key_marks: dict[Path, int] = field(default_factory=dict, repr=False)

    @property
    def values(self) -> dict[Path, Location]:
        """The position of every value (and of every mapping and list), by path."""
        return {path: self._location(mark) for path, mark in self.marks.items()}

    @property
    def keys(self) -> dict[Path, Location]:
        """The position of every mapping key, by the path of its value."""
        return {path: self._location(mark) for path, mark in self.key_marks.items()}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LocatedDocument):
            return NotImplemented
        return (self.data, self.file, self.start, self.aliases, self.values, self.keys) == (
            other.data, other.file, other.start, other.aliases, other.values, other.keys,
        )  # fmt: skip

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by content

    def _location(self, position: int) -> Location:
        return _location(self.file, (position >> 32) + 1, (position & _COLUMN) + 1)

    def locate(self, path: Path, *, key: bool = False) -> Location:
        """The position of ``path``; falls back to the nearest located ancestor."""
        marks = self.marks
        table = self.key_marks if key else marks
        probe = tuple(path)
        while probe:
            real = self._through_aliases(probe)
            found = table.get(real)
            if found is None and key:
                found = marks.get(real)
            if found is not None:
                return self._location(found)
            probe = probe[:-1]
        root = marks.get(())
        return self.start if root is None else self._location(root)

    def _through_aliases(self, path: Path) -> Path:
        """``path`` with every alias strictly above it replaced by the node it names."""
        if not self.aliases:
            return path
        for _ in range(len(self.aliases) + 1):  # chains are finite: each step goes backwards
            for cut in range(1, len(path)):
                target = self.aliases.get(path[:cut])
                if target is not None:
                    path = target + path[cut:]
                    break
            else:
                return path
        return path

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
        return Problem(self.locate(path, key=key), format_path(path), message, expected, found)


# what YAML text may contain at all (the YAML 1.1 printable set)
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_DOCUMENT_MARKER = re.compile(r"^---(?=[ \t\r\n]|$)", re.M)
_OTHER_BREAKS = re.compile("[\r\x85\u2028\u2029]")
# the UTF-8 bytes of every character _NON_PRINTABLE refuses begin with one of these — a
# C0 control or DEL, 0xC2 (C1 controls, U+0080-U+009F), 0xED (surrogates) — or are
# U+FFFE/U+FFFF (0xEF 0xBF 0xBE/0xBF; 0xEF alone starts the common full-width forms)
_SUSPECT_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xC2, 0xED])
_CLEAR_BYTES = bytes(sorted(set(range(256)) - set(_SUSPECT_BYTES)))


def _non_printable(text: str, raw: bytes) -> re.Match[str] | None:
    """The first character YAML text may not hold; a text whose UTF-8 bytes (``raw``) hold
    no byte that could start one (nearly every file) is cleared by C-speed passes."""
    suspect = raw.translate(None, _CLEAR_BYTES)
    if not suspect and b"\xef\xbf\xbe" not in raw and b"\xef\xbf\xbf" not in raw:
        return None
    return _NON_PRINTABLE.search(text)


def _line_starts(text: str) -> list[int]:
    """Where each line starts; a text broken by ``\\n`` alone (the usual case) is indexed
    by one literal search, several times faster than the pattern of every YAML break."""
    if _OTHER_BREAKS.search(text):
        return [0] + [m.end() for m in _LINE_BREAK.finditer(text)]
    return [0] + [m.end() for m in re.finditer("\n", text)]


# --- composition ----------------------------------------------------------------------------


_COLUMN = (1 << 32) - 1


def _pack(mark: Mark) -> int:
    """A mark's 0-based line and column as one int (``line << 32 | column``): a document
    keeps one per value and key (92 for a province manifest), and ints, unlike the
    parser's mark objects, are nothing the cyclic collector walks (see
    :class:`LocatedDocument`)."""
    return mark.line << 32 | mark.column


def _location(file: str, line: int, col: int, _new: Any = object.__new__) -> Location:
    """``Location(file, line, col)``, built without the frozen dataclass's three guarded
    ``__setattr__`` calls (equal, hashed and ordered the same; every node gets one)."""
    made: Location = _new(Location)
    fields = made.__dict__
    fields["file"] = file
    fields["line"] = line
    fields["col"] = col
    return made


class _EventSource(Protocol):
    def get_event(self) -> Event | None: ...


class _PureParser(Reader, Scanner, Parser):
    """PyYAML's pure-Python reader, scanner and parser: the same events as libyaml's."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)


def _parser(text: str, pure: bool) -> _EventSource:
    if _CParser is not None and not pure:
        source: _EventSource = _CParser(text)
        return source
    return _PureParser(text)


@dataclass
class _Anchor:
    value: Any
    path: Path
    mark: Mark
    size: int
    open: bool


class _Frame:
    """An open mapping or sequence and where its next child goes."""

    __slots__ = (
        "anchor", "cap", "data", "flow", "has_key", "is_list", "key", "key_end", "key_mark",
        "key_text", "kids", "mark", "merge_mark", "merges", "nodes_before", "path", "seen",
    )  # fmt: skip

    def __init__(
        self,
        is_list: bool,
        path: Path,
        mark: Mark,
        nodes_before: int,
        anchor: str | None,
        flow: bool,
        kids: dict[str | int, Path],
    ) -> None:
        self.is_list = is_list
        self.kids = kids
        """The paths of this node's children made so far (list indexes, text keys), shared
        by the nodes at the same path in every document (see :meth:`_Composer.kids`)."""
        self.data: Any = [] if is_list else {}
        self.path = path
        self.mark = mark
        self.nodes_before = nodes_before
        self.anchor = anchor
        self.flow = flow
        self.cap: tuple[int, str] | None = None
        self.has_key = False
        self.key_end: Mark | None = None
        self.key: Any = None
        self.key_text: str | int = ""
        self.key_mark = mark
        self.seen: dict[Any, Any] = {}
        self.merges: list[tuple[dict[Any, Any], Path]] = []
        self.merge_mark: Mark | None = None

    def child(self) -> Path | None:
        """The path of the next child, or None when the next node is a mapping key."""
        if self.is_list:
            return (*self.path, len(self.data))
        if not self.has_key:
            return None
        return (*self.path, "<<" if self.key is MERGE else self.key_text)


class _Refusal(Exception):
    """A problem found while composing; ``stop``: a limit, so no further event is read."""

    def __init__(self, problem: Problem, *, stop: bool = False) -> None:
        super().__init__(str(problem))
        self.problem = problem
        self.stop = stop


def _syntax(location: Location, message: str) -> _Refusal:
    return _Refusal(Problem(location, "", f"YAML syntax error: {message}"))


def _where(frame: _Frame | None, path: Path | None) -> str:
    """The field path shown for a problem at the next child of ``frame``."""
    if path is not None:
        return format_path(path)
    return format_path(frame.path) if frame is not None else ""


_COMPLEX_KEY = "a mapping key must be a plain value, not a mapping or a list"
# the first characters of a plain scalar that may resolve to something other than text
# (a number, a date, a boolean, null, the merge key); any other plain scalar is its text
_TYPED_FIRST = frozenset("0123456789-+.tTfF~nN<")
_UNRESOLVED: Any = object()  # a plain text not yet resolved in this reading


class _Composer:
    """Builds plain data and positions from parser events, counting what the limits bound.

    Positions are the parser's marks, kept as ints (a :class:`Location` is made only for a
    problem); the common events — a plain or quoted scalar without tag or
    anchor in a block collection, a collection opened and closed — are handled in
    :meth:`_document`'s loop itself, anything else by the methods below, which hold every
    rule and every message.
    """

    def __init__(
        self,
        file: str,
        limits: InputLimits,
        text: str = "",
        c_marks: bool = False,
        caps: ListCaps | None = None,
        keep: int | None = None,
        on_document: OnDocument | None = None,
        *,
        inline: bool = True,
    ) -> None:
        self.file = file
        self.limits = limits
        self.inline = inline
        """Whether the common events take :meth:`_document`'s inline steps (False: every
        event goes to its method, which tests compare the inline steps against)."""
        self.caps = caps or {}
        self.keep = keep
        self.text = text
        self.c_marks = c_marks
        self._line_starts: list[int] | None = None
        self._end_at: tuple[int, int] | None = None
        # libyaml takes a tab for a space where PyYAML refuses it; where tabs are, note the
        # quoted and block scalars (in which tabs are content) to check them afterwards
        self.spans: list[tuple[tuple[int, int], tuple[int, int]]] | None = (
            [] if c_marks and "\t" in text else None
        )
        self.nodes = 0
        self.alias_nodes = 0
        self._texts: dict[str, str] = {}
        """One string per distinct plain text of the reading: the parser makes a new one for
        every scalar, and a stream of like documents repeats its keys and most of its values
        (10,000 province manifests: 612,000 scalars). Kept once, the copies are freed at
        once — 30 MiB less to page in, and the collector's walk over the documents touches a
        few thousand strings, not 612,000 scattered ones."""
        self._resolved: dict[str, Any] = {}
        """What each plain text that may be more than text resolved to (``22``, ``true``,
        ``name``), once per reading: values are immutable, so documents share them."""
        self._kids: dict[Path, dict[str | int, Path]] = {}
        self.documents: list[LocatedDocument] = []
        self.on_document = on_document
        self.stopped_at: tuple[int, int] | None = None
        """Where reading stopped because ``on_document`` said so (0-based line, column)."""

    def run(self, parser: _EventSource) -> list[LocatedDocument]:
        get = parser.get_event
        while True:
            event = get()
            kind = type(event)
            if kind is DocumentStartEvent:
                if len(self.documents) >= self.limits.documents:
                    raise _Refusal(self.documents_breach(self._at(event).line), stop=True)
                if self.keep is not None and len(self.documents) >= self.keep:
                    self._skip_document(get)
                    return self.documents
                else:
                    end = self._document(get)
                    index = len(self.documents) - 1
                    if self.on_document is not None and self.on_document(
                        index, self.documents[index]
                    ):
                        self.stopped_at = end
                        return self.documents
            elif kind is StreamEndEvent:
                return self.documents

    def _skip_document(self, get: Callable[[], Event | None]) -> None:
        """The document after the first ``keep``: read only as far as its first node, whose
        place becomes its start; nothing is built and nothing after it is read — a caller
        that wants ``keep`` documents needs no more to refuse a longer stream."""
        doc = LocatedDocument(data=None, file=self.file, start=Location(self.file, 1, 1))
        self.documents.append(doc)
        while True:
            event = get()
            kind = type(event)
            if kind is DocumentEndEvent:
                return
            if kind in (ScalarEvent, MappingStartEvent, SequenceStartEvent, AliasEvent):
                doc.start = self._at(event)
                return

    def documents_breach(self, line: int) -> Problem:
        limit = self.limits.documents
        return Problem(Location(self.file, line, 1), "",
                       limit_message("the number of YAML documents", limit, "documents"),
                       expected=f"at most {limit:,} documents")  # fmt: skip

    def _loc(self, mark: Mark) -> Location:
        return _location(self.file, mark.line + 1, mark.column + 1)

    def kids(self, path: Path) -> dict[str | int, Path]:
        """The child paths made so far below ``path``, in any document of the text.

        A stream of like documents has the same paths in each (10,000 province manifests:
        some 490,000 path tuples, a few hundred of them distinct): the composer makes each
        once and the documents' position maps share it, which spares the tuple, its
        memory and the cyclic collector's walk over it.
        """
        found = self._kids.get(path)
        if found is None:
            found = self._kids[path] = {}
        return found

    def _at(self, event: Any) -> Location:
        return self._loc(event.start_mark)

    def _document(self, get: Callable[[], Event | None]) -> tuple[int, int]:
        """Compose one document; returns where it ends (0-based line and column).

        The loop keeps the innermost open collection in ``top`` and does the common
        events' work inline (a method call per event was most of the composing time);
        each inline step is the same as the method's, and any event off that path goes
        to the method. A path is extended as ``path + (part,)``, which builds the tuple in
        some 20% less CPU than ``(*path, part)`` (56 against 69 ns on Python 3.11; hence
        the ``noqa``).
        """
        doc = LocatedDocument(data=None, file=self.file, start=Location(self.file, 1, 1))
        marks = doc.marks
        key_marks = doc.key_marks
        anchors: dict[str, _Anchor] = {}
        stack: list[_Frame] = []
        top: _Frame | None = None
        pending: _Refusal | None = None
        skipped_depth = 0
        limits = self.limits
        scalar_chars, node_limit, depth = limits.scalar_chars, limits.nodes, limits.depth
        caps = self.caps
        # scalars that need their span noted (tabs in a libyaml text) take the method
        inline = self.inline
        inline_scalars = inline and self.spans is None
        same_text = self._texts.setdefault
        resolved = self._resolved
        while True:
            event: Any = get()
            kind = type(event)
            if pending is not None:
                # a syntax error later in the same document is reported first, as the
                # parser would have stopped there before any value was built; but the
                # rest of the document is read only as deep as the limit allows
                if kind is MappingStartEvent or kind is SequenceStartEvent:
                    skipped_depth += 1
                elif kind is MappingEndEvent or kind is SequenceEndEvent:
                    skipped_depth -= 1
                if len(stack) + skipped_depth > depth:
                    raise self._too_deep(self._at(event), stack[-1] if stack else None)
                if kind is DocumentEndEvent:
                    raise pending
                continue
            try:
                if kind is ScalarEvent:
                    text: str = event.value
                    if (
                        top is None
                        or event.tag is not None
                        or event.anchor is not None
                        or not inline_scalars
                        or not text.isprintable()
                        or len(text) > scalar_chars
                        or (top.flow and not text)  # where libyaml places it: see _after_colon
                    ):
                        self._scalar(event, doc, stack, anchors)
                        continue
                    if not event.implicit[0] or (text and text[0] not in _TYPED_FIRST):
                        value: Any = same_text(text, text)
                    else:
                        value = resolved.get(text, _UNRESOLVED)
                        if value is _UNRESOLVED:
                            try:
                                value = plain_scalar(text)
                            except ScalarError:
                                self._scalar(event, doc, stack, anchors)  # refuses it, located
                                raise
                            if type(value) is str:  # "name", "tcp": text after all
                                value = same_text(value, value)
                            resolved[text] = value
                    self.nodes += 1
                    mark = event.start_mark
                    if self.nodes > node_limit:
                        self._count(mark, 0, alias=False)
                    if top.is_list:
                        if top.cap is not None and len(top.data) >= top.cap[0]:
                            self._place(value, mark, doc, stack, recorded=False)
                        else:
                            data = top.data
                            index = len(data)
                            path = top.kids.get(index)
                            if path is None:
                                path = top.kids[index] = top.path + (index,)  # noqa: RUF005
                            marks[path] = mark.line << 32 | mark.column
                            data.append(value)
                    elif not top.has_key:
                        if value is MERGE:
                            top.key_end = event.end_mark
                            self._key(top, value, mark)
                        else:
                            top.has_key = True
                            top.key_mark = mark
                            top.key_end = event.end_mark
                            top.key = value
                            top.key_text = value if isinstance(value, str | int) else str(value)
                    elif top.key is MERGE or top.key in top.seen:
                        self._place(value, mark, doc, stack, recorded=False)
                    else:
                        top.has_key = False
                        top.seen[top.key] = value
                        key_text = top.key_text
                        if type(key_text) is str:  # not an int or bool key: 1 == True
                            path = top.kids.get(key_text)
                            if path is None:
                                path = top.kids[key_text] = top.path + (key_text,)  # noqa: RUF005
                        else:
                            path = top.path + (key_text,)  # noqa: RUF005
                        marks[path] = mark.line << 32 | mark.column
                        key = top.key_mark
                        key_marks[path] = key.line << 32 | key.column
                        top.data[key_text] = value
                elif kind is MappingStartEvent or kind is SequenceStartEvent:
                    is_list = kind is SequenceStartEvent
                    if (
                        top is None
                        or not inline
                        or event.tag is not None
                        or event.anchor is not None
                        or len(stack) >= depth
                        or self.nodes >= node_limit
                        or not (top.is_list or (top.has_key and top.key is not MERGE))
                    ):
                        self._open(event, doc, stack, anchors, is_list)
                    else:
                        mark = event.start_mark
                        # the child's path as the scalar steps above make it (shared)
                        part = len(top.data) if top.is_list else top.key_text
                        shared = top.is_list or type(part) is str
                        path = top.kids.get(part) if shared else None
                        if path is None:
                            path = top.path + (part,)  # noqa: RUF005
                            if shared:
                                top.kids[part] = path
                        marks[path] = mark.line << 32 | mark.column
                        if not top.is_list:
                            key = top.key_mark
                            key_marks[path] = key.line << 32 | key.column
                        self.nodes += 1
                        frame = _Frame(
                            is_list,
                            path,
                            mark,
                            self.nodes,
                            None,
                            bool(event.flow_style),
                            self.kids(path),
                        )
                        if is_list and caps:
                            frame.cap = caps.get(
                                tuple(-1 if isinstance(p, int) else p for p in path)
                            )
                        stack.append(frame)
                    top = stack[-1]
                elif kind is MappingEndEvent or kind is SequenceEndEvent:
                    assert top is not None  # the parser closes only what it opened
                    stack.pop()
                    parent = stack[-1] if stack else None
                    if (
                        parent is None
                        or not inline
                        or top.merges
                        or top.anchor is not None
                        or (parent.cap is not None and len(parent.data) >= parent.cap[0])
                        or not (parent.is_list or parent.has_key)
                        or parent.key is MERGE
                        or parent.key in parent.seen
                    ):
                        stack.append(top)
                        self._close(doc, stack, anchors)
                    elif parent.is_list:
                        parent.data.append(top.data)
                    else:
                        parent.has_key = False
                        parent.seen[parent.key] = top.data
                        parent.data[parent.key_text] = top.data
                    top = stack[-1] if stack else None
                elif kind is AliasEvent:
                    self._alias(event, doc, stack, anchors)
                elif kind is DocumentEndEvent:
                    root = marks.get(())
                    if root is not None:
                        doc.start = doc._location(root)
                    self.documents.append(doc)
                    end = event.end_mark
                    return end.line, end.column
            except _Refusal as refusal:
                if refusal.stop:
                    raise  # limits stop the work at once
                pending = refusal

    def _starts(self) -> list[int]:
        """Where each line of the text starts (built once, when a position is first needed)."""
        if self._line_starts is None:
            self._line_starts = _line_starts(self.text)
        return self._line_starts

    def _position(self, index: int) -> tuple[int, int]:
        """0-based line and column of a character index (line breaks as YAML counts them)."""
        starts = self._starts()
        line = bisect.bisect_right(starts, index) - 1
        return line, index - starts[line]

    def _end(self) -> tuple[int, int]:
        """0-based line and column of the end of the text (found once: a stream of empty
        documents asks for it at every one), without indexing every line."""
        if self._end_at is None:
            text = self.text
            if self._line_starts is None and not _OTHER_BREAKS.search(text):
                self._end_at = text.count("\n"), len(text) - (text.rfind("\n") + 1)
            else:
                self._end_at = self._position(len(text))
        return self._end_at

    def misplaced_tab(self) -> Problem | None:
        """The first tab PyYAML would refuse: one outside quoted or block scalars and comments
        (and before the place reading stopped, if it stopped early)."""
        if self.spans is None:
            return None
        until = self.stopped_at
        spans = sorted(self.spans)
        starts = [span[0] for span in spans]

        def in_scalar(at: tuple[int, int]) -> bool:
            i = bisect.bisect_right(starts, at) - 1
            return i >= 0 and spans[i][0] <= at < spans[i][1]

        for tab in re.finditer("\t", self.text):
            at = self._position(tab.start())
            if until is not None and at >= until:
                return None
            if in_scalar(at):
                continue
            line_start = tab.start() - at[1]
            comment = False
            for hash_ in re.finditer("#", self.text[line_start : tab.start()]):
                index = line_start + hash_.start()
                before = self.text[index - 1] if index > line_start else " "
                if before in " \t" and not in_scalar(self._position(index)):
                    comment = True
                    break
            if not comment:
                return Problem(Location(self.file, at[0] + 1, at[1] + 1), "",
                               "YAML syntax error: while scanning for the next token found "
                               f"character {chr(9)!r} that cannot start any token")  # fmt: skip
        return None

    def _after_colon(self, top: _Frame, at: Mark) -> Mark:
        """Where PyYAML places an empty value in a flow mapping: just after the ``:``.

        libyaml places it at the next token instead; this keeps the two parsers (and every
        message ever printed) on the same position.
        """
        if top.key_end is None:
            return at
        starts = self._starts()
        index = starts[top.key_end.line] + top.key_end.column
        while index < len(self.text) and self.text[index] in " \t\r\n":
            index += 1
        if index >= len(self.text) or self.text[index] != ":":
            return at
        line = bisect.bisect_right(starts, index) - 1
        return _Mark(line, index - starts[line] + 1)

    def _too_deep(self, at: Location, top: _Frame | None) -> _Refusal:
        return _Refusal(Problem(at, _where(top, None), limit_message(
            "the nesting of mappings and lists", self.limits.depth, "depth"),
            expected=f"at most {self.limits.depth} levels"), stop=True)  # fmt: skip

    def _count(self, mark: Mark, added: int, *, alias: bool) -> None:
        self.nodes += added
        if self.nodes > self.limits.nodes:
            raise _Refusal(Problem(self._loc(mark), "", limit_message(
                "the number of YAML nodes", self.limits.nodes, "nodes"),
                expected=f"at most {self.limits.nodes:,} nodes, aliases counted expanded"),
                stop=True)  # fmt: skip
        if alias:
            self.alias_nodes += added
            if self.alias_nodes > self.limits.alias_nodes:
                raise _Refusal(Problem(self._loc(mark), "", limit_message(
                    "the expansion of aliases", self.limits.alias_nodes, "alias_nodes"),
                    expected=f"aliases that expand to at most {self.limits.alias_nodes:,} nodes",
                    found=f"{self.alias_nodes:,} nodes"), stop=True)  # fmt: skip

    def _scalar(
        self, event: Any, doc: LocatedDocument, stack: list[_Frame], anchors: dict[str, _Anchor]
    ) -> None:
        mark = event.start_mark
        text: str = event.value
        tag = event.tag
        if len(text) > self.limits.scalar_chars or (
            not text.isprintable() and CONTROL_CHARACTERS.search(text) is not None
        ):
            self._refuse_text(text, self._loc(mark), stack)
        try:
            if tag is None and event.implicit[0]:
                value = plain_scalar(text)
            elif tag is None or tag == "!":
                value = text
            else:
                value = tagged_scalar(tag, text)
        except ScalarError as exc:
            where = self._loc(mark)
            top = stack[-1] if stack else None
            shown = _where(top, top.child() if top else ())
            if str(exc).startswith("unsupported YAML tag"):
                raise _Refusal(Problem(where, shown, str(exc), expected=exc.expected)) from exc
            named = "" if tag is None else f" (tag {tag.replace(CORE_TAG, '!!')})"
            raise _Refusal(Problem(where, shown, f"{exc}{named}", expected=exc.expected,
                                   found=repr(text[:40]))) from exc  # fmt: skip
        self.nodes += 1
        if self.nodes > self.limits.nodes:
            self._count(mark, 0, alias=False)
        if self.spans is not None and event.style:  # plain: None (pure) or "" (libyaml)
            end = event.end_mark
            self.spans.append(((mark.line, mark.column), (end.line, end.column)))
        at: Mark = mark
        if stack:
            top = stack[-1]
            if not top.has_key and not top.is_list:
                top.key_end = event.end_mark
            elif self.c_marks and top.flow and not (text or event.style or tag or event.anchor):
                at = self._after_colon(top, mark)
        elif self.c_marks and not text:
            # an empty document at the end of a text without a final line break: libyaml
            # counts a line that is not there; PyYAML stops at the last character
            end_at = self._end()
            if (mark.line, mark.column) > end_at:
                at = _Mark(*end_at)
        if event.anchor is not None:
            path = stack[-1].child() if stack else ()
            anchors[event.anchor] = _Anchor(value, path or (), at, 1, open=False)
        self._place(value, at, doc, stack, recorded=False)

    def _refuse_text(self, text: str, at: Location, stack: list[_Frame]) -> None:
        top = stack[-1] if stack else None
        shown = _where(top, top.child() if top else ())
        limit = self.limits.scalar_chars
        if len(text) > limit:
            raise _Refusal(Problem(at, shown, limit_message(
                f"a value of {len(text):,} characters", limit, "scalar_chars"),
                expected=f"at most {limit:,} characters"), stop=True)  # fmt: skip
        control = CONTROL_CHARACTERS.search(text)
        assert control is not None
        raise _Refusal(Problem(at, shown,
            f"control character U+{ord(control[0]):04X} is not allowed in a value",
            expected="printable text", found=repr(text[:40])))  # fmt: skip

    def _open(
        self,
        event: Any,
        doc: LocatedDocument,
        stack: list[_Frame],
        anchors: dict[str, _Anchor],
        is_list: bool,
    ) -> None:
        mark = event.start_mark
        top = stack[-1] if stack else None
        if len(stack) >= self.limits.depth:
            raise self._too_deep(self._loc(mark), top)
        path = top.child() if top is not None else ()
        if path is None:
            raise _Refusal(Problem(self._loc(mark), _where(top, None), _COMPLEX_KEY,
                                   expected="a key such as name"))  # fmt: skip
        tag = event.tag
        if tag is not None and tag != "!" and tag != CORE_TAG + ("seq" if is_list else "map"):
            raise _Refusal(Problem(self._loc(mark), format_path(path),
                                   f"unsupported YAML tag {tag}", expected="a plain value"))  # fmt: skip
        doc.marks[path] = _pack(mark)
        if top is not None and not top.is_list and top.key is not MERGE:
            doc.key_marks[path] = _pack(top.key_mark)
        self.nodes += 1
        if self.nodes > self.limits.nodes:
            self._count(mark, 0, alias=False)
        anchor = event.anchor
        frame = _Frame(
            is_list, path, mark, self.nodes, anchor, bool(event.flow_style), self.kids(path)
        )
        if is_list and self.caps:
            frame.cap = self.caps.get(tuple(-1 if isinstance(p, int) else p for p in path))
        if anchor is not None:
            anchors[anchor] = _Anchor(frame.data, path, mark, 0, open=True)
        stack.append(frame)

    def _close(
        self, doc: LocatedDocument, stack: list[_Frame], anchors: dict[str, _Anchor]
    ) -> None:
        frame = stack.pop()
        for source, source_path in frame.merges:
            # own keys win, then earlier sources over later ones (the merge-key spec)
            for key, value in source.items():
                if key not in frame.data:
                    frame.data[key] = value
                    doc.aliases[(*frame.path, key)] = (*source_path, key)
        if frame.anchor is not None:
            anchor = anchors.get(frame.anchor)
            if anchor is not None and anchor.value is frame.data:
                anchor.size, anchor.open = self.nodes - frame.nodes_before + 1, False
        self._place(frame.data, frame.mark, doc, stack, recorded=True)

    def _alias(
        self, event: Any, doc: LocatedDocument, stack: list[_Frame], anchors: dict[str, _Anchor]
    ) -> None:
        mark = event.start_mark
        anchor = anchors.get(event.anchor)
        if anchor is None:
            raise _syntax(self._loc(mark), f"found undefined alias {event.anchor!r}")
        top = stack[-1] if stack else None
        path = top.child() if top is not None else ()
        if anchor.open:
            raise _Refusal(Problem(self._loc(mark), _where(top, path),
                f"alias *{event.anchor} refers to a collection that contains it",
                expected="an alias to a node completed before it"))  # fmt: skip
        self._count(mark, anchor.size, alias=True)
        if top is not None and path is None:
            top.key_end = event.end_mark
        if path and path != anchor.path:
            doc.aliases[path] = anchor.path
        self._place(anchor.value, anchor.mark, doc, stack, recorded=False)

    def _place(
        self, value: Any, at: Mark, doc: LocatedDocument, stack: list[_Frame], *, recorded: bool
    ) -> None:
        """Put a finished node into its parent (or make it the document's root)."""
        if not stack:
            doc.data = value
            doc.marks[()] = _pack(at)
            return
        top = stack[-1]
        data = top.data
        if top.is_list:
            if top.cap is not None and len(data) >= top.cap[0]:
                limit, what = top.cap
                own = doc.marks.get(top.path)
                where = self._loc(at) if own is None else doc._location(own)
                raise _Refusal(Problem(where,
                    format_path(top.path), f"too many {what}: the limit is {limit:,}",
                    expected=f"at most {limit:,} {what}", found=f"more than {limit:,}"),
                    stop=True)  # fmt: skip
            if not recorded:
                doc.marks[(*top.path, len(data))] = _pack(at)
            data.append(value)
        elif not top.has_key:
            if isinstance(value, dict | list):
                raise _Refusal(Problem(self._loc(at), format_path(top.path), _COMPLEX_KEY,
                                       expected="a key such as name"))  # fmt: skip
            self._key(top, value, at)
        elif top.key is MERGE:
            top.has_key = False
            self._merge_source(top, value, self._loc(at))
        else:
            top.has_key = False
            key = top.key
            if key in top.seen:
                raise _Refusal(Problem(self._loc(top.key_mark), "",
                    "YAML syntax error: while constructing a mapping found duplicate key "
                    f'"{key}" with value "{value}" (original value: "{top.seen[key]}")'))  # fmt: skip
            top.seen[key] = value
            if not recorded:
                path = (*top.path, top.key_text)
                doc.marks[path] = _pack(at)
                doc.key_marks[path] = _pack(top.key_mark)
            data[top.key_text] = value

    def _key(self, top: _Frame, key: Any, at: Mark) -> None:
        top.has_key = True
        top.key_mark = at
        top.key = key
        if key is MERGE:
            if top.merge_mark is not None:
                raise _Refusal(Problem(self._loc(at), "", "YAML syntax error: while "
                                       'constructing a mapping found duplicate merge key "<<"'))  # fmt: skip
            top.merge_mark = at
        else:
            top.key_text = key if isinstance(key, str | int) else str(key)

    @staticmethod
    def _merge_source(top: _Frame, value: Any, at: Location) -> None:
        path = (*top.path, "<<")
        if isinstance(value, dict):
            top.merges.append((value, path))
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    raise _syntax(at, "while constructing a mapping expected a mapping for "
                                  f"merging, but found {_node_kind(item)}")  # fmt: skip
                top.merges.append((item, (*path, index)))
            return
        raise _syntax(at, "while constructing a mapping expected a mapping or list of "
                      f"mappings for merging, but found {_node_kind(value)}")  # fmt: skip


def _node_kind(value: Any) -> str:
    return "sequence" if isinstance(value, list) else "scalar"


def _mark_problem(file: str, exc: yaml.MarkedYAMLError, text: str = "") -> Problem:
    mark = exc.problem_mark or exc.context_mark
    location = Location(file, mark.line + 1, mark.column + 1) if mark is not None else None
    problem = exc.problem
    if problem == "found character that cannot start any token" and mark is not None:
        # libyaml leaves the character out; PyYAML's wording names it, as always shown
        lines = text.splitlines(keepends=True)
        if mark.line < len(lines) and mark.column < len(lines[mark.line]):
            problem = (
                f"found character {lines[mark.line][mark.column]!r} that cannot start any token"
            )
    message = " ".join(part for part in (exc.context, problem) if part)
    return Problem(location, "", f"YAML syntax error: {message or exc}")


# Past this size a syntax error keeps libyaml's wording rather than re-parsing the text
# with the pure-Python parser (whose wording the messages have always had) — a
# large hostile text must not take seconds to refuse.
_REWORD_CHARS = 64 * 1024


def _compose(
    text: str,
    file: str,
    limits: InputLimits,
    pure: bool,
    caps: ListCaps | None = None,
    keep: int | None = None,
    on_document: OnDocument | None = None,
) -> list[LocatedDocument]:
    if not pure and len(text) <= _REWORD_CHARS and "\t" in text:
        pure = True  # tabs are where the parsers differ most; small text: PyYAML's verdict

    def again() -> list[LocatedDocument]:  # the same reading by the pure parser
        return _compose(text, file, limits, True, caps, keep, on_document)

    composer: _Composer | None = None
    try:
        c_marks = _CParser is not None and not pure
        composer = _Composer(file, limits, text, c_marks, caps, keep, on_document)
        documents = composer.run(_parser(text, pure))
        tab = composer.misplaced_tab()
        if tab is None:
            return documents
        if len(text) <= _REWORD_CHARS:
            return again()
        raise ManifestError([tab])
    except _Refusal as refusal:
        raise ManifestError([_tab_before(composer, refusal.problem)]) from None
    except yaml.MarkedYAMLError as exc:
        problem = _mark_problem(file, exc, text)
        if "maximum nesting depth" in str(exc.problem):
            # libyaml's own ceiling (1,000 flow levels) met while it looked ahead of ours
            where = problem.location or Location(file, 1, 1)
            problem = Problem(where, "", limit_message(
                "the nesting of mappings and lists", limits.depth, "depth"),
                expected=f"at most {limits.depth} levels")  # fmt: skip
            raise ManifestError([_tab_before(composer, problem)]) from None
        if not pure and len(text) <= _REWORD_CHARS:
            # the two parsers disagree on a few corners (libyaml is the stricter there):
            # on text this small the pure parser's verdict is the one always given
            return again()
        raise ManifestError([_tab_before(composer, problem)]) from None
    except yaml.YAMLError as exc:  # any other parser failure still refuses the input cleanly
        raise ManifestError([Problem(Location(file, 1, 1), "", f"YAML error: {exc}")]) from None


def _tab_before(composer: _Composer | None, problem: Problem) -> Problem:
    """``problem``, or the tab PyYAML refuses before it: libyaml reads on past a tab
    PyYAML stops at, so on a large text (not re-read by the pure parser) a refusal met
    later would otherwise replace the first error PyYAML has always reported."""
    if composer is None or problem.location is None:
        return problem
    composer.stopped_at = (problem.location.line - 1, problem.location.col - 1)
    return composer.misplaced_tab() or problem


def _check_text(text: str, file: str, limits: InputLimits) -> None:
    # characters are at most 4 bytes, so a short text is within the size limit; the bytes
    # serve the size check and the printable-text check below (one encoding, not two)
    raw = text.encode("utf-8", "surrogatepass")
    if len(text) * 4 > limits.file_bytes and len(raw) > limits.file_bytes:
        raise ManifestError([_too_big(file, len(raw), limits)])
    # a document marker at column 0 always starts a document, so counting them refuses
    # a 100,000-document stream before any is parsed
    if text.count("---") > limits.documents:
        for index, marker in enumerate(_DOCUMENT_MARKER.finditer(text)):
            if index == limits.documents:
                line = text.count("\n", 0, marker.start()) + 1
                raise ManifestError([_Composer(file, limits).documents_breach(line)])
    bom = text.find("\ufeff", 1)
    if bom > 0:
        before = text[:bom]
        line, col = before.count("\n") + 1, bom - (before.rfind("\n") + 1) + 1
        raise ManifestError([Problem(Location(file, line, col), "",
            "YAML syntax error: a byte-order mark (U+FEFF) is allowed only at the start of the text")])  # fmt: skip
    bad = _non_printable(text, raw)
    if bad is not None:
        before = text[: bad.start()]
        line = before.count("\n") + 1
        col = bad.start() - (before.rfind("\n") + 1) + 1
        raise ManifestError([Problem(Location(file, line, col), "",
            f"YAML syntax error: control character U+{ord(bad[0]):04X} is not allowed in YAML text")])  # fmt: skip


def _too_big(file: str, size: int, limits: InputLimits) -> Problem:
    return Problem(
        Location(file, 1, 1),
        "",
        limit_message(f"a file of {size:,} bytes", limits.file_bytes, "file_bytes"),
        expected=f"at most {limits.file_bytes:,} bytes",
    )


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a block that builds many small objects.

    Composing a large text (and validating its documents) allocates millions of dicts and
    tuples and keeps them; each allocation burst triggers collections that walk all of
    them again, nearly half the time of a 10,000-document file. The data is acyclic (an
    alias to an enclosing collection is refused) and reference counting still frees what
    is dropped, so nothing leaks; the collector is resumed (if it was running) after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_yaml_documents(
    text: str,
    file: str,
    *,
    limits: InputLimits | None = None,
    pure: bool = False,
    caps: ListCaps | None = None,
    keep: int | None = None,
    on_document: OnDocument | None = None,
) -> list[LocatedDocument]:
    """Parse every document in ``text``; any problem raises a located ManifestError.

    ``pure=True`` uses the pure-Python parser even where libyaml is installed (the two
    give identical data and positions; tests compare them). ``caps`` bounds the lists a
    schema bounds, while they are read (10,000 compute groups are refused at the 101st).
    With ``keep``, reading stops at the document after the first ``keep``: it comes back
    with ``data=None`` and its start, and nothing after it is read (an estate file wants
    exactly one, and refuses a longer stream at its second document).
    ``on_document`` sees each document as soon as it is composed (see :data:`OnDocument`);
    when it returns True the rest of the text is not read and the documents so far are
    returned — a caller that has found enough problems stops paying for the rest.
    """
    limits = limits or InputLimits.from_env()
    _check_text(text, file, limits)
    with without_cycle_collection():
        return _compose(text, file, limits, pure, caps, keep, on_document)


def load_yaml_file(
    path: str,
    *,
    limits: InputLimits | None = None,
    caps: ListCaps | None = None,
    keep: int | None = None,
    on_document: OnDocument | None = None,
) -> list[LocatedDocument]:
    """Read and parse a YAML file; unreadable, oversized or non-UTF-8 files are refused."""
    limits = limits or InputLimits.from_env()
    try:
        with open(path, "rb") as handle:
            text = read_text(handle, path, limits=limits)
    except OSError as exc:
        raise ManifestError(
            [Problem(Location(path, 1, 1), "", f"cannot read {path}: {exc.strerror}")]
        ) from exc
    return load_yaml_documents(
        text, path, limits=limits, caps=caps, keep=keep, on_document=on_document
    )


def read_text(handle: BinaryIO, name: str, *, limits: InputLimits | None = None) -> str:
    """The UTF-8 text of ``handle`` (a file or stdin), refused with a location when it is
    over the file-size limit or not UTF-8; never reads more than the limit allows."""
    limits = limits or InputLimits.from_env()
    raw = read_bounded(handle, limits.file_bytes)
    if len(raw) > limits.file_bytes:
        raise ManifestError([_too_big(name, _size_of(name, len(raw)), limits)])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # point at the first offending byte so the user can find it in their editor
        line = raw.count(b"\n", 0, exc.start) + 1
        col = len(raw[raw.rfind(b"\n", 0, exc.start) + 1 : exc.start].decode("utf-8")) + 1
        where = Location(name, line, col)
        found = f"byte 0x{raw[exc.start]:02x}"
        raise ManifestError(
            [Problem(where, "", "file is not UTF-8 text", expected="UTF-8", found=found)]
        ) from exc


def read_bounded(handle: BinaryIO, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of ``handle`` (one more tells the caller it is too big),
    read in chunks so a small file costs little and ``/dev/zero`` or a pipe stays bounded."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = handle.read(min(2**20, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _size_of(path: str, at_least: int) -> int:
    try:
        return max(os.stat(path).st_size, at_least)
    except OSError:
        return at_least
