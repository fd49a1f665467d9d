"""Keystone as identity provider, against the OpenStack peer's real Keystone.

Cases: a Keystone user of the peer, mapped to the department principal of hrss, plans
and applies a request for hrss through the HTTP API with its own Keystone token and is
refused (403) for another tenant; a valid Keystone user nobody mapped, and a token
Keystone does not know, get 401; a group mapping maps a user by membership.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import openstack.config
import pytest
from openstack.connection import Connection

from controlplane.app import App
from controlplane.keystone import KeystoneIdentity
from tests.api.conftest import Server, run_server
from tests.governance.support import apply_estate, manifest_text
from tests.peers.openstack_peer import start_openstack_peer

pytestmark = [
    pytest.mark.openstack,
    pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK50Warning"),
    pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK60Warning"),
    pytest.mark.filterwarnings("ignore::openstack.warnings.OpenStackDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

PASSWORD = "facade-" + uuid.uuid4().hex


def _token(auth_url: str, user: str) -> str:
    answer = httpx.post(
        f"{auth_url}/auth/tokens",
        json={"auth": {"identity": {"methods": ["password"], "password": {
            "user": {"name": user, "domain": {"name": "Default"}, "password": PASSWORD}}}}},
        timeout=30,
    )  # fmt: skip
    answer.raise_for_status()
    return answer.headers["X-Subject-Token"]


@pytest.fixture
def keystone_server(app: App, tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    peer = start_openstack_peer()
    region = openstack.config.OpenStackConfig(config_files=[peer.clouds_yaml]).get_one(
        cloud=peer.cloud
    )
    conn = Connection(config=region)
    auth_url = str(region.config["auth"]["auth_url"]).rstrip("/")
    suffix = uuid.uuid4().hex[:8]
    names = {k: f"facade-{k}-{suffix}" for k in ("alice", "bob", "carol", "group")}
    made = [conn.identity.create_user(name=names[k], password=PASSWORD, domain_id="default")
            for k in ("alice", "bob", "carol")]  # fmt: skip
    group = conn.identity.create_group(name=names["group"], domain_id="default")
    conn.identity.add_user_to_group(made[2], group)
    mapping = tmp_path / "keystone.yaml"
    mapping.write_text(
        "apiVersion: govcloud.io/v1\nkind: KeystoneMapping\nspec:\n"
        f"  cloud: {peer.cloud}\n  cloudsYaml: {peer.clouds_yaml}\n"
        f"  users: {{{names['alice']}: hrss-wang}}\n"
        f"  groups: {{{names['group']}: audit-zhou}}\n",
        encoding="utf-8",
    )
    apply_estate(app)
    tokens = {k: _token(auth_url, names[k]) for k in ("alice", "bob", "carol")}
    try:
        yield from (
            (server, tokens)
            for server in run_server(app, providers=(KeystoneIdentity.from_file(mapping),))
        )
    finally:
        for user in made:
            conn.identity.delete_user(user, ignore_missing=True)
        conn.identity.delete_group(group, ignore_missing=True)


def _m(tenant: str, provider: str) -> dict[str, str]:
    return {"manifest": manifest_text("kportal", tenant, provider=provider), "source": "k.yaml"}


def test_keystone_user_mapped_to_a_department(
    keystone_server: tuple[Server, dict[str, str]],
) -> None:
    server, tokens = keystone_server
    with server.client(tokens["alice"]) as http:
        me = http.get("/whoami").json()
        assert (me["name"], me["tenant"]) == ("hrss-wang", "hrss")
        planned = http.post("/plans", json=_m("hrss", "prov-sim"))
        assert planned.status_code == 200, planned.text
        applied = http.post("/requests", json=_m("hrss", "prov-sim"))
        assert applied.status_code == 200, applied.text
        request = applied.json()[0]["request"]
        assert request["tenant"] == "hrss" and request["requester"] == "hrss-wang"
        for path in ("/plans", "/requests"):
            refused = http.post(path, json=_m("city-a-edu", "city-a-sim"))
            assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    with server.client(tokens["carol"]) as http:
        assert http.get("/whoami").json()["name"] == "audit-zhou"  # by group membership
    for token in (tokens["bob"], "not-a-keystone-token-" + uuid.uuid4().hex):
        with server.client(token) as http:
            answer = http.get("/whoami")
            assert answer.status_code == 401, answer.text
            assert answer.json()["code"] == "unauthenticated"
