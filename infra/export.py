"""Standalone Pulumi projects a department can keep: ``govcloud infra export``.

Owns ``render_program`` (the blueprint of one system as a readable, self-contained
Python program: a ``ComponentResource`` class holding every resource explicitly, with
the same type token, name and children as ``infra.component.SystemComponent``, so the
stack it makes is the stack govcloud would make) and ``export_project`` (writes
``Pulumi.yaml``, ``__main__.py``, ``requirements.txt`` and the stack's
``Pulumi.<stack>.yaml``). The program imports only ``pulumi`` and the provider SDK: it
runs with the real Pulumi CLI anywhere, without govcloud.

Must not import anything internal outside ``infra`` and ``providers``; does not import
``pulumi`` itself (it writes text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from infra.blueprint import Blueprint, Lookup, Planned, Ref, Setting

__all__ = ["ExportedProject", "export_project", "project_name", "render_program"]

_PACKAGES = {"openstack": "pulumi-openstack", "kubernetes": "pulumi-kubernetes"}
_INDENT = " " * 8


def project_name(plan: Blueprint) -> str:
    """One Pulumi project per department system: ``<tenant>-<system>``."""
    return f"{plan.system.tenant}-{plan.system.system}"


def _variables(plan: Blueprint) -> dict[str, str]:
    names: dict[str, str] = {}
    taken: set[str] = set()
    for item in plan.resources:
        base = re.sub(r"\W+", "_", item.handle).strip("_").lower() or "resource"
        name, n = base, 2
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        taken.add(name)
        names[item.handle] = name
    return names


def _value(value: object, names: Mapping[str, str], depth: int) -> str:
    pad = _INDENT + "    " * depth
    if isinstance(value, Ref):
        return f"{names[value.handle]}.{value.attr}"
    if isinstance(value, Lookup):
        args = ", ".join(f"{key}={val!r}" for key, val in value.args.items())
        return (
            f"{value.module}.{value.function}_output({args}, "
            f"opts=pulumi.InvokeOptions(parent=self)).{value.attr}"
        )
    if isinstance(value, Setting):
        return f"pulumi.Config({value.namespace!r}).require({value.key!r})"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = "".join(
            f"{pad}    {key!r}: {_value(item, names, depth + 1)},\n" for key, item in value.items()
        )
        return "{\n" + inner + pad + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        inner = "".join(f"{pad}    {_value(item, names, depth + 1)},\n" for item in value)
        return "[\n" + inner + pad + "]"
    return repr(value)


def _resource(item: Planned, names: Mapping[str, str]) -> str:
    options = ["parent=self"]
    if item.depends:
        options.append("depends_on=[" + ", ".join(names[h] for h in item.depends) + "]")
    if item.provider:
        options.append(f"provider={names[item.provider]}")
    lines = [
        f"{_INDENT}{names[item.handle]} = {item.module}.{item.cls}(",
        f"{_INDENT}    {item.name!r},",
    ]
    lines += [f"{_INDENT}    {key}={_value(val, names, 1)}," for key, val in item.inputs.items()]
    lines += [f"{_INDENT}    opts=pulumi.ResourceOptions({', '.join(options)}),", f"{_INDENT})"]
    return "\n".join(lines)


def render_program(plan: Blueprint, *, provider: str) -> str:
    """``__main__.py`` of the standalone project of ``plan`` on ``provider``."""
    system = plan.system
    names = _variables(plan)
    modules = sorted({"pulumi", *(item.module for item in plan.resources)})
    lookups = sorted(
        {v.module for item in plan.resources for v in item.inputs.values() if isinstance(v, Lookup)}
    )
    imports = "\n".join(f"import {module}" for module in sorted({*modules, *lookups}))
    body = "\n\n".join(_resource(item, names) for item in plan.resources)
    return f'''"""{system.tenant}/{system.system} on {provider} ({plan.provider_kind}), as govcloud provisions it.

Exported by `govcloud infra export` from request {system.request_id} (等保 level {system.level}).
Every resource carries govcloud's tenant/system/request marks, so govcloud's inventory
treats it as managed whichever tool applied it. Run with the Pulumi CLI:
`pulumi stack select {provider} --create && pulumi up`.
"""

{imports}


class System(pulumi.ComponentResource):
    """Every resource of the system, parented here (govcloud's component, written out)."""

    def __init__(self, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__({plan.component_type!r}, {plan.component_name!r}, {{}}, opts)

{body}

        self.register_outputs(
            {{"tenant": {system.tenant!r}, "system": {system.system!r}, "request": {system.request_id!r}}}
        )


System()
'''


def _yaml_scalar(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _requirements(plan: Blueprint) -> str:
    lines = []
    for package in ("pulumi", _PACKAGES[plan.provider_kind]):
        try:
            lines.append(f"{package}=={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            lines.append(package)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class ExportedProject:
    """Where a project was written: its directory, stack name and files."""

    directory: Path
    project: str
    stack: str
    files: tuple[Path, ...]


def export_project(
    plan: Blueprint, *, provider: str, settings: Mapping[str, str], directory: Path
) -> ExportedProject:
    """Write the standalone project of ``plan`` into ``directory`` (created if missing).

    ``settings`` is the stack config (``openstack:cloud`` or ``kubernetes:context``);
    the stack is named after ``provider``. Existing files of the same names are replaced.
    """
    directory.mkdir(parents=True, exist_ok=True)
    name = project_name(plan)
    stack_config = "".join(
        f"  {key}: {_yaml_scalar(value)}\n" for key, value in sorted(settings.items())
    )
    texts = {
        "Pulumi.yaml": (
            f"name: {name}\nruntime:\n  name: python\n  options:\n    toolchain: pip\n"
            f"    virtualenv: venv\n"
            f"description: {_yaml_scalar(f'{plan.system.tenant}/{plan.system.system} (govcloud)')}\n"
        ),
        f"Pulumi.{provider}.yaml": "config:\n" + stack_config if stack_config else "config: {}\n",
        "__main__.py": render_program(plan, provider=provider),
        "requirements.txt": _requirements(plan),
    }
    files = []
    for file, text in texts.items():
        path = directory / file
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return ExportedProject(directory, name, provider, tuple(files))
