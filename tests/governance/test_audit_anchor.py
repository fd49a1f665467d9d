"""The keyed, checkpointed audit log proves its own completeness, on SQLite and PostgreSQL.

Cases: an intact log verifies against its latest checkpoint; deleting the last event,
the last five or all events is named as truncation; an edit re-chained without the key
is named as re-chaining; a correctly chained append forged without the key (or with no
key) is named as a forgery; malformed rows (bad timestamp, payload — not JSON, not an
object, nested too deep, a lone surrogate —, algorithm, bytes that are not UTF-8) are
tampering, never a crash; a forged checkpoint line is named with its file:line; a
rolled-back append leaves no checkpoint behind; with N > 1 a checkpoint follows every
N events and one can be written on demand; key rotation keeps the past verifiable and
a missing old key is named; events written before the key ring existed (an existing
database migrated) still verify and are sealed by the first keyed event; SM3 uses
HMAC-SM3; a key ring readable by others is refused without a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from controlplane import audit
from controlplane.app import App
from controlplane.audit_config import AuditConfig
from controlplane.audit_events import GENESIS, event_body
from controlplane.audit_keys import Keyring
from controlplane.cli.main import main
from controlplane.config import Settings
from controlplane.db import migrate
from controlplane.db.engine import transaction
from controlplane.db.models import AuditEvent
from tests.conftest import FakeClock

EVENTS = 14


def _history(app: App, count: int = EVENTS, *, start: int = 1) -> None:
    """``count`` events, each committed on its own (a checkpoint follows each commit)."""
    for n in range(start, start + count):
        with transaction(app.sessions) as session:
            audit.append(
                session,
                at=app.clock(),
                actor="ops-li",
                action="test.event",
                subject=f"thing/{n}",
                payload={"n": n, "名称": "政务"},
            )


def _kinds(app: App) -> list[tuple[int, str]]:
    with app.sessions() as session:
        return [(b.seq, b.kind) for b in audit.verify(session)]


def _cli_verify(app: App, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    monkeypatch.setenv("GOVCLOUD_HOME", str(app.settings.home))
    monkeypatch.setenv("GOVCLOUD_LANG", "en")
    return main(["audit", *args])


def _sql(app: App, *statements: str, **params: Any) -> None:
    with app.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), params)


def _rows(app: App) -> list[AuditEvent]:
    with app.sessions() as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all())


def _unkeyed_hash(event: AuditEvent, prev: str) -> str:
    """What an attacker without the key can compute: the chain's digest, no HMAC."""
    body = event_body(
        seq=event.seq or 0,
        at=event.at,
        actor=event.actor,
        action=event.action,
        subject=event.subject,
        payload=event.payload,
        prev_hash=prev,
        algorithm=event.algorithm,
        key_id=event.key_id,
    )
    return hashlib.sha256(body).hexdigest()


