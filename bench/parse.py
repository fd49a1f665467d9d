"""Benchmark: located parsing of request manifests beside PyYAML's C ``compose_all``.

Generates the province's request manifests (``bench.generate``), writes ``--count`` of
them as one multi-document text, and times in one process, ``--runs`` times each
(medians reported):

* ``located`` — ``tenants.located.load_yaml_documents``: plain data plus the position of
  every key and value, under the input limits (libyaml events where installed);
* ``reference`` — ``yaml.compose_all`` with ``yaml.CSafeLoader`` on the same text:
  libyaml's node graph with marks, and nothing else.

It also checks, on ``--verify`` documents, that the pure-Python path gives identical
data and positions. Prints one JSON document with both figures and their ratio::

    .venv/bin/python -m bench.parse [--count 10000] [--runs 3] [--verify 300]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any


def _median_seconds(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _peak_mib() -> float:
    scale = 1 if sys.platform == "darwin" else 1024
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20, 1)


def run(count: int, runs: int, verify: int) -> dict[str, Any]:
    import yaml

    from bench import emit
    from bench.generate import PRESETS, generate
    from tenants.located import C_PARSER, load_yaml_documents

    province = generate(PRESETS["province"], 42)
    requests = province.requests[:count]
    text = emit.dump_all(requests)
    located = _median_seconds(lambda: load_yaml_documents(text, "requests.yaml"), runs)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    reference = _median_seconds(lambda: list(yaml.compose_all(text, Loader=loader)), runs)
    documents = load_yaml_documents(text, "requests.yaml")
    positions = sum(len(doc.values) + len(doc.keys) for doc in documents)
    sample = emit.dump_all(requests[:verify])
    fast = load_yaml_documents(sample, "sample.yaml")
    pure = load_yaml_documents(sample, "sample.yaml", pure=True)
    identical = all(
        (a.data, a.start, a.values, a.keys) == (b.data, b.start, b.values, b.keys)
        for a, b in zip(fast, pure, strict=True)
    )
    return {
        "manifests": len(documents),
        "bytes": len(text.encode()),
        "positions": positions,
        "libyaml": C_PARSER,
        "located_s": round(located, 3),
        "located_per_s": round(len(documents) / located),
        "reference": f"yaml.compose_all(Loader={loader.__name__})",
        "reference_s": round(reference, 3),
        "ratio": round(located / reference, 2),
        "runs": runs,
        "pure_path_identical_on": verify if identical else f"MISMATCH in the first {verify}",
        "peak_rss_mib": _peak_mib(),
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
