"""The layering of DESIGN.md/STYLE.md is enforced, and the enforcement can fail.

Cases: the real tree keeps every import-linter contract; a copy of the tree with one
forbidden import added (a leaf importing controlplane, controlplane importing textual, a
non-provider importing openstack, a non-infra package importing pulumi) breaks the
matching contract; every package opens with a docstring.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tui", "controlplane", "policies", "infra", "tenants", "providers")
LINT = str(Path(sys.executable).with_name("lint-imports"))


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [LINT, "--config", str(cwd / ".importlinter"), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_real_tree_keeps_every_contract() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("tenants/_bad.py", "import controlplane.app\n", "Layers"),
        ("providers/_bad.py", "from controlplane import audit\n", "Layers"),
        ("controlplane/_bad.py", "import textual\n", "Only tui imports textual"),
        ("policies/_bad.py", "import openstack\n", "Only providers imports the cloud SDKs"),
        ("controlplane/_bad.py", "import pulumi\n", "Only infra imports pulumi"),
        ("policies/_bad.py", "import providers.base\n", "policies imports only tenants"),
        ("controlplane/facade/_bad.py", "import controlplane.api.server\n", "One door"),
        ("controlplane/bills/_bad.py", "import controlplane.facade\n", "Services never import"),
    ],
)
def test_forbidden_import_breaks_a_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "packs", "*.yaml"),
        )
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    (tmp_path / module).write_text(line)
    result = _lint(tmp_path)
    assert result.returncode != 0
    # A contract with ignored imports reports "BROKEN (N ignored imports)".
    broken = [ln for ln in result.stdout.splitlines() if " BROKEN" in ln]
    assert any(ln.startswith(contract) for ln in broken), result.stdout


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_explains_itself(package: str) -> None:
    doc = importlib.import_module(package).__doc__ or ""
    assert len(doc.strip()) > 40, f"{package}/__init__.py needs a module docstring"
    assert "import" in doc, f"{package} docstring should say what it must not import"
