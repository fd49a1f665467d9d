"""``govcloud infra export`` over a provisioned-or-approved system (SQLite and PostgreSQL).

Cases:
- the system's department (or an operator) exports it: exit 0, the project files are
  written, the program carries the system's tenant/system/request marks and the stack
  config names the provider's credentials reference; ``-o json`` lists the files;
- another department is refused (exit 1, nothing written); an unknown system and a
  provider Pulumi does not provision (a simulator) are refused with a reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from controlplane.app import App
from controlplane.cli.main import main
from controlplane.requests import RequestService
from tests.governance.support import apply_estate, manifest
from tests.infra.support import RealDesired, make_pulumi_provider


@pytest.fixture
def approved(app: App, monkeypatch: pytest.MonkeyPatch) -> int:
    apply_estate(app)
    make_pulumi_provider(app)
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    monkeypatch.setenv("GOVCLOUD_HOME", str(app.settings.home))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    request = (
        RequestService(app.sessions, app.clock, RealDesired(app))
        .apply(manifest(), actor="hrss-wang")
        .request
    )
    assert request is not None and request.id is not None
    return request.id


def test_the_department_exports_its_system(
    approved: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "portal"
    code = main(["--as", "hrss-wang", "infra", "export", "--system", "portal", "--dir", str(out),
                 "-o", "json"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    record = json.loads(capsys.readouterr().out)
    assert record["project"] == "hrss-portal" and record["stack"] == "prov-sim"
    assert sorted(p.name for p in out.iterdir()) == [
        "Pulumi.prov-sim.yaml", "Pulumi.yaml", "__main__.py", "requirements.txt",
    ]  # fmt: skip
    config = yaml.safe_load((out / "Pulumi.prov-sim.yaml").read_text())["config"]
    assert config == {"openstack:cloud": "prov-sim"}
    program = (out / "__main__.py").read_text()
    for mark in ("govcloud:tenant=hrss", "govcloud:system=portal", f"govcloud:request={approved}"):
        assert mark in program
    assert "pulumi_openstack.compute.Instance(" in program

    assert main(["infra", "export", "--system", "portal", "--dir", str(tmp_path / "t")]) == 0
    assert "hrss-portal" in capsys.readouterr().out


def test_refusals(approved: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x"
    assert (
        main(["--as", "edu-liu", "infra", "export", "--system", "portal", "--dir", str(out)]) == 1
    )
    assert "edu-liu" in capsys.readouterr().err
    assert main(["infra", "export", "--system", "nope", "--dir", str(out)]) == 1
    assert "no approved or provisioned system 'nope'" in capsys.readouterr().err
    assert main(["infra", "export", "--system", "portal", "--provider", "city-a-sim",
                 "--dir", str(out)]) == 1  # fmt: skip
    assert "nothing Pulumi provisions on provider city-a-sim (simulator)" in capsys.readouterr().err
    assert not out.exists()
