"""What one audit event's hash covers, and how it is computed.

Shared by appending (:mod:`controlplane.audit`) and verifying
(:mod:`controlplane.audit_verify`), so both hash exactly the same bytes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from controlplane.audit_keys import keyed_hash, plain_hash

__all__ = ["GENESIS", "event_body", "event_hash"]

GENESIS = "0" * 64


def event_body(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    payload: dict[str, Any],
    prev_hash: str,
    algorithm: str,
    key_id: str | None,
) -> bytes:
    """The canonical bytes an event's hash covers (sorted JSON: storage order is moot)."""
    body: dict[str, Any] = {
        "seq": seq,
        "at": at.isoformat(),
        "actor": actor,
        "action": action,
        "subject": subject,
        "payload": payload,
        "prev": prev_hash,
        "alg": algorithm,
    }
    if key_id is not None:  # unkeyed (pre-key-ring) events keep their original body
        body["key"] = key_id
    return json.dumps(
        body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode()


def event_hash(body: bytes, algorithm: str, key: bytes | None) -> str:
    """HMAC of ``body`` under ``key``; the plain digest for events sealed before any key."""
    return plain_hash(algorithm, body) if key is None else keyed_hash(algorithm, key, body)
