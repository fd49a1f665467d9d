"""``meter import``: located errors, all-or-nothing, idempotent replays (SQLite and PostgreSQL).

Cases: a CSV import stores every row and a replay of the same file (or of its rows in
another file) adds nothing and writes nothing at all; a file with one bad row among
good ones is refused whole, each problem at file:row:column with the field and what
was expected, and the database is unchanged row for row (also through the CLI, exit
code 2); a bad header is located on line 1; JSON imports (a list, or records plus
windows) work and their errors are located at the JSON value; a record contradicting an
already-imported one with the same key is refused and named; quantities that are not a
whole number of base units are refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from controlplane.app import App
from controlplane.db.tables_billing import UsageObservationRow
from controlplane.metering import MeteringService
from tenants import ManifestError
from tests.controlplane.dbdump import snapshot

from .conftest import cli, usage_csv, water_row

GOOD = [
    water_row("ns-1", "compute.vcpu", "2", "2026-03-01T00:00:00+08:00", "2026-03-11T00:00:00+08:00"),
    water_row("ns-1", "compute.memory", "4", "2026-03-01T00:00:00+08:00", "2026-03-11T00:00:00+08:00"),
    water_row("pv-1", "storage.ssd", "100", "2026-03-05T12:30:00+08:00", "2026-04-02T00:00:00+08:00"),
]  # fmt: skip


def count(app: App) -> int:
    with app.sessions() as session:
        return session.execute(select(func.count()).select_from(UsageObservationRow)).scalar_one()


def test_import_then_replays_change_nothing(
    billing_app: App, metering: MeteringService, tmp_path: Path
) -> None:
    first = metering.import_file(usage_csv(tmp_path / "a.csv", GOOD), actor="ops")
    assert (first.records, first.new_records, first.replayed) == (3, 3, False)
    before = snapshot(billing_app.engine)
    for _ in range(3):
        again = metering.import_file(tmp_path / "a.csv", actor="ops")
        assert again.replayed and again.new_records == 0
    assert snapshot(billing_app.engine) == before
    # the same rows in another order, plus one new row: only the new row is added
    extra = water_row(
        "ip-1", "network.public_ip", "1", "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"
    )
    mixed = metering.import_file(usage_csv(tmp_path / "b.csv", [extra, *GOOD[::-1]]), actor="ops")
    assert (mixed.records, mixed.new_records) == (4, 1)
    assert count(billing_app) == 4


def test_one_bad_row_refuses_the_file_located(
    billing_app: App, metering: MeteringService, tmp_path: Path
) -> None:
    bad = [
        GOOD[0],
        water_row("ns-2", "compute.vcpu", "two", "2026-03-01T00:00:00+08:00", "2026-03-02T00:00:00+08:00"),
        "nowhere,water-dept,flood,ns-3,compute.vcpu,1,2026-03-01T00:00:00+08:00,2026-03-02T00:00:00+08:00",
        water_row("ns-4", "compute.vcpu", "1", "2026-03-01T00:00:00", "2026-03-02T00:00:00+08:00"),
        water_row("ns-5", "compute.vcpu", "1", "2026-03-02T00:00:00+08:00", "2026-03-01T00:00:00+08:00"),
        water_row("ns-6", "compute.memory", "0.0001", "2026-03-01T00:00:00+08:00", "2026-03-02T00:00:00+08:00"),
    ]  # fmt: skip
    path = usage_csv(tmp_path / "bad.csv", bad)
    before = snapshot(billing_app.engine)
    with pytest.raises(ManifestError) as caught:
        metering.import_file(path, actor="ops")
    found = {(str(p.location), p.path) for p in caught.value.problems}
    assert found == {
        (f"{path}:3:6", "quantity"),
        (f"{path}:4:1", "provider"),
        (f"{path}:5:7", "start"),
        (f"{path}:6:8", "end"),
        (f"{path}:7:6", "quantity"),
    }
    quantity = next(p for p in caught.value.problems if p.location and p.location.line == 3)
    assert quantity.expected == "a decimal number ≥ 0" and quantity.found == "'two'"
    start = next(p for p in caught.value.problems if p.path == "start")
    assert "offset" in (start.expected or "")
    assert snapshot(billing_app.engine) == before

    assert cli(billing_app, "meter", "import", "-f", str(path)) == 2
    assert snapshot(billing_app.engine) == before


def test_bad_header_is_located(metering: MeteringService, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("provider,tenant,system,resource,meter,quantity,start,end\n", encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        metering.import_file(path, actor="ops")
    located = {(str(p.location), p.message) for p in caught.value.problems}
    assert (f"{path}:1:4", "unexpected column 'resource'") in located
    assert (f"{path}:1:1", "column 'resource_id' is missing") in located


def test_json_import_and_located_json_errors(
    billing_app: App, metering: MeteringService, tmp_path: Path
) -> None:
    record = {
        "provider": "water-cloud", "tenant": "water-dept", "system": "flood",
        "resource_id": "ns-9", "meter": "compute.vcpu", "quantity": 2,
        "start": "2026-03-01T00:00:00+08:00", "end": "2026-03-02T00:00:00+08:00",
    }  # fmt: skip
    window = {"provider": "water-cloud", "start": "2026-03-01T00:00:00+08:00",
              "end": "2026-04-01T00:00:00+08:00"}  # fmt: skip
    good = tmp_path / "u.json"
    good.write_text(json.dumps({"records": [record], "windows": [window]}, indent=2))
    result = metering.import_file(good, actor="ops")
    assert (result.new_records, result.windows) == (1, 1)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([record, record | {"tenant": "nobody", "quantity": -1}], indent=2))
    before = snapshot(billing_app.engine)
    with pytest.raises(ManifestError) as caught:
        metering.import_file(bad, actor="ops")
    by_field = {p.path: p.location for p in caught.value.problems}
    assert set(by_field) == {"tenant", "quantity"}
    assert by_field["tenant"] is not None and by_field["tenant"].line == 14
    assert snapshot(billing_app.engine) == before


def test_contradicting_record_is_refused_and_named(
    billing_app: App, metering: MeteringService, tmp_path: Path
) -> None:
    metering.import_file(usage_csv(tmp_path / "a.csv", GOOD), actor="ops")
    changed = GOOD[0].replace(",2,", ",3,")
    path = usage_csv(tmp_path / "c.csv", [GOOD[1], changed])
    before = snapshot(billing_app.engine)
    with pytest.raises(ManifestError) as caught:
        metering.import_file(path, actor="ops")
    (problem,) = caught.value.problems
    assert str(problem.location) == f"{path}:3:1"
    assert "compute.vcpu=2" in (problem.expected or "") and "batch #" in (problem.expected or "")
    assert snapshot(billing_app.engine) == before
