"""The ``ComponentResource`` of one department system on one provider.

Owns ``SystemComponent``: it instantiates a ``infra.blueprint.Blueprint`` — every
resource a child of the component, created with the blueprint's explicit provider —
resolving ``Ref`` to the outputs of earlier resources, ``Lookup`` to data-source calls
and ``Setting`` to required stack config. Nothing here decides *what* is created; the
blueprint does, so the SDK engine, this component and the exported program agree.

Imports ``pulumi`` and, by name from the blueprint, ``pulumi_openstack`` /
``pulumi_kubernetes``; nothing internal outside ``infra`` and ``providers``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import pulumi

from infra.blueprint import Blueprint, Lookup, Ref, Setting

__all__ = ["SystemComponent"]


class SystemComponent(pulumi.ComponentResource):
    """All Pulumi resources of ``plan``, parented here; ``resources`` maps handles."""

    def __init__(self, plan: Blueprint, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(plan.component_type, plan.component_name, {}, opts)
        self.resources: dict[str, pulumi.Resource] = {}
        for item in plan.resources:
            factory: Any = getattr(importlib.import_module(item.module), item.cls)
            options = pulumi.ResourceOptions(
                parent=self,
                depends_on=[self.resources[handle] for handle in item.depends],
                provider=self.resources[item.provider] if item.provider else None,  # type: ignore[arg-type]
            )
            inputs = {key: self._resolve(value) for key, value in item.inputs.items()}
            self.resources[item.handle] = factory(item.name, **inputs, opts=options)
        self.register_outputs(
            {"tenant": plan.system.tenant, "system": plan.system.system,
             "request": plan.system.request_id}
        )  # fmt: skip

    def _resolve(self, value: object) -> Any:
        if isinstance(value, Ref):
            return getattr(self.resources[value.handle], value.attr)
        if isinstance(value, Lookup):
            call = getattr(importlib.import_module(value.module), f"{value.function}_output")
            return getattr(call(**value.args, opts=pulumi.InvokeOptions(parent=self)), value.attr)
        if isinstance(value, Setting):
            return pulumi.Config(value.namespace).require(value.key)
        if isinstance(value, Mapping):
            return {key: self._resolve(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self._resolve(item) for item in value]
        return value
