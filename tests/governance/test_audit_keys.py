"""The audit key ring and its configuration, without a database.

Cases: HMAC-SM3 agrees with OpenSSL's for short and over-long keys; the ring is created
once with mode 0600 and rotation keeps old keys; a malformed ring is refused with its
file:line; bad ``GOVCLOUD_AUDIT_*`` values name the variable and what it takes; a
checkpoint's signature binds every field it carries.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from pathlib import Path

import pytest

from controlplane.audit_checkpoints import read_checkpoints, sign
from controlplane.audit_config import AuditConfig, AuditSetupError
from controlplane.audit_keys import Keyring, keyed_hash

NOW = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize("key", [b"k", b"x" * 64, b"long" * 40])
def test_hmac_sm3_agrees_with_openssl(key: bytes) -> None:
    data = "审计事件 #1".encode()
    assert keyed_hash("sm3", key, data) == hmac.new(key, data, "sm3").hexdigest()


def test_ring_is_created_private_and_rotation_keeps_old_keys(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "keyring"
    ring = Keyring.load_or_create(path, NOW)
    assert path.stat().st_mode & 0o777 == 0o600
    assert Keyring.load_or_create(path, NOW) == ring  # created once
    rotated = ring.rotate(NOW)
    reloaded = Keyring.load(path)
    assert reloaded is not None and reloaded.keys == rotated.keys
    assert reloaded.active != ring.active and reloaded.get(ring.active.id) == ring.active


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", ":1:1: audit key ring holds no key"),
        ('{"id": "k1"}\n', ":1:1: malformed audit key"),
        ('{"id": "k1", "created": "2026-12-05T00:00:00+00:00", "secret": "zz"}\n', ":1:1"),
        ('{"id": "k1", "created": "2026-12-05T00:00:00+00:00", "secret": "00"}\n', "shorter"),
    ],
)
def test_malformed_ring_is_refused_with_its_location(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "keyring"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(AuditSetupError, match=expected):
        Keyring.load(path)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GOVCLOUD_AUDIT_CHECKPOINT_EVERY", "0"),
        ("GOVCLOUD_AUDIT_CHECKPOINT_EVERY", "ten"),
        ("GOVCLOUD_AUDIT_ALGORITHM", "md5"),
    ],
)
def test_bad_settings_name_their_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(AuditSetupError, match=name):
        AuditConfig.from_env(tmp_path, {name: value})


def test_settings_from_the_environment(tmp_path: Path) -> None:
    config = AuditConfig.from_env(
        tmp_path,
        {
            "GOVCLOUD_AUDIT_KEYRING": str(tmp_path / "secret" / "ring"),
            "GOVCLOUD_AUDIT_CHECKPOINT_MIRROR": str(tmp_path / "worm" / "cp.jsonl"),
            "GOVCLOUD_AUDIT_CHECKPOINT_EVERY": "50",
            "GOVCLOUD_AUDIT_ALGORITHM": "SM3",
        },
    )
    assert config.keyring == tmp_path / "secret" / "ring"
    assert config.checkpoint_files == (
        tmp_path / "audit" / "checkpoints.jsonl",
        tmp_path / "worm" / "cp.jsonl",
    )
    assert (config.checkpoint_every, config.algorithm) == (50, "sm3")


def test_checkpoint_signature_binds_its_fields(tmp_path: Path) -> None:
    ring = Keyring.load_or_create(tmp_path / "keyring", NOW)
    good = sign(ring, seq=7, head_hash="a" * 64, at=NOW, algorithm="sha256")
    moved = good.line().replace('"seq": 7', '"seq": 8')
    path = tmp_path / "cp.jsonl"
    path.write_text(good.line() + moved)
    found, problems = read_checkpoints((path,), ring)
    assert found == [good]
    assert [str(p) for p in problems] == [
        f"{path}:2: forged checkpoint: its signature does not verify"
    ]