def test_intact_log_is_anchored(
    app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(app)
    with app.sessions() as session:
        report = audit.inspect(session)
    assert report.intact and report.head == EVENTS
    assert report.checkpoint is not None and report.checkpoint.seq == EVENTS
    assert report.unanchored == 0 and report.unkeyed == 0
    assert all(row.key_id for row in _rows(app))
    ring = app.settings.audit_config.keyring
    assert ring.stat().st_mode & 0o777 == 0o600
    assert _cli_verify(app, monkeypatch, "verify") == 0
    out = capsys.readouterr().out
    assert "intact" in out and f"#{EVENTS}" in out


TRUNCATIONS = {
    "last event": (f"DELETE FROM audit_event WHERE seq = {EVENTS}", "truncated", EVENTS),
    "last five": (f"DELETE FROM audit_event WHERE seq > {EVENTS - 5}", "truncated", EVENTS - 4),
    "all events": ("DELETE FROM audit_event", "emptied", 1),
}


@pytest.mark.parametrize("case", sorted(TRUNCATIONS))
def test_truncation_is_named(
    app: App, case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    statement, kind, first = TRUNCATIONS[case]
    _history(app)
    _sql(app, statement)
    assert _kinds(app) == [(first, kind)]
    assert _cli_verify(app, monkeypatch, "verify") == 1
    err = capsys.readouterr().err
    assert f"#{first}..#{EVENTS}" in err and "removed" in err, err


def test_rechaining_after_an_edit_is_named(
    app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(app)
    rows = _rows(app)
    prev = rows[3].hash
    with app.engine.begin() as connection:
        for event in rows[4:]:
            if event.seq == 5:
                event.actor = "someone-else"
            new = _unkeyed_hash(event, prev)
            # hash is unique: move the row's hash aside before the next row takes it over
            connection.execute(
                text("UPDATE audit_event SET actor = :a, prev_hash = :p, hash = :h WHERE seq = :s"),
                {"a": event.actor, "p": prev, "h": new, "s": event.seq},
            )
            prev = new
    kinds = _kinds(app)
    assert kinds[0] == (5, "rechained"), kinds
    assert "rewritten" in {kind for _, kind in kinds}  # the checkpoints disagree too
    assert _cli_verify(app, monkeypatch, "verify") == 1
    err = capsys.readouterr().err
    assert f"re-chained: events #5..#{EVENTS}" in err, err


def _forge(app: App, *, key_id: str | None, secret: bytes | None = None) -> None:
    """A correctly chained event appended straight into the table, without the real key."""
    head = _rows(app)[-1]
    forged = AuditEvent(
        seq=EVENTS + 1,
        at=head.at,
        actor="intruder",
        action="bill.adjust",
        subject="bill/2026-03",
        payload={"amount": "-100000.00"},
        algorithm="sha256",
        prev_hash=head.hash,
        key_id=key_id,
        hash="",
    )
    body = event_body(
        seq=EVENTS + 1,
        at=forged.at,
        actor=forged.actor,
        action=forged.action,
        subject=forged.subject,
        payload=forged.payload,
        prev_hash=head.hash,
        algorithm="sha256",
        key_id=key_id,
    )
    forged.hash = (
        hmac.new(secret, body, hashlib.sha256).hexdigest()
        if secret is not None
        else hashlib.sha256(body).hexdigest()
    )
    with app.sessions() as session, session.begin():
        session.add(forged)


@pytest.mark.parametrize("how", ["claims the active key", "guessed key", "no key"])
def test_forged_append_is_named(
    app: App, how: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(app)
    active = _rows(app)[-1].key_id
    if how == "claims the active key":
        _forge(app, key_id=active)
    elif how == "guessed key":
        _forge(app, key_id=active, secret=b"0" * 32)
    else:
        _forge(app, key_id=None)
    expected = "unkeyed" if how == "no key" else "forged"
    assert _kinds(app) == [(EVENTS + 1, expected)]
    assert _cli_verify(app, monkeypatch, "verify") == 1
    assert f"#{EVENTS + 1}" in capsys.readouterr().err


_DEEP = "[" * 3000 + "]" * 3000
MALFORMED = {  # field: (on SQLite, on PostgreSQL, whose column types refuse plain garbage)
    "algorithm": ("UPDATE audit_event SET algorithm = 'md5' WHERE seq = 5",) * 2,
    "payload-not-object": ("UPDATE audit_event SET payload = '[1, 2]' WHERE seq = 5",) * 2,
    "payload-not-json": (
        "UPDATE audit_event SET payload = '{not json' WHERE seq = 5",
        """UPDATE audit_event SET payload = '"text"' WHERE seq = 5""",
    ),
    "payload-too-deep": (f"UPDATE audit_event SET payload = '{_DEEP}' WHERE seq = 5",) * 2,
    "payload-lone-surrogate": (
        """UPDATE audit_event SET payload = '{"a": "\\ud800"}' WHERE seq = 5""",
    )
    * 2,
    "timestamp": (
        "UPDATE audit_event SET at = 'yesterday-ish' WHERE seq = 5",
        "UPDATE audit_event SET at = 'infinity' WHERE seq = 5",
    ),
}


@pytest.mark.parametrize("field", sorted(MALFORMED))
def test_malformed_rows_are_tampering_not_crashes(
    app: App, field: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    on_sqlite, on_postgresql = MALFORMED[field]
    _history(app)
    _sql(app, on_postgresql if app.engine.dialect.name == "postgresql" else on_sqlite)
    assert _kinds(app) == [(5, "malformed")]
    assert _cli_verify(app, monkeypatch, "verify") == 1
    err = capsys.readouterr().err
    assert "#5" in err and "Traceback" not in err


def test_bytes_that_are_not_utf8_are_tampering(tmp_path: Path, clock: FakeClock) -> None:
    # only SQLite stores such bytes in a text column (PostgreSQL refuses them)
    app = App(Settings.for_home(tmp_path / "utf8"), clock=clock)
    app.init()
    try:
        _history(app, 6)
        _sql(app, "UPDATE audit_event SET actor = CAST(X'FF' AS TEXT) WHERE seq = 5")
        with app.sessions() as session:
            breaks = audit.verify(session)
        assert [(b.seq, b.kind, b.detail["field"]) for b in breaks] == [(5, "malformed", "actor")]
    finally:
        app.close()


def test_forged_checkpoint_line_is_named(app: App) -> None:
    _history(app, 3)
    path = app.settings.audit_config.checkpoints
    lines = path.read_text().splitlines()
    fake = json.loads(lines[-1]) | {"seq": 99}
    path.write_text("\n".join([*lines, json.dumps(fake), "{garbage"]) + "\n")
    with app.sessions() as session:
        breaks = audit.verify(session)
    assert [(b.kind, b.where) for b in breaks] == [
        ("checkpoint", f"{path}:{len(lines) + 1}"),
        ("checkpoint", f"{path}:{len(lines) + 2}"),
    ]
    assert "signature does not verify" in breaks[0].reason


def test_rolled_back_append_leaves_no_checkpoint(app: App) -> None:
    _history(app, 3)

    def failing_mutation() -> None:
        with transaction(app.sessions) as session:
            audit.append(session, at=app.clock(), actor="a", action="x", subject="y")
            raise RuntimeError("the mutation failed after auditing")

    with pytest.raises(RuntimeError):
        failing_mutation()
    assert _kinds(app) == []
    with app.sessions() as session:
        assert audit.inspect(session).checkpoint.seq == 3  # type: ignore[union-attr]


@pytest.mark.parametrize("before", [0, 1])
def test_append_rolled_back_in_a_savepoint_is_not_anchored(app: App, before: int) -> None:
    _history(app, 3)
    with transaction(app.sessions) as session:
        for _ in range(before):  # an append of the outer transaction, which commits
            audit.append(session, at=app.clock(), actor="a", action="kept", subject="y")
        savepoint = session.begin_nested()
        audit.append(session, at=app.clock(), actor="a", action="undone", subject="y")
        savepoint.rollback()
    assert _kinds(app) == []
    with app.sessions() as session:
        assert audit.inspect(session).checkpoint.seq == 3 + before  # type: ignore[union-attr]


def test_savepoint_released_after_an_append_anchors_nothing_before_the_commit(
    app: App,
) -> None:
    """A batch appends, then releases a savepoint (a quota reservation), then fails: the
    savepoint's release is no commit, so no checkpoint may name the appended event."""
    _history(app, 3)

    def failing_batch() -> None:
        with transaction(app.sessions) as session:
            audit.append(session, at=app.clock(), actor="a", action="x", subject="y")
            with session.begin_nested():
                audit.append(session, at=app.clock(), actor="a", action="x", subject="z")
            raise RuntimeError("the batch failed after the savepoint")

    with pytest.raises(RuntimeError):
        failing_batch()
    assert _kinds(app) == []
    with app.sessions() as session:
        assert audit.inspect(session).checkpoint.seq == 3  # type: ignore[union-attr]
    with transaction(app.sessions) as session:
        audit.append(session, at=app.clock(), actor="a", action="x", subject="y")
        with session.begin_nested():
            audit.append(session, at=app.clock(), actor="a", action="x", subject="z")
    with app.sessions() as session:
        assert audit.inspect(session).checkpoint.seq == 5  # type: ignore[union-attr]


@pytest.fixture
def every_five(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[App]:
    home = tmp_path / "home5"
    config = AuditConfig.for_home(home)
    settings = Settings(
        home,
        database_url,
        audit=AuditConfig(config.keyring, config.checkpoints, checkpoint_every=5),
    )
    instance = App(settings, clock=clock)
    instance.init()
    yield instance
    instance.close()


def test_checkpoint_every_n_and_on_demand(
    every_five: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = every_five
    _history(app)
    with app.sessions() as session:
        report = audit.inspect(session)
    assert report.checkpoint is not None and report.checkpoint.seq == 10
    assert report.unanchored == EVENTS - 10
    monkeypatch.setenv("GOVCLOUD_AUDIT_CHECKPOINT_EVERY", "5")
    assert _cli_verify(app, monkeypatch, "checkpoint") == 0
    assert f"#{EVENTS}" in capsys.readouterr().out
    _sql(app, f"DELETE FROM audit_event WHERE seq = {EVENTS}")
    assert _kinds(app) == [(EVENTS, "truncated")]


def test_key_rotation_keeps_the_past_verifiable(
    app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(app, 4)
    assert _cli_verify(app, monkeypatch, "rotate-key") == 0
    assert "rotated" in capsys.readouterr().out
    _history(app, 3, start=5)
    rows = _rows(app)
    assert rows[4].action == "audit.key.rotated"
    assert len({row.key_id for row in rows}) == 2
    assert _kinds(app) == []
    # the old key must stay in the ring: without it the past is unverifiable, and says so
    path = app.settings.audit_config.keyring
    path.write_text("".join(path.read_text().splitlines(keepends=True)[1:]))
    kinds = _kinds(app)
    assert kinds[0] == (1, "unknown_key")
    assert {kind for _, kind in kinds[1:]} == {"checkpoint"}  # the ones the old key signed
    assert Keyring.load(path) is not None


def _legacy_events(app: App, count: int) -> None:
    """Events as the unkeyed chain wrote them before the key ring existed."""
    prev = GENESIS
    at = app.clock()
    with app.engine.begin() as connection:
        for seq in range(1, count + 1):
            fields: dict[str, Any] = {
                "seq": seq,
                "at": at,
                "actor": "old",
                "action": "legacy",
                "subject": f"s/{seq}",
                "payload": {"n": seq},
            }
            body = event_body(**fields, prev_hash=prev, algorithm="sha256", key_id=None)
            digest = hashlib.sha256(body).hexdigest()
            connection.execute(
                AuditEvent.__table__.insert(),  # type: ignore[attr-defined]
                {**fields, "algorithm": "sha256", "prev_hash": prev, "hash": digest},
            )
            prev = digest


def test_events_before_the_key_ring_are_sealed_by_the_first_keyed_event(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    app = App(Settings(tmp_path / "home", database_url), clock=clock)
    try:
        migrate.upgrade(app.engine, "discounts")  # an existing database, before this change
        _legacy_events(app, 5)
        app.init()
        with app.sessions() as session:
            report = audit.inspect(session)
        assert report.intact and report.unkeyed == 5 and report.checkpoint is None
        _history(app, 2, start=6)
        with app.sessions() as session:
            report = audit.inspect(session)
        assert report.intact and report.checkpoint.seq == 7  # type: ignore[union-attr]
        # re-chaining the unkeyed part no longer goes unnoticed: the keyed #6 covers #5
        rows = _rows(app)
        prev = rows[1].hash
        with app.engine.begin() as connection:
            for event in rows[2:5]:
                new = _unkeyed_hash(event.model_copy(update={"actor": "x"}), prev)
                connection.execute(
                    text("UPDATE audit_event SET actor='x', prev_hash=:p, hash=:h WHERE seq=:s"),
                    {"p": prev, "h": new, "s": event.seq},
                )
                prev = new
        assert _kinds(app) == [(6, "link")]
    finally:
        app.close()


def test_sm3_events_use_hmac_sm3(database_url: str, tmp_path: Path, clock: FakeClock) -> None:
    home = tmp_path / "sm3"
    config = AuditConfig.from_env(home, {"GOVCLOUD_AUDIT_ALGORITHM": "sm3"})
    app = App(Settings(home, database_url, audit=config), clock=clock)
    app.init()
    try:
        _history(app, 3)
        rows = _rows(app)
        assert {row.algorithm for row in rows} == {"sm3"}
        ring = Keyring.load(config.keyring)
        assert ring is not None
        body = event_body(
            seq=1,
            at=rows[0].at,
            actor=rows[0].actor,
            action=rows[0].action,
            subject=rows[0].subject,
            payload=rows[0].payload,
            prev_hash=GENESIS,
            algorithm="sm3",
            key_id=rows[0].key_id,
        )
        # an independent HMAC-SM3 (OpenSSL's) agrees with the one built on gmssl
        assert rows[0].hash == hmac.new(ring.active.secret, body, "sm3").hexdigest()
        assert _kinds(app) == []
        _sql(app, "UPDATE audit_event SET actor = 'x' WHERE seq = 2")
        assert _kinds(app) == [(2, "altered")]
    finally:
        app.close()


def test_key_ring_readable_by_others_is_refused(
    app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _history(app, 1)
    app.settings.audit_config.keyring.chmod(0o644)
    assert _cli_verify(app, monkeypatch, "verify") == 1
    err = capsys.readouterr().err
    assert "chmod 600" in err and "Traceback" not in err


def test_mirror_keeps_the_anchor_when_the_primary_file_is_lost(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    home = tmp_path / "mirrored"
    mirror = tmp_path / "other-system" / "checkpoints.jsonl"
    config = AuditConfig.from_env(home, {"GOVCLOUD_AUDIT_CHECKPOINT_MIRROR": str(mirror)})
    app = App(Settings(home, database_url, audit=config), clock=clock)
    app.init()
    try:
        _history(app, 6)
        assert mirror.read_text() == config.checkpoints.read_text()
        config.checkpoints.unlink()
        _sql(app, "DELETE FROM audit_event WHERE seq > 3")
        assert _kinds(app) == [(4, "truncated")]
    finally:
        app.close()
