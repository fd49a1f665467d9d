"""Choosing the provisioning engine per provider: the estate field, its refusal, plans.

Cases (each on SQLite and PostgreSQL):
- an estate declaring ``engine: pulumi`` applied where no ``pulumi`` CLI is on PATH (this
  machine) exits 2 with the error located at the provider's ``engine`` (file:line:col
  and field path), saying what to install; nothing is written;
- where a CLI is found, the same estate is accepted and the provider row holds the
  engine (``provider show`` says it); the default is ``sdk``; ``engine: pulumi`` on a simulator is a located error;
- ``plan`` shows the engine of every provider, in the table and in ``-o json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from controlplane.app import App
from controlplane.cli.main import main
from controlplane.db.models import Provider
from controlplane.estate.schema import parse_estate
from controlplane.estate.service import EstateService
from tenants import ManifestError, load_yaml_file
from tests.infra.conftest import ESTATE, REQUESTS

K8S_LINE = "    - {name: water-k8s, tier: sector, kind: kubernetes, context: water, sector: water,"


def pulumi_estate(tmp_path: Path, line: str = K8S_LINE) -> Path:
    text = ESTATE.read_text(encoding="utf-8")
    assert line in text
    path = tmp_path / "estate.yaml"
    path.write_text(text.replace(line, line.replace("{name:", "{engine: pulumi, name:")))
    return path


@pytest.fixture
def cli_env(app: App, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> App:
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    monkeypatch.setenv("GOVCLOUD_HOME", str(app.settings.home))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    return app


def providers(app: App) -> dict[str, str]:
    with Session(app.engine) as session:
        return {p.name: p.engine for p in session.exec(select(Provider)).all()}


def test_engine_pulumi_without_a_cli_is_refused_located(
    cli_env: App,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = pulumi_estate(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "no-binaries-here"))
    code = main(["estate", "apply", "-f", str(path)])
    err = capsys.readouterr().err
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "engine" in text)
    assert code == 2
    assert f"{path}:{line}:" in err
    assert "spec.providers[4].engine" in err
    assert "no `pulumi` CLI is on PATH" in err
    assert "pulumi plugin install resource kubernetes" in err
    assert providers(cli_env) == {}


def test_engine_is_stored_when_a_cli_is_found_and_defaults_to_sdk(
    cli_env: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = pulumi_estate(tmp_path)
    document = parse_estate(load_yaml_file(str(path)), str(path))
    service = EstateService(cli_env.sessions, cli_env.clock, pulumi_cli=lambda: "/opt/bin/pulumi")
    service.apply(document, actor="ops")
    engines = providers(cli_env)
    assert engines.pop("water-k8s") == "pulumi"
    assert set(engines.values()) == {"sdk"}
    assert main(["provider", "show", "water-k8s", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["engine"] == "pulumi"

    refusing = EstateService(cli_env.sessions, cli_env.clock, pulumi_cli=lambda: None)
    with pytest.raises(ManifestError) as caught:
        refusing.apply(document, actor="ops")
    (problem,) = caught.value.problems
    assert problem.path == "spec.providers[4].engine"


def test_pulumi_on_a_simulator_is_a_located_error(tmp_path: Path) -> None:
    simulator = "    - {name: city-a, tier: municipal, kind: simulator, city: city-a,"
    path = pulumi_estate(tmp_path, simulator)
    with pytest.raises(ManifestError) as caught:
        parse_estate(load_yaml_file(str(path)), str(path))
    (problem,) = caught.value.problems
    assert problem.path == "spec.providers[1].engine"
    assert "openstack and kubernetes providers only" in problem.message


def test_plan_shows_the_engine_of_every_provider(
    cli_env: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = pulumi_estate(tmp_path)
    EstateService(cli_env.sessions, cli_env.clock, pulumi_cli=lambda: "/opt/bin/pulumi").apply(
        parse_estate(load_yaml_file(str(path)), str(path)), actor="ops"
    )
    manifest = REQUESTS / "manifests" / "ok-kubernetes-only.yaml"
    assert main(["plan", "-f", str(manifest), "-o", "json"]) == 0
    placement = json.loads(capsys.readouterr().out)["plans"][0]["placement"]
    assert placement["engines"] == {
        "city-a": "sdk", "city-b": "sdk", "health-out": "sdk",
        "prov-main": "sdk", "water-cloud": "sdk", "water-k8s": "pulumi",
    }  # fmt: skip
    assert placement["engine"] == placement["engines"][placement["provider"]]

    assert main(["plan", "-f", str(manifest)]) == 0
    table = capsys.readouterr().out
    assert f"Placement: {placement['provider']} (engine {placement['engine']})" in table
    assert "Provisioning engine per provider: city-a sdk, city-b sdk, health-out sdk, " in table
    assert "water-k8s pulumi" in table
