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
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tenants.bounds import REQUEST_LIST_CAPS
from tenants.errors import Location, ManifestError, Problem
from tenants.located import LocatedDocument, load_yaml_documents, load_yaml_file
from tenants.request import SystemRequest
from tenants.validation import parse_model

__all__ = ["ParsedRequest", "load_requests", "parse_requests"]


@dataclass(frozen=True)
class ParsedRequest:
    """A validated request and the document it came from (for located follow-up checks)."""

    request: SystemRequest
    document: LocatedDocument
    index: int
    """0-based position among the file's documents."""

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
        """See :meth:`tenants.request.SystemRequest.spec_hash`."""
        return self.request.spec_hash()


class _Header(BaseModel):
    """Just enough of a document to know it is ours; the rest is judged after."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    api_version: Literal["govcloud.io/v1"] = Field(alias="apiVersion")
    kind: Literal["SystemRequest"]


def _kind_of(value: Any) -> str:
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(value)


def _validate(doc: LocatedDocument) -> SystemRequest:
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
    parse_model(_Header, doc)
    return parse_model(SystemRequest, doc)


def _duplicates(parsed: Iterable[ParsedRequest]) -> list[Problem]:
    first: dict[str, ParsedRequest] = {}
    problems: list[Problem] = []
    for item in parsed:
        earlier = first.setdefault(item.name, item)
        if earlier is not item:
            earlier_line = earlier.document.locate(("metadata", "name")).line
            problems.append(
                item.document.problem(
                    ("metadata", "name"),
                    f"duplicate system name {item.name!r} in this file",
                    expected=f"a name not already used at line {earlier_line}",
                    found=repr(item.name),
                )
            )
    return problems


def parse_requests(documents: Iterable[LocatedDocument], file: str) -> list[ParsedRequest]:
    """Validate the loaded documents of ``file``; raises one ManifestError with every problem."""
    parsed: list[ParsedRequest] = []
    problems: list[Problem] = []
    seen_any = False
    for index, doc in enumerate(documents):
        if doc.data is None:
            continue
        seen_any = True
        try:
            parsed.append(ParsedRequest(_validate(doc), doc, index))
        except ManifestError as exc:
            problems.extend(exc.problems)
    if not seen_any:
        problems.append(
            Problem(
                Location(file, 1, 1),
                "",
                "no SystemRequest in the file",
                expected="at least one YAML document",
                found="an empty file",
            )
        )
    problems.extend(_duplicates(parsed))
    if problems:
        raise ManifestError(problems)
    return parsed


def load_requests(
    source: str | os.PathLike[str], *, name: str | None = None
) -> list[ParsedRequest]:
    """Parse a manifest: a path (``pathlib.Path`` or other ``PathLike``) or YAML text.

    A ``str`` is YAML text, reported as ``name`` (default ``<input>``) — the CLI reads
    ``-f -`` from stdin and passes ``name="<stdin>"``; a path is reported as written.
    Raises :class:`ManifestError` listing every problem of every document, each located
    ``file:line:col``.
    """
    if isinstance(source, str):
        file = name or "<input>"
        return parse_requests(load_yaml_documents(source, file, caps=REQUEST_LIST_CAPS), file)
    file = os.fspath(source)
    return parse_requests(load_yaml_file(file, caps=REQUEST_LIST_CAPS), file)
