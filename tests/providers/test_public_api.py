"""The public surface and the layering of the providers package.

Cases: ``providers.__all__`` is sorted-unique, every name in it resolves, and every
public name of the contract modules is re-exported; every module of ours opens with
a docstring; importing ``providers`` (and building a simulator) loads no cloud SDK
and no other govcloud package.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import providers

CONTRACT_MODULES = [
    "providers.base",
    "providers.errors",
    "providers.types",
    "providers.kinds",
    "providers.ordering",
    "providers.quantity",
    "providers.registry",
    "providers.simulator",
    "providers.sim.clock",
    "providers.sim.faults",
]
OUR_MODULES = [*CONTRACT_MODULES, "providers", "providers.sim.store", "providers.sim.persist"]


def test_all_is_complete_and_resolves() -> None:
    assert len(set(providers.__all__)) == len(providers.__all__)
    for name in providers.__all__:
        assert getattr(providers, name) is not None
    for module_name in CONTRACT_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            if name in {"Lang", "Action", "Platform", "GIB", "LABEL_PREFIX"}:
                continue  # type aliases and constants used inside the package only
            assert name in providers.__all__, f"{module_name}.{name} is not re-exported"


@pytest.mark.parametrize("module_name", OUR_MODULES)
def test_modules_open_with_a_docstring(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__doc__
    assert len(module.__doc__.strip()) > 40


def test_import_is_a_leaf_without_sdks() -> None:
    code = (
        "import sys, providers\n"
        "from datetime import UTC, datetime\n"
        "providers.build_driver(providers.ProviderConfig('s', 'simulator'),"
        " clock=lambda: datetime.now(UTC)).health()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in"
        " {'openstack', 'keystoneauth1', 'kubernetes', 'pulumi', 'controlplane',"
        " 'tenants', 'policies', 'infra', 'tui', 'textual', 'sqlmodel'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
