"""Keystone as an identity provider: who a Keystone token belongs to, and their groups.

govcloud validates a caller's Keystone token against the configured Keystone with a
service session (a ``clouds.yaml`` cloud whose user may validate tokens, usually the
admin of the region): ``GET /v3/auth/tokens`` with ``X-Subject-Token``, then the user's
groups. Lives in ``providers`` because it speaks keystoneauth; failures leave as
:class:`~providers.errors.ProviderError` (an invalid or expired token is
:class:`~providers.errors.ProviderNotFound`: Keystone answers 404 for it).
"""

from __future__ import annotations

import openstack.config

from providers.identity import IdentityUser
from providers.openstack_errors import translated

__all__ = ["KeystoneValidator"]


class KeystoneValidator:
    """Validates user tokens with a service session of one ``clouds.yaml`` cloud."""

    def __init__(self, cloud: str, clouds_yaml: str | None = None) -> None:
        self._label = f"keystone:{cloud}"
        with translated(self._label):
            files = [clouds_yaml] if clouds_yaml else None
            region = openstack.config.OpenStackConfig(config_files=files).get_one(cloud=cloud)
            self._session = region.get_session()
            self._auth_url = str(region.config["auth"]["auth_url"]).rstrip("/")

    def validate(self, token: str) -> IdentityUser:
        """The user ``token`` belongs to; ``ProviderNotFound`` if Keystone rejects it."""
        with translated(self._label):
            answer = self._session.get(
                f"{self._auth_url}/auth/tokens",
                headers={"X-Subject-Token": token},
                authenticated=True,
            )
            body = answer.json()["token"]
            user = body["user"]
            groups = self._session.get(
                f"{self._auth_url}/users/{user['id']}/groups", authenticated=True
            ).json()["groups"]
        project = body.get("project") or {}
        return IdentityUser(
            user_id=str(user["id"]),
            name=str(user["name"]),
            domain=str((user.get("domain") or {}).get("name", "Default")),
            groups=tuple(sorted(str(g["name"]) for g in groups)),
            project=str(project["name"]) if project.get("name") else None,
        )
