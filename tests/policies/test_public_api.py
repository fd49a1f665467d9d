"""The public surface of ``policies`` and its import boundary.

Cases: ``__all__`` names exactly the public names the package exports (each loaded
on first use) and each resolves; importing one light module (``policies.verdicts``)
does not load the engine, the packs or ``tenants``; importing ``policies`` (with every rule registered and the packs loaded)
pulls in no other govcloud package than ``tenants``, no database library and no cloud
SDK; every catalogue row for ``policy list`` is JSON-ready and says whether the rule is
implemented or waiting for inputs.
"""

from __future__ import annotations

import json
import subprocess
import sys

import policies
from policies import Severity, catalog, list_rules


def test_all_is_complete() -> None:
    """Every public name is loaded on first use (PEP 562): ``__all__`` names exactly the
    lazy table, each resolves, and nothing else public is defined eagerly."""
    assert policies.__all__ == sorted(set(policies.__all__), key=policies.__all__.index)
    assert set(policies.__all__) == set(policies._LAZY)
    for name in policies.__all__:
        assert getattr(policies, name) is not None
    eager = {
        name
        for name, value in vars(policies).items()
        if not name.startswith("_")
        and not isinstance(value, type(sys))
        and name not in policies._LAZY
        and name not in {"annotations", "importlib", "TYPE_CHECKING", "Any"}
    }
    assert eager == set()


def test_one_light_module_does_not_load_the_engine() -> None:
    """An option's choices (``Severity``) come from ``policies.verdicts`` alone."""
    code = (
        "import sys; from policies import Severity, WaiverScope;"
        "print('\\n'.join(sorted(sys.modules)))"
    )
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "policies.verdicts" in loaded and "policies.waivers" in loaded
    for heavy in ("policies.engine", "policies.packs", "policies.registry", "tenants", "pydantic"):
        assert heavy not in loaded, heavy


def test_import_boundary() -> None:
    code = (
        "import sys, policies; policies.builtin_packs(); policies.catalog();"
        "import policies.reports;"
        "print('\\n'.join(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    loaded = set(out)
    for forbidden in (
        "controlplane",
        "providers",
        "infra",
        "tui",
        "sqlalchemy",
        "sqlmodel",
        "openstack",
        "kubernetes",
        "pulumi",
        "textual",
    ):
        assert forbidden not in loaded, forbidden
    assert "tenants" in loaded


def test_catalogue_rows_for_policy_list() -> None:
    rows = [spec.summary() for spec in catalog()]
    json.dumps(rows, ensure_ascii=False)
    assert sum(row["implemented"] for row in rows) == 48
    waiting = [row for row in rows if not row["implemented"]]
    assert all(row["pending_inputs"] for row in waiting)
    assert {row["severity"] for row in rows} == {"critical", "high", "medium", "low"}
    assert all(not row["waivable"] for row in rows if row["severity"] == "critical")


def test_list_rules_filters() -> None:
    l4_only = list_rules(level=4, pack="mlps-l4")
    assert "MLPS-L4-PLT-02" in {row["id"] for row in l4_only}
    assert all(4 in row["levels"] and "mlps-l4" in row["packs"] for row in l4_only)
    critical = list_rules(severity=Severity.CRITICAL)
    assert {row["id"] for row in critical} == {
        "GOV-NONCLS-01",
        "MLPS-L1-LOC-01",
        "MLPS-L2-CSP-01",
        "MLPS-L2-DAT-01",
        "MLPS-L2-PLT-01",
    }
    assert [row["id"] for row in list_rules(pack="xinchuang")] == ["CII-XC-01"]
