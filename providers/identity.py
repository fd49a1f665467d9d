"""Identity providers as values: who a cloud's token belongs to, without loading an SDK.

:func:`keystone_validator` builds :class:`providers.keystone.KeystoneValidator` on
first use (imported lazily, like the drivers in :mod:`providers.registry`), so callers
outside ``providers`` never import keystoneauth or openstacksdk, not even indirectly.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

__all__ = ["IdentityUser", "TokenValidator", "keystone_validator"]


@dataclass(frozen=True)
class IdentityUser:
    """The owner of a valid identity-provider token."""

    user_id: str
    name: str
    domain: str
    groups: tuple[str, ...]
    project: str | None


class TokenValidator(Protocol):
    def validate(self, token: str) -> IdentityUser:
        """The token's owner; ``ProviderNotFound`` when the provider rejects the token."""
        ...


def keystone_validator(cloud: str, clouds_yaml: str | None = None) -> TokenValidator:
    """A validator against the Keystone of ``clouds.yaml`` cloud ``cloud``."""
    module = importlib.import_module("providers.keystone")
    validator: TokenValidator = module.KeystoneValidator(cloud, clouds_yaml)
    return validator
