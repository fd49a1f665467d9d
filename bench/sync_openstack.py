"""Benchmark: inventory sync of the real OpenStack peer holding ~200 fake servers.

Brings the peer up (``scripts/peers/openstack up``, reused when running), provisions
``--servers`` servers (``m1.tiny``, fake compute driver) for one department spread over
systems of ``--per-system`` servers with ``OpenStackDriver.apply``, then times what
``govcloud provider sync`` does: ``list_inventory`` (all projects, paginated) and
``observe_usage`` over the last day. Prints one JSON document: counts, seconds,
resources/s and the growth of peak RSS during each step. The servers are deleted
afterwards unless ``--keep``.

Run: ``.venv/bin/python bench/sync_openstack.py [--servers 200] [--per-system 50] [--keep]``
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from providers.openstack import OpenStackDriver
from providers.types import DesiredResource, QuotaSet, SystemRef

REPO = Path(__file__).resolve().parents[1]


def _peer_helper() -> Any:
    spec = importlib.util.spec_from_file_location(
        "openstack_peer", REPO / "tests" / "peers" / "openstack_peer.py"
    )
    assert spec is not None and spec.loader is not None
    # Registered before running: the helper's dataclasses look their module up.
    module = sys.modules.setdefault("openstack_peer", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def system_resources(servers: int) -> list[DesiredResource]:
    items = [
        DesiredResource("network", "net", {"cidr": "10.30.0.0/22"}),
        DesiredResource("security_group", "sg", {}),
        DesiredResource(
            "security_rule",
            "https",
            {"security_group": "sg", "protocol": "tcp", "port": 443, "remote_cidr": "0.0.0.0/0"},
            ("sg",),
        ),
    ]
    spec = {"flavor": "m1.tiny", "image": "cirros", "network": "net", "security_groups": ["sg"]}
    items += [DesiredResource("server", f"vm-{i:03d}", spec, ("net", "sg")) for i in range(servers)]
    return items


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--per-system", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="leave the servers in place")
    args = parser.parse_args(argv)

    peer = _peer_helper().start_openstack_peer()
    driver = OpenStackDriver(
        "peer", cloud=peer.cloud, clock=lambda: datetime.now(UTC), clouds_yaml=peer.clouds_yaml
    )
    tenant = f"bench{uuid.uuid4().hex[:6]}"
    driver.set_quotas(tenant, QuotaSet(vcpu=100_000, memory_gib=100_000, public_ips=10))
    systems: list[SystemRef] = []
    began = time.perf_counter()
    remaining = args.servers
    while remaining > 0:
        count = min(args.per_system, remaining)
        ref = SystemRef(tenant, f"sys-{len(systems):03d}", "req-bench", 2)
        outcomes = driver.apply(ref, system_resources(count))
        failed = [o for o in outcomes if not o.ok]
        if failed:
            sys.exit(f"provisioning failed: {failed[0].kind}/{failed[0].name}: {failed[0].error}")
        systems.append(ref)
        remaining -= count
    provision_s = time.perf_counter() - began

    results: dict[str, object] = {
        "servers": args.servers,
        "systems": len(systems),
        "provision_seconds": round(provision_s, 2),
        "servers_per_second_provisioned": round(args.servers / provision_s, 2),
    }
    rss = peak_rss_mib()
    began = time.perf_counter()
    inventory = list(driver.list_inventory())
    seconds = time.perf_counter() - began
    managed = sum(1 for r in inventory if r.managed and r.tenant == tenant)
    results["inventory"] = {
        "resources": len(inventory),
        "managed_of_this_bench": managed,
        "seconds": round(seconds, 3),
        "resources_per_second": round(len(inventory) / seconds, 1),
        "peak_rss_growth_mib": round(peak_rss_mib() - rss, 1),
    }
    rss = peak_rss_mib()
    now = datetime.now(UTC)
    began = time.perf_counter()
    usage = list(driver.observe_usage(now - timedelta(days=1), now))
    seconds = time.perf_counter() - began
    results["usage"] = {
        "observations": len(usage),
        "seconds": round(seconds, 3),
        "observations_per_second": round(len(usage) / seconds, 1),
        "peak_rss_growth_mib": round(peak_rss_mib() - rss, 1),
    }
    results["peak_rss_mib"] = round(peak_rss_mib(), 1)
    if not args.keep:
        began = time.perf_counter()
        for ref in systems:
            driver.delete(ref)
        results["delete_seconds"] = round(time.perf_counter() - began, 2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
