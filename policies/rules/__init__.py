"""The built-in rules of the policy catalogue, one module per catalogue group.

Importing this package registers every rule with :mod:`policies.registry`.
"""

from policies.rules import (
    backup,
    crypto,
    data,
    governance,
    identity,
    images,
    intrusion,
    logs,
    network,
    placement,
)

__all__ = [
    "backup",
    "crypto",
    "data",
    "governance",
    "identity",
    "images",
    "intrusion",
    "logs",
    "network",
    "placement",
]
