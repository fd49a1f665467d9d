"""A list command starts fast: what ``provider list`` and ``get resources`` load.

Timing on a shared machine proves little, so this counts what a fresh interpreter
imports to run each command on the local (SQLite) home, in English and in Chinese:
- none of the heavy layers (SQLAlchemy, SQLModel, Alembic, the table models, the
  app and its services, the facade's pydantic read models, the estate schema, ``rich``
  beyond its cell widths, YAML writers, HTTP clients) — each was a measured cost;
- at most :data:`CEILING` modules in all (issue 17 measured 1,106, then 787; 300–306
  after the embedded read path; the rest is Python, typer and the pydantic typer uses
  to convert option values);
- help and usage errors still load what they need (``rich``) and say it.
``bench/cli.py`` measures the time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

#: Modules a list command must not load (prefixes).
HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "controlplane.db.models",
    "controlplane.db.tables_",
    "controlplane.db.engine",
    "controlplane.app",
    "controlplane.facade.govcloud",
    "controlplane.facade.models",
    "controlplane.estate.schema",
    "controlplane.estate.governance",
    "controlplane.estate.service",
    "controlplane.inventory.query",
    "controlplane.inventory.sync",
    "controlplane.requests",
    "controlplane.billing",
    "controlplane.bills",
    "controlplane.remote",
    "tenants",
    "policies",
    "providers.simulator",
    "rich.console",
    "typer.rich_utils",
    "ruamel",
    "yaml",
    "httpx",
)
#: The most modules a list command may load (300–306 when written).
CEILING = 340

_PROBE = """
import json, sys
from controlplane.cli.main import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""


def _loaded(home: Path, tmp_path: Path, *argv: str) -> tuple[int, list[str], str]:
    report = tmp_path / "modules.json"
    env = {"GOVCLOUD_HOME": str(home), "GOVCLOUD_CONFIG": str(tmp_path / "none.yaml"),
           "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(report), *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found = json.loads(report.read_text())
    return found["code"], found["modules"], done.stdout + done.stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    "argv",
    [
        ["provider", "list"],
        ["get", "resources", "--limit", "50"],
        ["get", "resources", "-o", "json"],
    ],
    ids=["provider-list", "get-resources", "get-resources-json"],
)
def test_a_list_command_loads_no_heavy_layer(
    province: Path, tmp_path: Path, argv: list[str], lang: str
) -> None:
    code, modules, printed = _loaded(province, tmp_path, "--lang", lang, *argv)
    assert code == 0, printed
    assert printed.strip()  # it did list something
    heavy = [m for m in modules if m.startswith(HEAVY)]
    assert heavy == []
    assert len(modules) <= CEILING, len(modules)


def test_help_and_usage_errors_still_load_what_they_need(province: Path, tmp_path: Path) -> None:
    code, modules, printed = _loaded(province, tmp_path, "--lang", "zh", "get", "--bogus")
    assert code == 2 and "没有这个选项" in printed
    assert "typer.rich_utils" in modules
    code, modules, printed = _loaded(province, tmp_path, "--lang", "zh", "get")
    assert code == 2 and "命令" in printed and "Commands" not in printed


def test_a_home_the_embedded_path_declines_goes_through_the_facade(tmp_path: Path) -> None:
    """No database yet: the facade creates it (and loads what that takes)."""
    code, modules, printed = _loaded(tmp_path / "fresh", tmp_path, "provider", "list")
    assert code == 0, printed
    assert "sqlalchemy" in modules and (tmp_path / "fresh" / "govcloud.db").exists()
