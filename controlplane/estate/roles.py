"""The roles a principal of the estate may hold (``spec.principals[].roles``).

Its own module so that the role table (:mod:`controlplane.rbac`) reads them without
loading the estate schema; :mod:`controlplane.estate.governance` validates them.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["ROLES", "Role"]

Role = Literal["operator", "approver", "department", "finance", "auditor"]
ROLES: tuple[Role, ...] = ("operator", "approver", "department", "finance", "auditor")
