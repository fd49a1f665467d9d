"""The audit log under governance, on SQLite and PostgreSQL.

Cases: every mutation — estate apply (quotas and principals included), each request
transition, each approval decision, provisioning — appends exactly its events, and the
chain verifies; ``govcloud audit verify`` exits 0 on the intact log and 1 naming the
event when a stored event is edited, deleted, or two events are swapped (reordered).
Truncation, re-chaining, forgery and malformed rows: tests/governance/test_audit_anchor.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from controlplane import audit
from controlplane.app import App
from controlplane.cli.main import main
from controlplane.db.models import AuditEvent
from controlplane.requests import provisioner, request_service

from .support import CataloguePlanner, apply_estate, manifest


def _actions(app: App) -> list[tuple[str, str]]:
    with app.sessions() as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all()
        return [(e.action, e.actor) for e in rows]


def _governed_history(app: App) -> None:
    apply_estate(app)
    service = request_service(app, CataloguePlanner(app))
    rid = service.apply(manifest(level=3), actor="hrss-wang").request.id or 0  # type: ignore[union-attr]
    service.approve(rid, actor="bdb-zhang", reason="ok")
    provisioner(app).provision(rid, actor="ops-li")
    other = service.apply(manifest("other", level=3), actor="hrss-wang").request.id or 0  # type: ignore[union-attr]
    service.reject(other, actor="bdb-wu", reason="不需要")


def test_every_mutation_appends(app: App) -> None:
    _governed_history(app)
    assert _actions(app) == [
        ("estate.apply", "local-operator"),
        ("request.submitted", "hrss-wang"),
        ("request.admitted", "govcloud:admission"),
        ("request.pendingapproval", "govcloud:approvals"),
        ("request.step.approved", "bdb-zhang"),
        ("request.approved", "bdb-zhang"),
        ("request.provisioning", "ops-li"),
        ("inventory.applied", "ops-li"),
        ("request.ready", "ops-li"),
        ("request.submitted", "hrss-wang"),
        ("request.admitted", "govcloud:admission"),
        ("request.pendingapproval", "govcloud:approvals"),
        ("request.step.rejected", "bdb-wu"),
        ("request.rejected", "bdb-wu"),
    ]
    with app.sessions() as session:
        assert audit.verify(session) == []


def _verify(app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    # the CLI must see the app's home: the key ring and checkpoints live there
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    monkeypatch.setenv("GOVCLOUD_HOME", str(app.settings.home))
    return main(["audit", "verify"])


def _tamper(app: App, statements: list[str]) -> None:
    with app.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


TAMPERING = {
    "edit": ["UPDATE audit_event SET actor = 'someone-else' WHERE seq = 5"],
    "delete": ["DELETE FROM audit_event WHERE seq = 6"],
    # swap the content of #5 and #6, keeping each row's hash: the order changed
    "reorder": [
        "UPDATE audit_event SET seq = 1000 WHERE seq = 5",
        "UPDATE audit_event SET seq = 5 WHERE seq = 6",
        "UPDATE audit_event SET seq = 6 WHERE seq = 1000",
    ],
}


@pytest.mark.parametrize("kind", sorted(TAMPERING))
def test_tampering_is_detected(
    app: App,
    kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _governed_history(app)
    assert _verify(app, tmp_path, monkeypatch) == 0
    capsys.readouterr()
    _tamper(app, TAMPERING[kind])
    assert _verify(app, tmp_path, monkeypatch) == 1
    err = capsys.readouterr().err
    assert "#5" in err or "#6" in err or "#7" in err, err
    with app.sessions() as session:
        breaks = audit.verify(session)
    assert breaks and breaks[0].seq in {5, 6, 7}
