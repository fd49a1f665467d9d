"""Signed checkpoints of the audit chain's head, kept outside the database.

A checkpoint says "the log held events #1..#seq and #seq's hash was H", HMAC-signed with
the audit key. Written as one JSON line appended to the checkpoint file (and its mirror,
if configured) every N events and on demand, it is what lets verification notice that
the newest events were deleted — which no chain stored in the database alone can show.

Reading never trusts the file: a line that does not parse, or whose signature does not
verify under the key ring, is reported as a problem with its ``file:line``, and only
lines that verify count towards the latest checkpoint.
"""

from __future__ import annotations

import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from controlplane.audit_config import ALGORITHMS, AuditSetupError
from controlplane.audit_keys import Keyring, keyed_hash

__all__ = ["Checkpoint", "CheckpointProblem", "CheckpointWriter", "read_checkpoints", "sign"]

_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime
    key_id: str
    algorithm: str
    signature: str

    def body(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at.isoformat(),
            "key": self.key_id,
            "alg": self.algorithm,
        }

    def line(self) -> str:
        return json.dumps({**self.body(), "sig": self.signature}, sort_keys=True) + "\n"


def _signed_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(keyring: Keyring, *, seq: int, head_hash: str, at: datetime, algorithm: str) -> Checkpoint:
    """A checkpoint of head ``seq``/``head_hash`` signed with the ring's active key."""
    key = keyring.active
    unsigned = Checkpoint(seq, head_hash, at, key.id, algorithm, "")
    signature = keyed_hash(algorithm, key.secret, _signed_bytes(unsigned.body()))
    return Checkpoint(seq, head_hash, at, key.id, algorithm, signature)


class CheckpointWriter:
    """Appends checkpoint lines; opened before the database commits, written after.

    Opening first means a checkpoint file that cannot be written (permissions, a missing
    mount) stops the transaction before anything is committed; writing after the commit
    means no checkpoint ever names an event that was rolled back.
    """

    def __init__(self, paths: tuple[Path, ...]) -> None:
        self._fds: list[int] = []
        try:
            for path in paths:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._fds.append(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644))
        except OSError as exc:
            self.close()
            raise AuditSetupError(f"cannot open the audit checkpoint file: {exc}") from exc

    def write(self, checkpoint: Checkpoint) -> None:
        # one O_APPEND write per line: concurrent writers never interleave inside a line
        data = checkpoint.line().encode()
        try:
            for fd in self._fds:
                os.write(fd, data)
                os.fsync(fd)
        finally:
            self.close()

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds.clear()


@dataclass(frozen=True)
class CheckpointProblem:
    """A checkpoint line that cannot be trusted: tampering with the file itself."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def read_checkpoints(
    paths: tuple[Path, ...], keyring: Keyring | None
) -> tuple[list[Checkpoint], list[CheckpointProblem]]:
    """Every checkpoint that verifies in ``paths``, and every line that does not."""
    found: list[Checkpoint] = []
    problems: list[CheckpointProblem] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(CheckpointProblem(str(path), f"unreadable ({exc})"))
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            checkpoint, reason = _parse(line, keyring)
            if checkpoint is None:
                problems.append(CheckpointProblem(where, reason))
            else:
                found.append(checkpoint)
    return found, problems


def _parse(line: str, keyring: Keyring | None) -> tuple[Checkpoint | None, str]:
    try:
        raw = json.loads(line)
        if not isinstance(raw, dict):
            raise TypeError("not a JSON object")
        seq, head, key_id, algorithm, sig = (
            raw["seq"],
            raw["hash"],
            raw["key"],
            raw["alg"],
            raw["sig"],
        )
        at = datetime.fromisoformat(raw["at"])
        if type(seq) is not int or seq < 0:
            raise ValueError("seq: expected a whole number")
        if not (isinstance(head, str) and len(head) == 64 and set(head) <= _HEX):
            raise ValueError("hash: expected 64 hex digits")
        if not isinstance(key_id, str) or algorithm not in ALGORITHMS or not isinstance(sig, str):
            raise ValueError("key/alg/sig: expected a key id, sha256 or sm3, a signature")
    except (ValueError, KeyError, TypeError) as exc:
        return None, f"malformed checkpoint line (expected seq, hash, at, key, alg, sig): {exc}"
    key = keyring.get(key_id) if keyring is not None else None
    if key is None:
        return None, f"checkpoint signed with key {key_id!r}, which the key ring does not hold"
    checkpoint = Checkpoint(seq, head, at, key_id, algorithm, sig)
    if not hmac.compare_digest(
        keyed_hash(algorithm, key.secret, _signed_bytes(checkpoint.body())), sig
    ):
        return None, "forged checkpoint: its signature does not verify"
    return checkpoint, ""
