"""Keystone users and groups mapped to estate principals (an API identity provider).

The mapping is a small YAML file (``govcloud serve --keystone-map FILE``)::

    apiVersion: govcloud.io/v1
    kind: KeystoneMapping
    spec:
      cloud: govcloud-peer          # clouds.yaml cloud of the validating service user
      users:  {alice: hrss-wang}    # Keystone user name -> estate principal
      groups: {bdb-approvers: bdb-zhang}

A user named in ``users`` maps to that principal; otherwise the first of its groups (in
name order) named in ``groups``; otherwise the token is refused as unauthenticated — a
valid Keystone account is not a govcloud principal until someone maps it. What the
principal may do is then the estate's role table, as for any other caller.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from controlplane.errors import ProviderFailure, Unauthenticated
from providers import ProviderError
from providers.errors import ProviderNotFound
from providers.identity import IdentityUser, TokenValidator, keystone_validator
from tenants import StrictModel, load_yaml_file, parse_model

__all__ = ["KeystoneIdentity", "KeystoneMapping", "load_mapping"]


class KeystoneMappingSpec(StrictModel):
    cloud: str
    clouds_yaml: str | None = Field(default=None, alias="cloudsYaml")
    users: dict[str, str] = Field(default_factory=dict)
    groups: dict[str, str] = Field(default_factory=dict)


class KeystoneMapping(StrictModel):
    api_version: str = Field(alias="apiVersion", pattern=r"^govcloud\.io/v1$")
    kind: str = Field(pattern=r"^KeystoneMapping$")
    spec: KeystoneMappingSpec

    def principal_of(self, user: IdentityUser) -> str | None:
        if user.name in self.spec.users:
            return self.spec.users[user.name]
        for group in user.groups:
            if group in self.spec.groups:
                return self.spec.groups[group]
        return None


def load_mapping(path: Path) -> KeystoneMapping:
    """The mapping in ``path``; a located ManifestError when it is malformed."""
    (doc,) = load_yaml_file(str(path))
    return parse_model(KeystoneMapping, doc)


class KeystoneIdentity:
    """Keystone token → estate principal, by the mapping."""

    def __init__(self, mapping: KeystoneMapping, validator: TokenValidator) -> None:
        self._mapping = mapping
        self._validator = validator

    @classmethod
    def from_file(cls, path: Path) -> KeystoneIdentity:
        mapping = load_mapping(path)
        validator = keystone_validator(mapping.spec.cloud, mapping.spec.clouds_yaml)
        return cls(mapping, validator)

    def principal_for(self, credential: str) -> str:
        try:
            user = self._validator.validate(credential)
        except ProviderNotFound as exc:
            raise Unauthenticated(
                "未认证：Keystone 令牌无效或已过期",
                "unauthenticated: the Keystone token is invalid or expired",
            ) from exc
        except ProviderError as exc:
            raise ProviderFailure(
                f"无法向 Keystone 校验令牌：{exc.message_zh}",
                f"the token could not be validated by Keystone: {exc.message_en}",
                retryable=exc.temporary,
                status=503,
            ) from exc
        principal = self._mapping.principal_of(user)
        if principal is None:
            raise Unauthenticated(
                f"未认证：Keystone 用户 {user.name!r} 未映射到任何 govcloud 主体",
                f"unauthenticated: Keystone user {user.name!r} is not mapped to a govcloud "
                "principal",
            )
        return principal
