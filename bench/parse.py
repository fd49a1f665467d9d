"""Benchmark: located parsing of request manifests beside PyYAML's C ``compose_all``.

Generates the province's request manifests (``bench.generate``), writes ``--count`` of
them as one multi-document text, and times in one process, ``--runs`` times each
(medians of wall and of the process's CPU seconds: the machine is shared, so the CPU
figure is the one-core throughput):

* ``located`` — ``tenants.located.load_yaml_documents``: plain data plus the position of
  every key and value, under the input limits (libyaml events where installed);
* ``parse_validate`` — ``tenants.load_requests``: the same, and every document validated
  as a ``SystemRequest`` (what ``plan -f`` does before it plans);
* ``reference`` — ``yaml.compose_all`` with ``yaml.CSafeLoader`` on the same text:
  libyaml's node graph with marks, and nothing else; once as it runs by default (the
  cyclic collector on) and once with the collector paused, as govcloud's loader runs.

It also checks, on ``--verify`` documents, that the pure-Python path gives identical
data and positions. Prints one JSON document with the figures, the ratios (ours over
the reference's time) and peak RSS::

    .venv/bin/python -m bench.parse [--count 10000] [--runs 3] [--verify 300]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any


def _medians(work: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and median CPU seconds of ``runs`` calls of ``work``."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _peak_mib() -> float:
    scale = 1 if sys.platform == "darwin" else 1024
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20, 1)


def _figure(documents: int, wall: float, cpu: float) -> dict[str, float]:
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "per_s_wall": round(documents / wall),
        "per_s_cpu": round(documents / cpu),
    }


def run(count: int, runs: int, verify: int) -> dict[str, Any]:
    import yaml

    from bench import emit
    from bench.generate import PRESETS, generate
    from tenants import load_requests
    from tenants.located import C_PARSER, load_yaml_documents, without_cycle_collection

    load_at_start = [round(x, 2) for x in os.getloadavg()]
    province = generate(PRESETS["province"], 42)
    requests = province.requests[:count]
    text = emit.dump_all(requests)
    del province
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def reference_paused() -> None:
        with without_cycle_collection():
            list(yaml.compose_all(text, Loader=loader))

    located = _medians(lambda: load_yaml_documents(text, "requests.yaml"), runs)
    validated = _medians(lambda: load_requests(text, name="requests.yaml"), runs)
    reference = _medians(lambda: list(yaml.compose_all(text, Loader=loader)), runs)
    paused = _medians(reference_paused, runs)
    documents = load_yaml_documents(text, "requests.yaml")
    n = len(documents)
    positions = sum(len(doc.marks) + len(doc.key_marks) for doc in documents)
    del documents
    sample = emit.dump_all(requests[:verify])
    fast = load_yaml_documents(sample, "sample.yaml")
    pure = load_yaml_documents(sample, "sample.yaml", pure=True)
    identical = all(
        (a.data, a.start, a.values, a.keys) == (b.data, b.start, b.values, b.keys)
        for a, b in zip(fast, pure, strict=True)
    )
    return {
        "manifests": n,
        "bytes": len(text.encode()),
        "positions": positions,
        "libyaml": C_PARSER,
        "located": _figure(n, *located),
        "parse_validate": _figure(n, *validated),
        "reference": f"yaml.compose_all(Loader={loader.__name__})",
        "reference_collector_on": _figure(n, *reference),
        "reference_collector_paused": _figure(n, *paused),
        "ratio_cpu": {
            "located / reference (collector on)": round(located[1] / reference[1], 2),
            "located / reference (collector paused)": round(located[1] / paused[1], 2),
            "parse_validate / reference (collector on)": round(validated[1] / reference[1], 2),
            "parse_validate / reference (collector paused)": round(validated[1] / paused[1], 2),
        },
        "runs": runs,
        "pure_path_identical_on": verify if identical else f"MISMATCH in the first {verify}",
        "peak_rss_mib": _peak_mib(),
        "load_average_at_start": load_at_start,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--verify", type=int, default=300)
    args = parser.parse_args(argv)
    report = run(args.count, args.runs, args.verify)
    print(json.dumps(report, ensure_ascii=False))
    return 0 if report["pure_path_identical_on"] == args.verify else 1


if __name__ == "__main__":
    sys.exit(main())
