"""Benchmark: ``govcloud plan`` over the generator's province-scale workload.

Generates a province (``--scale``, ``--seed``), applies its estate to a fresh SQLite
database, then measures separately, in one process:

* ``parse`` — reading every request file with the located YAML parser (ruamel);
* ``snapshot`` — reading the estate once for all plans;
* ``placement`` — the scheduler alone, placing the whole batch (capacity consumed);
* ``plan`` — the full plan of each request (desired resources, diff, price, capacity,
  budget, policy admission with every built-in pack bound unless ``--no-policy``),
  reusing the parsed documents and one snapshot; p50/p99 per request.

Prints one JSON document; peak memory is the process's peak RSS (``ru_maxrss``)::

    .venv/bin/python -m bench.plan [--scale province] [--seed 42] [--no-policy]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any


def _peak_mib() -> float:
    scale = 1 if sys.platform == "darwin" else 1024
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20, 1)


def _with_policy(estate: Path) -> None:
    """Bind every built-in pack (as ``bench/audit.py`` does) unless the estate has some."""
    from bench import emit
    from policies import BUILTIN_PACKS
    from tenants import load_yaml_file

    doc = load_yaml_file(str(estate))[0].data
    doc["spec"].setdefault("policies", {"baseline": {"packs": list(BUILTIN_PACKS)}})
    estate.write_text(emit.dump(doc))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(scale_name: str, seed: int, policy: bool, limit: int | None) -> dict[str, Any]:
    from bench.generate import PRESETS, generate, write
    from controlplane.app import App
    from controlplane.config import Settings
    from controlplane.estate.schema import parse_estate
    from controlplane.planning import PlanService
    from tenants import ManifestError, load_requests, load_yaml_file

    out: dict[str, Any] = {"scale": scale_name, "seed": seed, "policy_packs_bound": policy}
    work = Path(tempfile.mkdtemp(prefix="govcloud-bench-plan-"))
    province = generate(PRESETS[scale_name], seed)
    write(province, work)
    estate = work / "estate.yaml"
    if policy:
        _with_policy(estate)
    app = App(Settings(home=work, database_url=f"sqlite:///{work / 'govcloud.db'}"))
    app.init()
    app.estate.apply(parse_estate(load_yaml_file(str(estate)), str(estate)), actor="bench")

    began = time.perf_counter()
    parsed = [
        item for path in sorted((work / "requests").glob("*.yaml")) for item in load_requests(path)
    ]
    parse_s = time.perf_counter() - began
    if limit is not None:
        parsed = parsed[:limit]
    out["requests"] = len(parsed)
    out["parse"] = {"seconds": round(parse_s, 2), "requests_per_s": round(len(parsed) / parse_s, 1)}

    service = PlanService(app.sessions, app.clock, app.settings)
    began = time.perf_counter()
    snapshot = service.snapshot()
    out["snapshot_seconds"] = round(time.perf_counter() - began, 3)
    out["providers"] = len(snapshot.providers)

    planner = service.planner(snapshot)
    valid = [item for item in parsed if not planner.problems(item)]
    needs = [planner.needs_for(item) for item in valid]
    from controlplane.placement import Scheduler

    began = time.perf_counter()
    decisions = Scheduler(snapshot.providers.values()).place_batch(needs)
    place_s = time.perf_counter() - began
    out["placement"] = {
        "seconds": round(place_s, 3),
        "requests_per_s": round(len(needs) / place_s, 1),
        "placed": sum(1 for d in decisions if d.placed),
        "unplaced": sum(1 for d in decisions if not d.placed),
    }

    latencies: list[float] = []
    exits: Counter[int] = Counter()
    began = time.perf_counter()
    for item in parsed:
        start = time.perf_counter()
        try:
            exits[planner.plan(item, principal="bench").exit_code] += 1
        except ManifestError:
            exits[2] += 1
        latencies.append(time.perf_counter() - start)
    plan_s = time.perf_counter() - began
    out["plan"] = {
        "seconds": round(plan_s, 2),
        "requests_per_s": round(len(parsed) / plan_s, 1),
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
        "exit_codes": {str(k): v for k, v in sorted(exits.items())},
    }
    out["peak_rss_mib"] = _peak_mib()
    app.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="province", choices=("tiny", "demo", "province"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-policy", action="store_true", help="bind no policy pack")
    parser.add_argument("--limit", type=int, default=None, help="plan only the first N requests")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.scale, args.seed, not args.no_policy, args.limit), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
