"""infra — Pulumi as govcloud's second provisioning engine.

Modules (imported by name: loading ``pulumi`` costs a second, so this package
re-exports nothing):

* ``infra.blueprint`` — pure: a system's desired resources (the ones the SDK drivers
  get) as the Pulumi resources that realise them on OpenStack or Kubernetes, tags and
  names included;
* ``infra.component`` — the ``ComponentResource`` that instantiates a blueprint;
* ``infra.export`` — the blueprint as a standalone Pulumi project (``govcloud infra
  export``), the same program the runner runs;
* ``infra.runner`` — the Automation API runner: one stack per (tenant, system, provider),
  preview / up / refresh / destroy, busy stacks, pending operations, bounded concurrency;
* ``infra.engine`` — ``PulumiEngine``, the ``providers.Provisioning`` implementation;
* ``infra.cli`` / ``infra.errors`` — finding the ``pulumi`` CLI, and the engine's
  ``ProviderError`` subclasses (neither imports ``pulumi``).

May import ``providers`` (for the desired-resource types) and ``pulumi`` packages; the
only package that imports ``pulumi``. Must not import ``controlplane``, ``tui``,
``tenants`` or ``policies``.
"""
