"""infra — Pulumi programs (ComponentResources per tenant system per provider) and the
Automation API runner.

May import ``providers`` (for the desired-resource types) and ``pulumi`` packages; the
only package that imports ``pulumi``. Must not import ``controlplane``, ``tui``,
``tenants`` or ``policies``.
"""
