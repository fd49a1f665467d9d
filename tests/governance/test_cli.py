"""``govcloud apply / request / delete`` end to end with the real PlanService (SQLite).

Cases: ``apply -f`` as a department records an auto-approved request (exit 0) and
re-applying says nothing changed; ``request list -o json`` as another department is
empty, and ``request show`` of it is refused with exit 1; ``request provision`` as the
operator creates the simulator servers (Ready); ``delete -f`` records a deletion;
``request approve`` by an undeclared principal exits 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controlplane.cli.main import main

from .support import GOVERNED, manifest_text


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVCLOUD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GOVCLOUD_DATABASE_URL", raising=False)
    monkeypatch.setenv("GOVCLOUD_LANG", "en")
    assert main(["init"]) == 0
    assert main(["estate", "apply", "-f", str(GOVERNED)]) == 0
    return tmp_path


def test_apply_list_show_provision_delete(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = home / "portal.yaml"
    path.write_text(manifest_text())
    capsys.readouterr()
    assert main(["--as", "hrss-wang", "apply", "-f", str(path)]) == 0
    assert "Approved" in capsys.readouterr().out
    assert main(["--as", "hrss-wang", "apply", "-f", str(path)]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert main(["--as", "edu-liu", "request", "list", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["--as", "edu-liu", "request", "show", "1"]) == 1
    assert "may not read requests" in capsys.readouterr().err
    assert main(["--as", "ops-li", "request", "provision", "1"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines()]
    assert "#1: Ready" in out and ["server", "web-1", "created", "-"] in rows
    assert ["network", "net", "created", "-"] in rows
    assert main(["--as", "hrss-wang", "delete", "-f", str(path)]) == 0
    assert "request #2" in capsys.readouterr().out
    assert main(["--as", "hrss-wang", "request", "list", "-o", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["action"], r["state"]) for r in listed] == [
        ("apply", "Ready"),
        ("delete", "Approved"),
    ]
    # one a page: the token after #1 leads to #2, and the last page prints none
    assert main(["--as", "hrss-wang", "request", "list", "--limit", "1"]) == 0
    first = capsys.readouterr().out
    token = first.rsplit("--continue ", 1)[1].strip()
    assert [line.split()[0] for line in first.splitlines()[1:2]] == ["1"]
    assert main(["--as", "hrss-wang", "request", "list", "--limit", "1", "--continue", token]) == 0
    second = capsys.readouterr().out
    assert second.splitlines()[1].split()[0] == "2" and "--continue" not in second
    assert main(["--as", "mallory", "request", "approve", "2"]) == 1
