"""The Keystone mapping file and the mapping rule, without a Keystone.

Cases: a user named in ``users`` maps to its principal, before any group; otherwise the
first of the user's groups (by name) in ``groups``; otherwise nobody (401 from the
identity provider, with the user named); a malformed mapping is a located error; a
token the validator rejects is 401 and an unreachable Keystone is 503, not 401.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from controlplane.errors import ProviderFailure, Unauthenticated
from controlplane.keystone import KeystoneIdentity, load_mapping
from providers.errors import ProviderNotFound, ProviderUnavailable
from providers.identity import IdentityUser
from tenants import ManifestError

MAPPING = """apiVersion: govcloud.io/v1
kind: KeystoneMapping
spec:
  cloud: peer
  users: {alice: hrss-wang}
  groups: {b-auditors: audit-zhou, a-ops: ops-li}
"""


class Validator:
    def __init__(self, users: dict[str, IdentityUser], down: bool = False) -> None:
        self.users, self.down = users, down

    def validate(self, token: str) -> IdentityUser:
        if self.down:
            raise ProviderUnavailable("keystone:peer", "connection refused")
        if token not in self.users:
            raise ProviderNotFound("keystone:peer", "token not found")
        return self.users[token]


def _user(name: str, *groups: str) -> IdentityUser:
    return IdentityUser(f"id-{name}", name, "Default", tuple(sorted(groups)), None)


def test_mapping_rule(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    users = {
        "t-alice": _user("alice", "a-ops"),
        "t-bob": _user("bob", "b-auditors", "a-ops"),
        "t-carol": _user("carol", "b-auditors"),
        "t-dave": _user("dave", "others"),
    }
    identity = KeystoneIdentity(load_mapping(path), Validator(users))
    assert identity.principal_for("t-alice") == "hrss-wang"  # the user mapping wins
    assert identity.principal_for("t-bob") == "ops-li"  # first group by name
    assert identity.principal_for("t-carol") == "audit-zhou"
    with pytest.raises(Unauthenticated, match="dave"):
        identity.principal_for("t-dave")
    with pytest.raises(Unauthenticated):
        identity.principal_for("t-unknown")
    with pytest.raises(ProviderFailure) as down:
        KeystoneIdentity(load_mapping(path), Validator({}, down=True)).principal_for("t")
    assert down.value.http_status == 503


def test_malformed_mapping_is_located(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(
        MAPPING.replace("users: {alice: hrss-wang}", "users: [alice]"), encoding="utf-8"
    )
    with pytest.raises(ManifestError) as bad:
        load_mapping(path)
    assert str(bad.value.problems[0]).startswith(f"{path}:5:")
