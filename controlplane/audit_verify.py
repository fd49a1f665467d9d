"""Verifying the audit log: every break in the chain, named, and never a crash.

The stored rows are read as raw values, so a row someone has damaged (a timestamp that
is not one, a payload that is not JSON, an unknown algorithm) is reported as tampering
with the field named instead of failing the read. Then:

- sequence gaps and repeats name removed and reordered events; a previous-hash link
  that does not match names the event whose predecessor changed;
- each keyed event's HMAC is recomputed with the key it names. A lone mismatch between
  good events is an edit; a run of them is a re-chaining; a run that reaches the head is
  re-chaining when a signed checkpoint covers its start, else a forged append. An event
  without a key after keyed ones is a forgery too;
- the signed checkpoints (outside the database) anchor the head: a log ending before
  the latest checkpoint was truncated, and an event whose hash differs from a
  checkpoint's was rewritten.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from controlplane.audit_checkpoints import Checkpoint, read_checkpoints
from controlplane.audit_config import ALGORITHMS, AuditConfig, config_of
from controlplane.audit_events import GENESIS, event_body, event_hash
from controlplane.audit_keys import Keyring
from controlplane.i18n import Lang, tr

__all__ = ["AuditBreak", "AuditReport", "BreakKind", "inspect", "verify"]

BreakKind = Literal[
    "removed",
    "reordered",
    "link",
    "altered",
    "rechained",
    "forged",
    "unkeyed",
    "unknown_key",
    "truncated",
    "emptied",
    "rewritten",
    "malformed",
    "checkpoint",
]


@dataclass(frozen=True)
class AuditBreak:
    """Where the log stops holding, and why: an event (``seq``) or a checkpoint line."""

    seq: int
    kind: BreakKind
    detail: Mapping[str, str | int] = field(default_factory=dict)
    where: str | None = None  # a checkpoint file:line, for breaks outside the database

    def describe(self, lang: Lang) -> str:
        reason = tr(f"audit.break.{self.kind}", lang).format(**self.detail)
        if self.where is not None:
            return f"{self.where}: {reason}"
        return f"{tr('audit.event', lang)} #{self.seq}: {reason}"

    @property
    def reason(self) -> str:
        return tr(f"audit.break.{self.kind}", "en").format(**self.detail)

    def __str__(self) -> str:
        return self.describe("en")


@dataclass(frozen=True)
class AuditReport:
    """The verdict and what it rests on."""

    breaks: list[AuditBreak]
    head: int  # the last stored event's number (0 when the log is empty)
    checkpoint: Checkpoint | None  # the latest checkpoint whose signature verifies
    unkeyed: int  # events chained before the key ring existed

    @property
    def intact(self) -> bool:
        return not self.breaks

    @property
    def unanchored(self) -> int:
        """Events after the latest checkpoint: the key alone vouches for them."""
        return max(self.head - (self.checkpoint.seq if self.checkpoint else 0), 0)


@dataclass(frozen=True)
class _Row:
    seq: int
    hash: str
    prev_hash: str
    key_id: str | None
    body: bytes | None  # None when the row is malformed
    algorithm: str


T = TypeVar("T")
_ANCHOR_KINDS = frozenset({"rewritten", "truncated", "emptied"})
_NAMES = (
    "seq", "at", "actor", "action", "subject", "payload", "algorithm", "prev_hash", "hash", "key_id",
)  # fmt: skip


def _query(dialect: str) -> TextClause:
    """Every column raw: no driver may parse (and choke on) a tampered value first.

    SQLite hands back whatever was stored, bytes that are not UTF-8 included: read as
    BLOB, decoded here. psycopg refuses PostgreSQL's 'infinity' timestamp: read as text.
    """
    if dialect == "sqlite":
        columns = ["seq", *(f"CAST({name} AS BLOB)" for name in _NAMES[1:])]
    else:
        cast = {"at", "payload"}
        columns = [f"CAST({n} AS TEXT)" if n in cast else n for n in _NAMES]
    return text(f"SELECT {', '.join(columns)} FROM audit_event ORDER BY seq")


def _at(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError("expected a timestamp")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _payload(value: Any) -> dict[str, Any]:
    if isinstance(value, (str, bytes)):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise TypeError("expected a JSON object")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


def _algorithm(value: Any) -> str:
    if value not in ALGORITHMS:
        raise ValueError(f"{value!r} is not one of {', '.join(ALGORITHMS)}")
    return str(value)


def _key_id(value: Any) -> str | None:
    return None if value is None else _text(value)


class _Malformed(Exception):
    def __init__(self, name: str, problem: str) -> None:
        super().__init__(name, problem)
        self.name, self.problem = name, problem


def _field(name: str, parse: Callable[[Any], T], value: Any) -> T:
    try:
        return parse(value)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise _Malformed(name, str(exc) or type(exc).__name__) from exc


def _utf8(value: Any) -> Any:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _decode(values: Sequence[Any]) -> tuple[_Row, tuple[str, str] | None]:
    """The row, and (field, problem) when a stored value is not what append writes."""
    decoded: list[Any] = []
    undecodable: tuple[str, str] | None = None
    for name, value in zip(_NAMES, values, strict=True):
        try:
            decoded.append(_field(name, _utf8, value))
        except _Malformed as exc:
            decoded.append(None)
            undecodable = undecodable or (exc.name, exc.problem)
    seq, at, actor, action, subject, payload, algorithm, prev_hash, stored, key_id = decoded
    row = _Row(
        seq,
        stored if isinstance(stored, str) else "",
        prev_hash if isinstance(prev_hash, str) else "",
        key_id if isinstance(key_id, str) else None,
        None,
        str(algorithm),
    )
    if undecodable is not None:
        return row, undecodable
    try:
        fields: dict[str, Any] = {
            "seq": seq,
            "at": _field("at", _at, at),
            "actor": _field("actor", _text, actor),
            "action": _field("action", _text, action),
            "subject": _field("subject", _text, subject),
            "payload": _field("payload", _payload, payload),
            "prev_hash": _field("prev_hash", _text, prev_hash),
            "algorithm": _field("algorithm", _algorithm, algorithm),
            "key_id": _field("key_id", _key_id, key_id),
        }
        _field("hash", _text, stored)
        # a JSON escape of a lone surrogate parses, then cannot be encoded
        body = _field("payload", lambda f: event_body(**f), fields)
    except _Malformed as exc:
        return row, (exc.name, exc.problem)
    return replace(row, body=body), None


class _Walk:
    """One pass over the rows in order, collecting breaks and the keyed-hash failures."""

    def __init__(self, keyring: Keyring | None, keyring_path: str) -> None:
        self.keyring = keyring
        self.keyring_path = keyring_path
        self.breaks: list[AuditBreak] = []
        self.rows: list[_Row] = []
        self.bad: list[int] = []  # positions (in rows) whose keyed hash does not verify
        self.unkeyed = 0
        self._missing_keys: set[str] = set()
        self._keyed_from: int | None = None

    def add(self, values: Sequence[Any]) -> None:
        position = len(self.rows)
        expected, prev = (self.rows[-1].seq + 1, self.rows[-1].hash) if self.rows else (1, GENESIS)
        row, broken = _decode(values)
        self.rows.append(row)
        if row.seq > expected:
            self.breaks.append(AuditBreak(row.seq, "removed", {"expected": expected}))
        elif row.seq < expected:
            self.breaks.append(AuditBreak(row.seq, "reordered", {"expected": expected}))
        if row.prev_hash != prev:
            self.breaks.append(AuditBreak(row.seq, "link"))
        if broken is not None:
            self.breaks.append(
                AuditBreak(row.seq, "malformed", {"field": broken[0], "problem": broken[1]})
            )
            return
        self._seal(position, row)

    def _seal(self, position: int, row: _Row) -> None:
        assert row.body is not None
        if row.key_id is None:
            self.unkeyed += 1
            if self._keyed_from is not None:
                self.breaks.append(AuditBreak(row.seq, "unkeyed", {"keyed": self._keyed_from}))
            elif event_hash(row.body, row.algorithm, None) != row.hash:
                self.breaks.append(AuditBreak(row.seq, "altered"))
            return
        if self._keyed_from is None:
            self._keyed_from = row.seq
        key = self.keyring.get(row.key_id) if self.keyring is not None else None
        if key is None:
            if row.key_id not in self._missing_keys:
                self._missing_keys.add(row.key_id)
                detail = {"key": row.key_id, "keyring": self.keyring_path}
                self.breaks.append(AuditBreak(row.seq, "unknown_key", detail))
            return
        if not hmac.compare_digest(event_hash(row.body, row.algorithm, key.secret), row.hash):
            self.bad.append(position)

    def classify(self, checkpoint: Checkpoint | None) -> None:
        """Name each run of events whose keyed hash fails: edit, re-chain or forgery."""
        runs: list[list[int]] = []
        for position in self.bad:
            if runs and runs[-1][-1] == position - 1:
                runs[-1].append(position)
            else:
                runs.append([position])
        for run in runs:
            first, last = self.rows[run[0]].seq, self.rows[run[-1]].seq
            detail: dict[str, str | int] = {"first": first, "last": last}
            if run[-1] != len(self.rows) - 1:
                kind: BreakKind = "altered" if len(run) == 1 else "rechained"
            elif checkpoint is not None and first <= checkpoint.seq:
                kind = "rechained"
            else:
                kind = "forged"
            self.breaks.append(AuditBreak(first, kind, detail))

    def anchor(self, checkpoints: list[Checkpoint]) -> Checkpoint | None:
        """Check the rows against every signed checkpoint; the latest one is returned."""
        if not checkpoints:
            return None
        latest = max(checkpoints, key=lambda c: (c.seq, c.at))
        head = self.rows[-1].seq if self.rows else 0
        stored = {row.seq: row.hash for row in self.rows}
        for anchored in sorted(checkpoints, key=lambda c: c.seq):
            found = stored.get(anchored.seq)
            if found is not None and not hmac.compare_digest(found, anchored.hash):
                at = anchored.at.isoformat(timespec="seconds")
                self.breaks.append(AuditBreak(anchored.seq, "rewritten", {"at": at}))
                break
        if latest.seq > head:
            detail: dict[str, str | int] = {
                "head": head,
                "first": head + 1,
                "last": latest.seq,
                "at": latest.at.isoformat(timespec="seconds"),
            }
            kind: BreakKind = "emptied" if head == 0 else "truncated"
            self.breaks.append(AuditBreak(head + 1, kind, detail))
        return latest


def inspect(session: Session) -> AuditReport:
    """Verify the stored log against the key ring and the signed checkpoints."""
    config: AuditConfig = config_of(session)
    keyring = Keyring.load(config.keyring)
    walk = _Walk(keyring, str(config.keyring))
    for values in session.execute(_query(session.get_bind().dialect.name)):
        walk.add(tuple(values))
    checkpoints, problems = read_checkpoints(config.checkpoint_files, keyring)
    latest = walk.anchor(checkpoints)
    walk.classify(latest)
    # by event; at one event the chain's own verdict before the checkpoint's
    walk.breaks.sort(key=lambda b: (b.seq, b.kind in _ANCHOR_KINDS))
    walk.breaks.extend(
        AuditBreak(0, "checkpoint", {"problem": p.reason}, where=p.where) for p in problems
    )
    head = walk.rows[-1].seq if walk.rows else 0
    return AuditReport(walk.breaks, head, latest, walk.unkeyed)


def verify(session: Session) -> list[AuditBreak]:
    """Every break in the stored log, in order; empty when the log is intact."""
    return inspect(session).breaks
