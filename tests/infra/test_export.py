"""Exported standalone projects: self-contained, and the same stack as the component.

Cases:
- for a corpus system on each provider kind, the exported ``__main__.py`` run under the
  mock runtime (with the exported stack config) registers exactly the resources the
  component registers: same type tokens, logical names and inputs;
- the project holds ``Pulumi.yaml`` (named ``<tenant>-<system>``), the stack config
  named after the provider, and pinned requirements, and imports nothing of govcloud.
"""

from __future__ import annotations

import ast
import runpy
from pathlib import Path

import pytest
import yaml

from infra.blueprint import blueprint
from infra.component import SystemComponent
from infra.export import export_project
from tests.infra.conftest import REQUESTS, family, planned
from tests.infra.mock_runtime import run_mocked

SETTINGS = {
    "openstack": {"openstack:cloud": "prov-main"},
    "kubernetes": {"kubernetes:context": "water"},
}


@pytest.mark.parametrize("kind", ["openstack", "kubernetes"])
def test_exported_program_registers_what_the_component_registers(kind: str, tmp_path: Path) -> None:
    ((system, desired),) = planned(REQUESTS / "manifests" / "ok-compute-and-kubernetes.yaml")
    plan = blueprint(system, family(desired, kind), kind, provider="prov-main")
    project = export_project(
        plan, provider="prov-main", settings=SETTINGS[kind], directory=tmp_path / "out"
    )
    config = yaml.safe_load((project.directory / "Pulumi.prov-main.yaml").read_text())["config"]
    assert config == SETTINGS[kind]

    main = project.directory / "__main__.py"
    exported = run_mocked(lambda: runpy.run_path(str(main), run_name="__main__"), config)
    component = run_mocked(lambda: SystemComponent(plan), config)
    assert len(component) > 3
    # Registration order follows output resolution, which is asynchronous: compare sets.
    assert len(exported) == len(component)
    assert {(r.type, r.name): r.inputs for r in exported} == {
        (r.type, r.name): r.inputs for r in component
    }


def test_exported_project_is_self_contained(tmp_path: Path) -> None:
    ((system, desired),) = planned(REQUESTS / "manifests" / "ok-provincial.yaml")
    plan = blueprint(system, family(desired, "openstack"), "openstack", provider="prov-main")
    project = export_project(
        plan, provider="prov-main", settings=SETTINGS["openstack"], directory=tmp_path
    )
    assert sorted(p.name for p in project.files) == [
        "Pulumi.prov-main.yaml", "Pulumi.yaml", "__main__.py", "requirements.txt",
    ]  # fmt: skip
    settings = yaml.safe_load((tmp_path / "Pulumi.yaml").read_text())
    assert settings["name"] == "hrss-pension-portal"
    assert settings["runtime"]["name"] == "python"
    tree = ast.parse((tmp_path / "__main__.py").read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported == {"pulumi", "pulumi_openstack"}
    requirements = (tmp_path / "requirements.txt").read_text().split()
    assert [r.split("==")[0] for r in requirements] == ["pulumi", "pulumi-openstack"]
