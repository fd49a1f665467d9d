"""controlplane — persistence, services, placement, metering, billing, RBAC, audit and CLI.

Owns the database (SQLModel tables and Alembic migrations; it is the only package that
writes to it) and the services that run govcloud's one-directional flow: estate →
request → admit → place → plan → approve → provision → inventory → meter → rate → bill.

May import every leaf package (``tenants``, ``policies``, ``providers``, ``infra``).
Must never import ``textual`` or ``tui`` (the UI sits on top of the services, not under).
"""
