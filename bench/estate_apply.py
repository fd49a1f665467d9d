"""Benchmark: generate the province-scale estate and ``estate apply`` it.

Prints one JSON object: generation time and peak memory, then for each database
(SQLite file; PostgreSQL on ``GOVCLOUD_BENCH_PG`` or the local server) the first apply,
the no-op re-apply, and the peak RSS of the process that applied. Each database runs in
its own subprocess so peaks don't mix::

    .venv/bin/python -m bench.estate_apply [--scale province] [--seed 42]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PG_SERVER = os.environ.get("GOVCLOUD_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _apply(estate_file: str, url: str) -> dict[str, object]:
    from controlplane.app import App
    from controlplane.config import Settings
    from controlplane.estate.schema import parse_estate
    from tenants import load_yaml_file

    app = App(Settings(home=Path(estate_file).parent, database_url=url))
    app.init()
    started = time.perf_counter()
    document = parse_estate(load_yaml_file(estate_file), estate_file)
    parsed = time.perf_counter() - started
    first = app.estate.apply(document, actor="bench")
    applied = time.perf_counter() - started - parsed
    mark = time.perf_counter()
    again = app.estate.apply(document, actor="bench")
    reapplied = time.perf_counter() - mark
    app.close()
    assert not again.changed, "re-apply changed something"
    return {
        "parse_s": round(parsed, 3),
        "apply_s": round(applied, 3),
        "reapply_noop_s": round(reapplied, 3),
        "changes": len(first.changes),
        "peak_rss_mib": round(_peak_mib(), 1),
    }


def _child(estate_file: str, url: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.estate_apply", "--child", estate_file, url],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="province")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--child", nargs=2, metavar=("ESTATE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_apply(*args.child)))
        return 0

    from bench.generate import PRESETS, generate, write

    with tempfile.TemporaryDirectory(prefix="govcloud-bench-") as tmp:
        started = time.perf_counter()
        province = generate(PRESETS[args.scale], args.seed)
        write(province, tmp)
        gen_s = time.perf_counter() - started
        estate = str(Path(tmp) / "estate.yaml")
        figures: dict[str, object] = {
            "scale": args.scale,
            "providers": len(province.providers),
            "tenants": len(province.tenants),
            "systems": len(province.requests),
            "generate_s": round(gen_s, 3),
            "generate_peak_rss_mib": round(_peak_mib(), 1),
            "sqlite": _child(estate, f"sqlite:///{Path(tmp) / 'bench.db'}"),
        }
        import psycopg

        name = f"govcloud_bench_{uuid.uuid4().hex[:8]}"
        admin = PG_SERVER.replace("+psycopg", "") + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            figures["postgresql"] = _child(estate, f"{PG_SERVER}/{name}")
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
