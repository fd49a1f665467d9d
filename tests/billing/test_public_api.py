"""The billing package's public surface and its import boundary.

Cases covered:
- ``controlplane.billing.__all__`` names exactly the public names the package defines
  and every one resolves;
- importing the billing core (exports included) pulls in no database, CLI, provider
  driver or Textual module (checked in a fresh interpreter).
"""

from __future__ import annotations

import subprocess
import sys

import controlplane.billing as billing


def test_all_is_complete_and_resolves() -> None:
    public = {name for name in vars(billing) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(billing, name)).__name__ == "module"}
    assert set(billing.__all__) == public - modules - {"annotations"}
    for name in billing.__all__:
        assert getattr(billing, name) is not None


def test_core_imports_no_io_layers() -> None:
    code = (
        "import sys, controlplane.billing, controlplane.billing.exports;"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "{'sqlalchemy', 'sqlmodel', 'textual', 'typer', 'openstack', 'kubernetes', 'providers'}"
        " or m.startswith(('controlplane.db', 'controlplane.cli'))];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
