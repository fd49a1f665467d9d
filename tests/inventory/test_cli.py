"""``govcloud provider sync`` and ``govcloud get resources|drift``, on SQLite and PostgreSQL.

Cases:
- ``provider sync sim-health`` prints health, created/updated/gone counts and drift;
  ``-o json`` gives the same as data;
- ``get resources`` lists managed and unmanaged resources (provider, tenant, system,
  kind, name, status, managed, drift, age); ``--unmanaged``/``--managed``, ``--tenant``
  and ``--kind`` filter; ``--kind server`` adds the kind's declared columns (flavor,
  vCPU...) from ``providers.kinds``; ``-o json|yaml`` carry the spec; ``--limit``
  says how many were left out; Chinese headings with ``--lang zh``;
- after out-of-band tampering and removal, a second sync reports the drift and
  ``get drift`` shows it (``--history`` keeps resolved rows; ``--tier`` only those on a tier's clouds);
- ``provider sync`` of an OpenStack provider whose cloud is not in any clouds.yaml,
  of a Kubernetes provider whose context does not exist, and of an unknown provider
  exits 1 with a govcloud error naming the provider (no traceback); neither NAME nor
  ``--all`` is a usage error (exit 2); ``--all`` syncs the rest and still exits 1.
"""

from __future__ import annotations

import json

import pytest
from ruamel.yaml import YAML

from controlplane.cli.get_cmd import resource_columns
from controlplane.cli.main import main
from controlplane.cli.output import heading as rendered_heading
from providers import DesiredResource

from .conftest import World, server

FIXED = frozenset({"provider", "tenant", "kind"})


def _seed(world: World) -> tuple[list[str], str]:
    outcomes = world.apply([server("web-0"), server("web-1", vcpu=4)])
    (rogue,) = world.sim.add_unmanaged([DesiredResource("server", "hand-made", {"vcpu": 1})])
    return [o.resource_id or "" for o in outcomes], rogue


def test_sync_then_get_resources(
    world: World, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(world)
    assert main([*cli, "provider", "sync", "sim-health"]) == 0
    out = capsys.readouterr().out
    assert "sim-health: healthy" in out
    assert "observed 3, created 3, updated 0, unchanged 0, gone 0" in out
    assert "drift found: unmanaged 1" in out

    assert main([*cli, "get", "resources", "-o", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {(r["name"], r["managed"], r["tenant"], r["system"]) for r in records} == {
        ("web-0", True, "hrss", "portal"),
        ("web-1", True, "hrss", "portal"),
        ("hand-made", False, None, None),
    }
    web1 = next(r for r in records if r["name"] == "web-1")
    assert web1["spec"]["vcpu"] == 4
    assert next(r for r in records if not r["managed"])["drift"] == ["unmanaged"]

    assert main([*cli, "get", "resources", "--unmanaged", "-o", "yaml"]) == 0
    unmanaged = YAML(typ="safe").load(capsys.readouterr().out)
    assert [r["name"] for r in unmanaged] == ["hand-made"]
    assert main([*cli, "get", "resources", "--managed", "--tenant", "hrss", "-o", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2

    assert main([*cli, "get", "resources"]) == 0
    table = capsys.readouterr().out
    for heading in ("PROVIDER", "TENANT", "SYSTEM", "KIND", "NAME", "STATE", "MANAGED", "AGE"):
        assert heading in table
    assert "FLAVOR" not in table
    columns = resource_columns("server", "en", fixed=FIXED)
    assert [rendered_heading(c.heading, "en") for c in columns if not c.wide] == [
        "SYSTEM", "NAME", "STATE", "MANAGED", "DRIFT", "FLAVOR", "VCPU", "MEMORY (MIB)",
        "IMAGE", "AGE",
    ]  # fmt: skip
    assert [c.heading for c in columns if c.wide] == ["RAW STATUS", "RESOURCE ID"]
    filters = ["--kind", "server", "--provider", "sim-health", "--tenant", "hrss"]
    assert main([*cli, "get", "resources", *filters]) == 0
    table = capsys.readouterr().out
    assert "FLAVOR" in table and "c4m8" in table and "8192" in table

    assert main([*cli, "--lang", "zh", "get", "resources", "--limit", "1"]) == 0
    captured = capsys.readouterr()
    assert "云平台" in captured.out and "纳管" in captured.out
    assert "显示 1 / 共 3 条" in captured.out and "--continue" in captured.out

    assert main([*cli, "provider", "sync", "sim-health", "-o", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["created"], report["unchanged"], report["health"]["healthy"]) == (0, 3, True)


def test_drift_after_out_of_band_changes(
    world: World, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    managed, _ = _seed(world)
    assert main([*cli, "provider", "sync", "sim-health"]) == 0
    world.sim.tamper(managed[0], {**server("web-0").spec, "vcpu": 6})
    world.sim.remove_out_of_band(managed[1])
    capsys.readouterr()

    assert main([*cli, "provider", "sync", "sim-health"]) == 0
    out = capsys.readouterr().out
    assert "updated 1, unchanged 1, gone 1" in out
    assert "drift found: changed 1, missing 1" in out

    assert main([*cli, "get", "drift", "-o", "json"]) == 0
    drift = {d["drift"]: d for d in json.loads(capsys.readouterr().out)}
    assert set(drift) == {"changed", "missing", "unmanaged"}
    assert drift["changed"]["detail"]["keys"]["vcpu"] == {"desired": 2, "observed": 6}
    assert (drift["missing"]["name"], drift["missing"]["system"]) == ("web-1", "portal")
    assert main([*cli, "get", "drift", "--provider", "sim-health"]) == 0
    table = capsys.readouterr().out
    assert "vcpu 2→6" in table and "missing" in table and "unmanaged" in table
    # --tier: the drift on the clouds of that tier (sim-health is a sector cloud)
    assert main([*cli, "get", "drift", "--tier", "sector", "-o", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == len(drift)
    assert main([*cli, "get", "drift", "--tier", "municipal", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []

    world.sim.remove_out_of_band(managed[0])
    assert main([*cli, "provider", "sync", "sim-health"]) == 0
    capsys.readouterr()
    assert main([*cli, "get", "drift", "--history", "-o", "json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert [d["drift"] for d in history if d["resolved_at"]] == ["changed"]
    assert main([*cli, "get", "resources", "--deleted", "-o", "json"]) == 0
    assert sum(1 for r in json.loads(capsys.readouterr().out) if r["deleted_at"]) == 2


def test_provider_errors_are_clear_govcloud_errors(
    world: World, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*cli, "provider", "sync", "prov-main"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: provider prov-main:")
    assert "Traceback" not in err

    assert main([*cli, "--lang", "zh", "provider", "sync", "water-k8s"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误: 云平台 water-k8s")

    assert main([*cli, "provider", "sync", "nowhere"]) == 1
    assert "no such provider" in capsys.readouterr().err
    assert main([*cli, "provider", "sync"]) == 2
    assert "NAME or --all" in capsys.readouterr().err

    _seed(world)
    assert main([*cli, "provider", "sync", "--all", "-o", "json"]) == 1
    captured = capsys.readouterr()
    results = {r["provider"]: r for r in json.loads(captured.out)}
    assert results["sim-health"]["created"] == 3
    assert {results[name].get("error") for name in ("prov-main", "city-a", "water-k8s")} <= {
        "auth",
        "invalid_request",
        "unavailable",
        "not_found",
    }
    assert captured.err.count("error: ") == 3
