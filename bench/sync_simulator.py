"""Benchmark: populate and list 100,000 resources in the simulator provider.

Prints one JSON document: seconds and memory to bulk-populate the simulator, to list
its whole inventory (what ``govcloud provider sync`` does) and to observe a month of
usage; optionally the time to save and reload the state file. Memory is the growth
of the process's peak RSS (``resource.getrusage``), or with ``--tracemalloc`` the
traced Python allocation peak (much slower to run).

Run: ``.venv/bin/python bench/sync_simulator.py [--resources 100000] [--persist]``
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from providers.sim.clock import ManualClock
from providers.simulator import SimulatorDriver
from providers.types import DesiredResource, SystemRef

START = datetime(2026, 3, 1, tzinfo=UTC)
MONTH_END = datetime(2026, 4, 1, tzinfo=UTC)
SERVER = {"flavor": "c4m8", "vcpu": 4, "memory_mib": 8192, "image": "kylin-v10-sp3"}
VOLUME = {"size_gib": 100, "type": "ssd", "encrypted": True}
PUBLIC_IP: dict[str, object] = {"network": "public"}
#: Four resources per system; specs shared as a real manifest's catalogue would be.
PER_SYSTEM = (
    DesiredResource("server", "web", SERVER),
    DesiredResource("server", "db", SERVER),
    DesiredResource("volume", "data", VOLUME, ("server/db",)),
    DesiredResource("floating_ip", "ip", PUBLIC_IP, ("server/web",)),
)


def systems(count: int) -> Iterator[tuple[SystemRef, Sequence[DesiredResource]]]:
    for index in range(count):
        ref = SystemRef(f"dept-{index % 200:03d}", f"system-{index:06d}", f"req-{index}", 3)
        yield ref, PER_SYSTEM


def peak_rss_mib() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def timed(label: str, results: dict[str, object], action: object) -> object:
    rss_before = peak_rss_mib()
    if tracemalloc.is_tracing():
        tracemalloc.reset_peak()
    began = time.perf_counter()
    value = action() if callable(action) else None
    results[f"{label}_seconds"] = round(time.perf_counter() - began, 3)
    results[f"{label}_peak_rss_growth_mib"] = round(peak_rss_mib() - rss_before, 1)
    if tracemalloc.is_tracing():
        results[f"{label}_traced_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--persist", action="store_true", help="also time save + reload")
    args = parser.parse_args()
    if args.tracemalloc:
        tracemalloc.start()
    clock = ManualClock(START)
    driver = SimulatorDriver("bench", clock=clock, seed=args.seed)
    system_count = args.resources // len(PER_SYSTEM)
    results: dict[str, object] = {
        "python": platform.python_version(),
        "resources_requested": args.resources,
        "rss_at_start_mib": round(peak_rss_mib(), 1),
    }
    timed("populate", results, lambda: driver.populate(systems(system_count), created_at=START))
    results["resources"] = driver.resource_count
    clock.advance(days=40)
    listed = timed("list_inventory", results, lambda: sum(1 for _ in driver.list_inventory()))
    results["listed"] = listed
    observed = timed(
        "observe_usage_month",
        results,
        lambda: sum(1 for _ in driver.observe_usage(START, MONTH_END)),
    )
    results["usage_observations"] = observed
    if args.persist:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "state.json"
            persisted = SimulatorDriver("bench", clock=clock, seed=args.seed, state_path=path)
            persisted.populate(systems(system_count), created_at=START)
            timed("reload", results, lambda: SimulatorDriver("b", clock=clock, state_path=path))
            results["state_file_mib"] = round(path.stat().st_size / 2**20, 1)
    results["peak_rss_mib"] = round(peak_rss_mib(), 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
