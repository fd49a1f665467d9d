"""Register the peer's services with Keystone: service project, users, roles, catalog.

Run by ``scripts/peers/openstack up`` in the peer's own virtualenv (openstacksdk ships
with nova there), with ``OS_CLIENT_CONFIG_FILE`` pointing at the peer's clouds.yaml.
Idempotent: every object is looked up by name before it is created.
"""

from __future__ import annotations

import argparse
import os
import time

import openstack
from openstack.connection import Connection

# The instance's cloud name and port offset (a second, private peer sets both).
CLOUD = os.environ.get("GOVCLOUD_OS_CLOUD", "govcloud-peer")
OFFSET = int(os.environ.get("GOVCLOUD_OS_PORT_OFFSET", "0"))
BASE = "http://127.0.0.1"
# service user, catalog name, catalog type, endpoint URL
SERVICES: tuple[tuple[str, str, str, str], ...] = (
    ("placement", "placement", "placement", f"{BASE}:{8778 + OFFSET}"),
    ("glance", "glance", "image", f"{BASE}:{9292 + OFFSET}"),
    ("neutron", "neutron", "network", f"{BASE}:{9696 + OFFSET}"),
    ("nova", "nova", "compute", f"{BASE}:{8774 + OFFSET}/v2.1"),
    # nova finds cinder as ``volumev3`` (its [cinder] catalog_info default)
    ("cinder", "cinderv3", "volumev3", f"{BASE}:{8776 + OFFSET}/v3/%(project_id)s"),
)


def connect(deadline: float) -> Connection:
    """Keystone has just started under uwsgi: retry until it issues a token."""
    while True:
        try:
            conn = openstack.connect(cloud=CLOUD)
            conn.authorize()
            return conn
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def register(conn: Connection, password: str) -> None:
    ident = conn.identity
    domain = ident.find_domain("default", ignore_missing=False)
    project = ident.find_project("service", domain_id=domain.id) or ident.create_project(
        name="service", domain_id=domain.id, description="OpenStack service users"
    )
    roles = {
        name: ident.find_role(name) or ident.create_role(name=name) for name in ("admin", "service")
    }
    for user_name, svc_name, svc_type, url in SERVICES:
        user = ident.find_user(user_name, domain_id=domain.id) or ident.create_user(
            name=user_name, password=password, domain_id=domain.id, default_project_id=project.id
        )
        for role in roles.values():
            ident.assign_project_role_to_user(project, user, role)
        service = ident.find_service(svc_name) or ident.create_service(
            name=svc_name, type=svc_type, enabled=True
        )
        existing = {ep.interface for ep in ident.endpoints(service_id=service.id)}
        for interface in ("public", "internal", "admin"):
            if interface not in existing:
                ident.create_endpoint(
                    service_id=service.id, interface=interface, url=url, region_id="RegionOne"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--password", required=True)
    parser.add_argument("--timeout", type=float, default=90.0)
    args = parser.parse_args()
    conn = connect(time.monotonic() + args.timeout)
    register(conn, args.password)
    print("registered", ", ".join(s[0] for s in SERVICES))


if __name__ == "__main__":
    main()
