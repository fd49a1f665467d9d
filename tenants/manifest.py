"""Reading request manifests: one file, one or more ``SystemRequest`` documents.

:func:`load_requests` validates every document of a file and reports the problems of all
of them together (one :class:`~tenants.errors.ManifestError`), so a department fixes a
file in one pass. Each :class:`ParsedRequest` keeps its
:class:`~tenants.located.LocatedDocument`, so checks that need the estate (unknown
tenant, unknown flavour, an ineligible pinned provider) can still point at
``file:line:col`` with ``parsed.document.problem(path, message)``.

Documents left empty (a stray ``---``) are skipped, as ``kubectl`` does; a file with no
document at all is an error. A document whose ``apiVersion`` or ``kind`` is wrong is
reported for that alone — its other fields belong to some other schema. Imports no other
govcloud package.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tenants.bounds import REQUEST_LIST_CAPS
from tenants.errors import Location, ManifestError, Problem
from tenants.limits import ENV_PREFIX, InputLimits
from tenants.located import (
    LocatedDocument,
    load_yaml_documents,
    load_yaml_file,
    without_cycle_collection,
)
from tenants.request import API_VERSION, KIND, SystemRequest
from tenants.validation import SharedValues, parse_model

__all__ = ["ParsedRequest", "load_requests", "parse_requests"]


@dataclass(frozen=True)
class ParsedRequest:
    """A validated request and the document it came from (for located follow-up checks)."""

    request: SystemRequest
    document: LocatedDocument
    index: int
    """0-based position among the file's documents."""
    _memo: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    """The spec hash once computed (the request is immutable; plan and record both ask)."""

    @property
    def name(self) -> str:
        return self.request.metadata.name

    @property
    def tenant(self) -> str:
        return self.request.metadata.tenant

    @property
    def location(self) -> Location:
        """Where the document starts."""
        return self.document.start

    def spec_hash(self) -> str:
        """See :meth:`tenants.request.SystemRequest.spec_hash` (computed once)."""
        found = self._memo.get("spec_hash")
        if found is None:
            found = self._memo["spec_hash"] = self.request.spec_hash()
        return found


class _Header(BaseModel):
    """Just enough of a document to know it is ours; the rest is judged after."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    api_version: Literal["govcloud.io/v1"] = Field(alias="apiVersion")
    kind: Literal["SystemRequest"]


def _kind_of(value: Any) -> str:
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(value)


def _validate(doc: LocatedDocument, shared: SharedValues) -> SystemRequest:
    if not isinstance(doc.data, dict):
        raise ManifestError(
            [
                doc.problem(
                    (),
                    "a manifest document must be a mapping",
                    expected="a mapping with apiVersion, kind, metadata and spec",
                    found=_kind_of(doc.data),
                )
            ]
        )
    data = doc.data
    if data.get("apiVersion") != API_VERSION or data.get("kind") != KIND:
        parse_model(_Header, doc)  # refuses it with the header's problems alone
    return parse_model(SystemRequest, doc, shared=shared)


def _duplicate(first: dict[str, ParsedRequest], item: ParsedRequest) -> Problem | None:
    """``item`` as a duplicate of an earlier request of the file (``first``, by name)."""
    earlier = first.setdefault(item.name, item)
    if earlier is item:
        return None
    earlier_line = earlier.document.locate(("metadata", "name")).line
    return item.document.problem(
        ("metadata", "name"),
        f"duplicate system name {item.name!r} in this file",
        expected=f"a name not already used at line {earlier_line}",
        found=repr(item.name),
    )


class _Reader:
    """Validates documents one by one as they are composed, and says when to stop.

    Reading stops once ``limits.problems`` problems are found: a stream of thousands of
    bad documents is refused after the first hundred problems, without composing the
    rest. Called with index 0 again (a small text re-read by the pure parser), it starts
    over.
    """

    def __init__(self, file: str, limits: InputLimits) -> None:
        self.file = file
        self.limit = limits.problems
        self._start()

    def _start(self) -> None:
        self.parsed: list[ParsedRequest] = []
        self.problems: list[Problem] = []
        self.duplicates: list[Problem] = []  # after every other problem, as always reported
        self.first: dict[str, ParsedRequest] = {}
        self.seen_any = False
        self.stopped: LocatedDocument | None = None
        self.shared = SharedValues()  # the file's value models, one instance per input

    def __call__(self, index: int, doc: LocatedDocument) -> bool:
        """Validate document ``index``; True when enough problems are found to stop."""
        if index == 0:
            self._start()
        if doc.data is None:
            return False
        self.seen_any = True
        try:
            item = ParsedRequest(_validate(doc, self.shared), doc, index)
        except ManifestError as exc:
            self.problems.extend(exc.problems)
        else:
            self.parsed.append(item)
            duplicate = _duplicate(self.first, item)
            if duplicate is not None:
                self.duplicates.append(duplicate)
        if len(self.problems) + len(self.duplicates) >= self.limit:
            self.stopped = doc
            return True
        return False

    def result(self) -> list[ParsedRequest]:
        """The requests, or one ManifestError with every problem found."""
        problems = self.problems + self.duplicates
        if not self.seen_any:
            problems.append(
                Problem(
                    Location(self.file, 1, 1),
                    "",
                    "no SystemRequest in the file",
                    expected="at least one YAML document",
                    found="an empty file",
                )
            )
        if self.stopped is not None:
            start = self.stopped.start
            problems.append(
                Problem(
                    start,
                    "",
                    f"stopped reading after {len(problems):,} problems; the documents after "
                    f"the one at line {start.line} were not checked",
                    expected=f"at most {self.limit:,} problems "
                    f"({ENV_PREFIX}PROBLEMS raises the limit)",
                )
            )
        if problems:
            raise ManifestError(problems)
        return self.parsed


def parse_requests(
    documents: Iterable[LocatedDocument], file: str, *, limits: InputLimits | None = None
) -> list[ParsedRequest]:
    """Validate the loaded documents of ``file``; raises one ManifestError with every problem
    (up to ``limits.problems``: validation stops there, and the refusal says so)."""
    reader = _Reader(file, limits or InputLimits.from_env())
    for index, doc in enumerate(documents):
        if reader(index, doc):
            break
    return reader.result()


def load_requests(
    source: str | os.PathLike[str], *, name: str | None = None
) -> list[ParsedRequest]:
    """Parse a manifest: a path (``pathlib.Path`` or other ``PathLike``) or YAML text.

    A ``str`` is YAML text, reported as ``name`` (default ``<input>``) — the CLI reads
    ``-f -`` from stdin and passes ``name="<stdin>"``; a path is reported as written.
    Raises :class:`ManifestError` listing every problem of every document, each located
    ``file:line:col``.
    """
    limits = InputLimits.from_env()
    reader = _Reader((name or "<input>") if isinstance(source, str) else os.fspath(source), limits)
    # the collector resumes only once the reading's table of shared values (a key for
    # every value block validated) is let go: it would walk the keys for nothing
    with without_cycle_collection():
        if isinstance(source, str):
            load_yaml_documents(source, reader.file, limits=limits, caps=REQUEST_LIST_CAPS,
                                on_document=reader)  # fmt: skip
        else:
            load_yaml_file(reader.file, limits=limits, caps=REQUEST_LIST_CAPS, on_document=reader)
        reader.shared.found.clear()
    return reader.result()
