"""Capacities: declared ones are enforced, undeclared ones are shown as not tracked.

On SQLite and PostgreSQL, against a provincial cloud that declares only vCPU and public
IPs: a plan shows memory and storage as not tracked (no capacity, no free figure) and is
never refused for them, however much it asks; declared public IPs are enforced in batch
placement (the second internet-facing system of a batch finds none left, and the
refusal names public IPs); the CLI prints "not tracked" rather than a negative figure.
"""

from __future__ import annotations

import pytest

from controlplane.app import App
from controlplane.cli.main import main
from controlplane.estate.schema import parse_estate
from controlplane.planning import PlanService
from tenants import load_requests, load_yaml_documents

ESTATE = """\
apiVersion: govcloud.io/v1
kind: Estate
metadata: {name: tracked-province}
spec:
  providers:
    - {name: prov-main, tier: provincial, kind: simulator, region: province, seed: 1,
       certifiedLevel: 4, xinchuang: true, arch: aarch64,
       capacity: {vcpu: 64, publicIPs: 1}}
  tenants:
    - {code: hrss, name: 省人力资源和社会保障厅, level: provincial, budget: "1200000.00"}
  catalog:
    flavors:
      - {name: c4m8, vcpu: 4, memoryGiB: 8}
      - {name: c8m512, vcpu: 8, memoryGiB: 512}
    images:
      - {name: kylin-v10-sp3, os: kylin, xinchuang: true, hardened: true, arch: [aarch64]}
"""


def _manifest(name: str, flavor: str = "c4m8") -> str:
    return f"""apiVersion: govcloud.io/v1
kind: SystemRequest
metadata: {{name: {name}, tenant: hrss}}
spec:
  classifiedProtection: 2
  dataClassification: general
  compute:
    - {{name: web, flavor: {flavor}, count: 1, image: kylin-v10-sp3,
       volumes: [{{sizeGiB: 50000}}]}}
  network:
    ingress:
      - {{port: 443, from: internet}}
  backup: {{enabled: true, retentionDays: 30}}
"""


@pytest.fixture
def tracked(app: App) -> App:
    app.estate.apply(parse_estate(load_yaml_documents(ESTATE, "e.yaml"), "e.yaml"), actor="ops")
    return app


def test_undeclared_dimensions_are_not_tracked_nor_enforced(tracked: App) -> None:
    [parsed] = load_requests(_manifest("big", "c8m512"), name="big.yaml")
    plan = PlanService(tracked.sessions, tracked.clock).plan(parsed, principal="ops")
    assert plan.provider == "prov-main", plan.placement.exclusions
    record = plan.to_record()["capacity"]
    assert record["not_tracked"] == ["memory_gib", "storage_gib"]
    assert record["capacity"]["memory_gib"] is None and record["free_after"]["storage_gib"] is None
    assert record["capacity"]["vcpu"] == "64" and record["free_after"]["public_ips"] == "0"


def test_declared_public_ips_are_enforced_in_a_batch(tracked: App) -> None:
    parsed = load_requests(_manifest("first") + "---\n" + _manifest("second"), name="b.yaml")
    first, second = PlanService(tracked.sessions, tracked.clock).plan_all(parsed, principal="ops")
    assert first.provider == "prov-main" and first.exit_code == 0
    assert second.provider is None and second.exit_code == 1
    [refusal] = second.placement.exclusions
    assert refusal.filter == "capacity" and "public IPs: needs 1, 0 free" in refusal.reason_en


def test_plan_prints_not_tracked(
    tracked: App,
    tmp_path: object,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", tracked.settings.database_url)
    monkeypatch.setenv("GOVCLOUD_HOME", str(tracked.settings.home))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    path = tmp_path / "big.yaml"
    path.write_text(_manifest("big", "c8m512"), encoding="utf-8")
    assert main(["plan", "-f", str(path)]) == 0
    out = capsys.readouterr().out
    assert "memory_gib" in out and "not tracked" in out
    assert "free after -" not in out
