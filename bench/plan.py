"""Benchmark: ``govcloud plan`` and ``apply`` over the generator's province-scale workload.

Generates a province (``--scale``, ``--seed``), binds every built-in policy pack, applies
its estate to a fresh database (SQLite by default, ``--postgresql`` for a fresh database
on the shared server) and measures, in one process:

* ``parse`` — the located loader over every request (10,000 documents as one text);
* ``placement`` — the scheduler alone over the whole batch, with the collector paused as
  the plan loop is: the reference, the part of a plan no database and no admission can
  make cheaper (issue 17 names it);
* ``plan`` — end to end for the batch as ``govcloud plan -f`` does it: parse, validate,
  one snapshot, the batch's systems and reservations fetched once, then place, diff,
  price, budget and admit each (p50/p99 per plan); the admitted ones counted;
* ``apply`` — ``Govcloud.apply`` of the requests as one file (``--apply N`` documents,
  0 to skip): each recorded, admitted or denied, with its reservations; its own peak
  RSS (the process's peak is reset before it, on Linux), and the same file applied
  again (``reapply``: what a second apply records).

Times are wall seconds and the process's CPU seconds (the machine is shared, so the CPU
figure is the one-core throughput); ``ratio`` is the reference's rate over ours. Peak
memory is the process's peak RSS (``ru_maxrss``)::

    .venv/bin/python -m bench.plan [--scale province] [--postgresql] [--apply 10000]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _peak_mib() -> float:
    scale = 1 if sys.platform == "darwin" else 1024
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20, 1)


def _reset_peak() -> bool:
    """Start the process's peak RSS again from its current RSS (Linux: ``clear_refs``
    5), so a stage's own peak can be read after it; False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _stage_peak_mib() -> float | None:
    """The peak RSS since :func:`_reset_peak` (``VmHWM``), or None off Linux."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


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


class _Clock:
    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def lap(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def _rates(n: int, wall: float, cpu: float) -> dict[str, float]:
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "per_s_wall": round(n / wall, 1) if wall else 0.0,
        "per_s_cpu": round(n / cpu, 1) if cpu else 0.0,
    }


@contextmanager
def _database(work: Path, postgresql: bool) -> Iterator[str]:
    if not postgresql:
        yield f"sqlite:///{work / 'govcloud.db'}"
        return
    from bench.sync import pg_database

    with pg_database() as url:
        yield url


def run(
    scale_name: str, seed: int, policy: bool, limit: int | None, postgresql: bool, apply: int
) -> dict[str, Any]:
    from bench.generate import PRESETS, generate, write
    from controlplane.app import App
    from controlplane.config import Settings
    from controlplane.estate.schema import parse_estate
    from controlplane.facade import Govcloud, Manifest
    from controlplane.placement import Scheduler
    from controlplane.planning import PlanService
    from tenants import ManifestError, load_requests, load_yaml_file

    try:
        from tenants import without_cycle_collection as pause_gc
    except ImportError:  # before issue 17's parse work: the collector runs as always
        pause_gc = contextlib.nullcontext

    out: dict[str, Any] = {
        "scale": scale_name,
        "seed": seed,
        "database": "postgresql" if postgresql else "sqlite",
        "policy_packs_bound": policy,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    work = Path(tempfile.mkdtemp(prefix="govcloud-bench-plan-"))
    province = generate(PRESETS[scale_name], seed)
    write(province, work, layout="single")
    estate = work / "estate.yaml"
    if policy:
        _with_policy(estate)
    text = (work / "requests.yaml").read_text()
    if limit is not None:
        text = "\n---\n".join(text.split("\n---\n")[:limit])
    with _database(work, postgresql) as url:
        app = App(Settings(home=work, database_url=url))
        app.init()
        app.estate.apply(parse_estate(load_yaml_file(str(estate)), str(estate)), actor="bench")

        clock = _Clock()
        parsed = load_requests(text, name="requests.yaml")
        parse_wall, parse_cpu = clock.lap()
        n = len(parsed)
        out["requests"] = n
        out["parse"] = _rates(n, parse_wall, parse_cpu)

        service = PlanService(app.sessions, app.clock, app.settings)
        clock = _Clock()
        planner = service.planner()
        if hasattr(planner, "prefetch"):  # absent before issue 17's batch reads
            planner.prefetch(parsed)
        problems = [p for item in parsed for p in planner.problems(item)]
        latencies: list[float] = []
        exits: Counter[int] = Counter()
        with pause_gc():  # as PlanService.plan_all does
            for item in parsed:
                start = time.perf_counter()
                try:
                    exits[planner.plan(item, principal="bench").exit_code] += 1
                except ManifestError:
                    exits[2] += 1
                latencies.append(time.perf_counter() - start)
        plan_wall, plan_cpu = clock.lap()
        out["plan"] = {
            **_rates(n, plan_wall, plan_cpu),
            "p50_ms": round(_percentile(latencies, 0.50) * 1000, 3),
            "p99_ms": round(_percentile(latencies, 0.99) * 1000, 3),
            "mean_ms": round(statistics.fmean(latencies) * 1000, 3),
            "located_problems": len(problems),
            "exit_codes": {str(k): v for k, v in sorted(exits.items())},
            "admitted": exits[0],
        }
        out["end_to_end"] = {
            "what": "parse + validate + place + admit + price, one process",
            **_rates(n, parse_wall + plan_wall, parse_cpu + plan_cpu),
            "target_per_s": 2000,
        }

        snapshot = service.snapshot()
        helper = service.planner(snapshot)
        valid = [item for item in parsed if not helper.problems(item)]
        needs = [helper.needs_for(item) for item in valid]
        clock = _Clock()
        # with the collector paused, as the plan loop is: a full collection of the parsed
        # batch falls wherever the long-lived objects cross its threshold, which is not
        # placement's cost (the plan windows pay the collections their own objects cause)
        with pause_gc():
            decisions = Scheduler(snapshot.providers.values()).place_batch(needs)
        place_wall, place_cpu = clock.lap()
        out["reference"] = {
            "what": "placement alone (Scheduler.place_batch) over the same batch",
            **_rates(len(needs), place_wall, place_cpu),
            "placed": sum(1 for d in decisions if d.placed),
        }
        ours = out["end_to_end"]["per_s_cpu"]
        out["ratio"] = round(out["reference"]["per_s_cpu"] / ours, 2) if ours else None

        out["peak_rss_mib_plan"] = _peak_mib()
        if apply:
            # what the stages above hold (10,000 parsed documents, their needs and
            # decisions) is not part of ``apply``: released so its peak is its own
            del parsed, planner, helper, valid, needs, decisions, snapshot
            docs = text.split("\n---\n")[:apply]
            n_docs = len(docs)
            manifest = Manifest("\n---\n".join(docs), "requests.yaml")
            del docs
            facade = Govcloud.acting_as(app, "local-operator")
            gc.collect()
            reset = _reset_peak()
            clock = _Clock()
            results = facade.apply(manifest)
            apply_wall, apply_cpu = clock.lap()
            peak = _stage_peak_mib() if reset else None
            states = Counter(r.request.state if r.request else "noop" for r in results)
            del results
            clock = _Clock()
            again = facade.apply(manifest)
            again_wall, again_cpu = clock.lap()
            out["apply"] = {
                "what": "Govcloud.apply of one file (parse, plan, record, reserve, audit)",
                "documents": n_docs,
                **_rates(n_docs, apply_wall, apply_cpu),
                "states": dict(sorted(states.items())),
                "peak_rss_mib": peak,
                "reapply": {
                    "what": "the same file again: admitted documents are no-ops; Denied ones are planned and recorded again (no apply key yet)",
                    **_rates(len(again), again_wall, again_cpu),
                    "states": dict(
                        sorted(
                            Counter(r.request.state if r.request else "noop" for r in again).items()
                        )
                    ),
                },
            }
            del again
        out["peak_rss_mib"] = _peak_mib()
        out["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        app.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="province", choices=("tiny", "demo", "province"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-policy", action="store_true", help="bind no policy pack")
    parser.add_argument("--limit", type=int, default=None, help="plan only the first N requests")
    parser.add_argument("--postgresql", action="store_true", help="a fresh PostgreSQL database")
    parser.add_argument("--apply", type=int, default=0, help="apply the first N as one file")
    args = parser.parse_args(argv)
    result = run(args.scale, args.seed, not args.no_policy, args.limit, args.postgresql, args.apply)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
