"""Wait until the OpenStack peer answers, and (with ``--setup``) seed its catalogue.

Ready means: Keystone issues a token, Nova lists an ``up`` nova-compute service and a
hypervisor (the cell's host is discovered), and Neutron, Glance and Placement answer;
with ``--cinder`` also that Cinder lists an ``up`` cinder-scheduler and cinder-volume.
``--setup`` then creates, idempotently, what govcloud's estate catalogue names: the
flavours ``c2m4``/``c4m8``/``c8m32`` (and ``m1.tiny``), the images ``kylin-v10-sp3``,
``ubuntu-22.04`` and ``cirros`` (a few bytes of raw data: the fake driver never reads
them) and an external flat network ``public`` for router gateways; with ``--cinder``
also the volume types ``ssd`` and ``hdd`` and their encrypted twins ``ssd-encrypted``
and ``hdd-encrypted`` (LUKS, aes-xts-plain64, 256-bit key, front-end: Nova's side).

Exit status 0 when ready, 1 (with the last failure on stderr) on time-out.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time

import openstack
from openstack.connection import Connection

CLOUD = os.environ.get("GOVCLOUD_OS_CLOUD", "govcloud-peer")  # a private instance's own name
FLAVORS: tuple[tuple[str, int, int, int], ...] = (  # name, vcpus, ram MiB, disk GiB
    ("m1.tiny", 1, 512, 1),
    ("c2m4", 2, 4096, 10),
    ("c4m8", 4, 8192, 20),
    ("c8m32", 8, 32768, 40),
)
IMAGES = ("kylin-v10-sp3", "ubuntu-22.04", "cirros")
VOLUME_TYPES = ("ssd", "hdd")
ENCRYPTED_SUFFIX = "-encrypted"
ENCRYPTION = {
    "provider": "luks",
    "cipher": "aes-xts-plain64",
    "key_size": 256,
    "control_location": "front-end",
}


def check_cinder(conn: Connection) -> str | None:
    """None when Cinder's scheduler and volume service are up, else what is missing."""
    up = {s.binary for s in conn.block_storage.services() if s.state == "up"}
    missing = {"cinder-scheduler", "cinder-volume"} - up
    return f"cinder services not up yet: {sorted(missing)}" if missing else None


def check(conn: Connection, cinder: bool = False) -> str | None:
    """None when ready, else what is still missing."""
    conn.authorize()
    if cinder:
        missing = check_cinder(conn)
        if missing is not None:
            return missing
    services = [
        s for s in conn.compute.services() if s.binary == "nova-compute" and s.state == "up"
    ]
    if not services:
        return "no nova-compute service is up yet"
    if not list(conn.compute.hypervisors()):
        return "no hypervisor discovered yet"
    list(conn.network.networks(limit=1))
    list(conn.image.images(limit=1))
    conn.placement.get("/", raise_exc=True)
    return None


def wait_ready(timeout: float, cinder: bool = False) -> None:
    deadline = time.monotonic() + timeout
    last = "not tried"
    while time.monotonic() < deadline:
        try:
            conn = openstack.connect(cloud=CLOUD)
            missing = check(conn, cinder)
            if missing is None:
                return
            last = missing
        except Exception as exc:  # every failure here means "not yet"
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(1.0)
    print(f"not ready after {timeout:.0f} s: {last}", file=sys.stderr)
    sys.exit(1)


def seed(conn: Connection) -> None:
    for name, vcpus, ram, disk in FLAVORS:
        if conn.compute.find_flavor(name) is None:
            conn.compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=disk, is_public=True)
    for name in IMAGES:
        if conn.image.find_image(name) is None:
            conn.image.create_image(
                name=name,
                data=io.BytesIO(b"govcloud peer image " + name.encode()),
                disk_format="raw",
                container_format="bare",
                visibility="public",
                allow_duplicates=True,
            )
    if conn.network.find_network("public") is None:
        net = conn.network.create_network(
            name="public",
            is_router_external=True,
            provider_network_type="flat",
            provider_physical_network="public",
            is_shared=False,
        )
        conn.network.create_subnet(
            network_id=net.id,
            name="public-subnet",
            ip_version=4,
            cidr="172.24.4.0/24",
            gateway_ip="172.24.4.1",
            is_dhcp_enabled=False,
        )


def seed_volume_types(conn: Connection) -> None:
    storage = conn.block_storage
    for name in VOLUME_TYPES:
        if storage.find_type(name) is None:
            storage.create_type(name=name, description=f"govcloud peer {name}")
        encrypted = name + ENCRYPTED_SUFFIX
        volume_type = storage.find_type(encrypted)
        if volume_type is None:
            volume_type = storage.create_type(
                name=encrypted, description=f"govcloud peer {name}, encrypted at rest (LUKS)"
            )
        if not storage.get_type_encryption(volume_type).encryption_id:
            storage.create_type_encryption(volume_type, **ENCRYPTION)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--setup", action="store_true")
    parser.add_argument("--cinder", action="store_true", help="also wait for (and seed) Cinder")
    args = parser.parse_args()
    wait_ready(args.timeout, args.cinder)
    if args.setup:
        conn = openstack.connect(cloud=CLOUD)
        seed(conn)
        if args.cinder:
            seed_volume_types(conn)
        print("ready and seeded")
    else:
        print("ready")


if __name__ == "__main__":
    main()
