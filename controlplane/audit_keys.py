"""The audit log's key ring: secret keys kept outside the database, and the keyed hash.

Each audit event and each checkpoint is an HMAC under one key of the ring (HMAC-SHA256,
or HMAC-SM3 per GB/T 32905 + RFC 2104 when SM3 is chosen). Whoever can write the database
but not read this file cannot produce a valid event: edits, re-chaining and appended
forgeries all fail the keyed hash.

The ring is a JSON-lines file, one key a line, the last line the key in use; it is
created with mode 0600 and refused when anyone but its owner can read it. Rotation
appends a new key and keeps the old ones, so the past still verifies (each event records
the id of the key that sealed it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gmssl import func, sm3

from controlplane.audit_config import AuditSetupError

__all__ = ["AuditKey", "Keyring", "keyed_hash", "plain_hash"]

_KEY_BYTES = 32
_SM3_BLOCK = 64


def plain_hash(algorithm: str, data: bytes) -> str:
    """The unkeyed digest events written before the key ring existed were chained with."""
    if algorithm == "sha256":
        return hashlib.sha256(data).hexdigest()
    if algorithm == "sm3":
        return str(sm3.sm3_hash(func.bytes_to_list(data)))
    raise ValueError(f"unknown audit hash algorithm {algorithm!r} (expected sha256 or sm3)")


def _sm3(data: bytes) -> bytes:
    return bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(data)))


def _hmac_sm3(key: bytes, data: bytes) -> str:
    # RFC 2104 over SM3 (block 64 bytes), as GM/T 0042 uses it; gmssl has no HMAC of its own
    if len(key) > _SM3_BLOCK:
        key = _sm3(key)
    key = key.ljust(_SM3_BLOCK, b"\0")
    inner = _sm3(bytes(b ^ 0x36 for b in key) + data)
    return _sm3(bytes(b ^ 0x5C for b in key) + inner).hex()


def keyed_hash(algorithm: str, key: bytes, data: bytes) -> str:
    """HMAC of ``data`` under ``key`` with the event's hash algorithm, as 64 hex digits."""
    if algorithm == "sha256":
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    if algorithm == "sm3":
        return _hmac_sm3(key, data)
    raise ValueError(f"unknown audit hash algorithm {algorithm!r} (expected sha256 or sm3)")


@dataclass(frozen=True)
class AuditKey:
    id: str
    secret: bytes
    created: datetime


@dataclass(frozen=True)
class Keyring:
    """Every key that ever sealed an event, the active (newest) one last."""

    path: Path
    keys: tuple[AuditKey, ...]

    @property
    def active(self) -> AuditKey:
        return self.keys[-1]

    def get(self, key_id: str) -> AuditKey | None:
        return next((key for key in self.keys if key.id == key_id), None)

    @classmethod
    def load(cls, path: Path) -> Keyring | None:
        """The ring at ``path``, or None when there is none yet."""
        try:
            info = path.stat()
        except FileNotFoundError:
            return None
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise AuditSetupError(
                f"{path}: audit key ring is readable by others "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); run `chmod 600 {path}`"
            )
        keys = tuple(_parse(path, number, line) for number, line in _lines(path))
        if not keys:
            raise AuditSetupError(f"{path}:1:1: audit key ring holds no key")
        return cls(path, keys)

    @classmethod
    def load_or_create(cls, path: Path, now: datetime) -> Keyring:
        """The ring at ``path``; the first call on a new home creates it with one key."""
        found = cls.load(path)
        if found is not None:
            return found
        _write_new(path, [_new_key(now)])
        created = cls.load(path)
        if created is None:  # pragma: no cover - the file was just linked into place
            raise AuditSetupError(f"{path}: audit key ring vanished while being created")
        return created

    def rotate(self, now: datetime) -> Keyring:
        """A new active key; the old ones stay so events they sealed keep verifying."""
        key = _new_key(now)
        # one O_APPEND write of a whole line: concurrent readers see the old ring or the new
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, _line(key).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return Keyring(self.path, (*self.keys, key))


def _new_key(now: datetime) -> AuditKey:
    key_id = f"k{now:%Y%m%d}-{secrets.token_hex(4)}"
    return AuditKey(key_id, secrets.token_bytes(_KEY_BYTES), now)


def _line(key: AuditKey) -> str:
    body = {"id": key.id, "created": key.created.isoformat(), "secret": key.secret.hex()}
    return json.dumps(body, sort_keys=True) + "\n"


def _write_new(path: Path, keys: list[AuditKey]) -> None:
    """Create the ring atomically with mode 0600; a concurrent creator's ring wins."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, "".join(_line(key) for key in keys).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)  # fails if another process created the ring meanwhile
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def _lines(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditSetupError(f"{path}: cannot read the audit key ring ({exc})") from exc
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _parse(path: Path, number: int, line: str) -> AuditKey:
    where = f"{path}:{number}:1"
    try:
        body = json.loads(line)
        key_id, created, secret = body["id"], body["created"], body["secret"]
        if not (isinstance(key_id, str) and 1 <= len(key_id) <= 32):
            raise ValueError("id: expected a string of 1 to 32 characters")
        key = AuditKey(key_id, bytes.fromhex(secret), datetime.fromisoformat(created))
    except (ValueError, KeyError, TypeError) as exc:
        raise AuditSetupError(
            f"{where}: malformed audit key (expected JSON with id, created, secret): {exc}"
        ) from exc
    if len(key.secret) < 16:
        raise AuditSetupError(f"{where}: audit key {key_id!r} is shorter than 16 bytes")
    return key
