"""Benchmark: one CLI read command, start to exit, beside ``python -c pass``.

Builds the tiny demo home (``govcloud demo``'s flow on SQLite and simulator clouds;
``--home DIR`` uses an existing one instead) and runs, as separate processes of the
installed console script, ``--runs`` times each (medians reported):

* ``govcloud provider list`` and ``govcloud get resources --limit 50`` on that home
  (the embedded SQLite read path), in English and with ``--lang zh``;
* ``govcloud --help``, ``govcloud bill --help`` and a mistyped word (``govcloud
  nosuch``, exit code 2): help and the unknown word register every command module;
* the reference: ``python -c pass`` with the same interpreter, in the same run.

For each command it prints wall and CPU seconds (the process's user + system time:
on a shared machine the wall time mostly waits for a core), the ratio to the
reference, the modules the command imported and the ≤ 0.3 s target of issue 17, as
one JSON document with the load average before and after::

    .venv/bin/python -m bench.cli [--runs 7] [--home DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TARGET_SECONDS = 0.3
COMMANDS: dict[str, list[str]] = {
    "provider list": ["provider", "list"],
    "get resources --limit 50": ["get", "resources", "--limit", "50"],
    "zh provider list": ["--lang", "zh", "provider", "list"],
    "zh get resources --limit 50": ["--lang", "zh", "get", "resources", "--limit", "50"],
    "--help": ["--help"],
    "bill --help": ["bill", "--help"],
    "nosuch": ["nosuch"],
}
#: The exit code a command is expected to end with, if not 0 (a usage error).
EXIT_CODES: dict[str, int] = {"nosuch": 2}
_MODULES = """
import json, sys
from controlplane.cli.main import main
main(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    json.dump(len(sys.modules), out)
"""


def _timed(argv: list[str], env: dict[str, str], runs: int, code: int = 0) -> dict[str, float]:
    """Median wall and CPU seconds of ``argv`` as a child process."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        walls.append(time.perf_counter() - began)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != code:
            raise SystemExit(f"{' '.join(argv)} exited {done.returncode}")
    return {"wall": round(statistics.median(walls), 3), "cpu": round(statistics.median(cpus), 3)}


def _modules(argv: list[str], env: dict[str, str]) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "modules.json"
        subprocess.run(
            [sys.executable, "-c", _MODULES, str(report), *argv],
            env=env,
            cwd=scratch,  # not the checkout: ``-c`` puts the working directory first
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        return int(json.loads(report.read_text()))


def _demo_home(where: Path) -> Path:
    from controlplane.demo import run_demo

    home = where / "home"
    run_demo(home, scale="tiny", seed=42, tenants_sampled=12,
             now=datetime(2026, 3, 15, 12, 0, tzinfo=UTC))  # fmt: skip
    return home


def run(home: Path, runs: int) -> dict[str, Any]:
    script = Path(sys.executable).with_name("govcloud")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GOVCLOUD_")},
        "GOVCLOUD_HOME": str(home),
        "GOVCLOUD_CONFIG": str(home / "no-client-config.yaml"),  # the local home
    }
    load_before = os.getloadavg()
    reference = _timed([sys.executable, "-c", "pass"], env, runs)
    commands: dict[str, Any] = {}
    for name, argv in COMMANDS.items():
        figure = _timed([str(script), *argv], env, runs, EXIT_CODES.get(name, 0))
        commands[name] = {
            **figure,
            "ratio_wall": round(figure["wall"] / reference["wall"], 1),
            "ratio_cpu": round(figure["cpu"] / reference["cpu"], 1),
            "modules": _modules(argv, env),
            "target_seconds": TARGET_SECONDS,
            "cpu_within_target": figure["cpu"] <= TARGET_SECONDS,
        }
    return {
        "bench": "cli",
        "runs": runs,
        "home": str(home),
        "reference": {"command": "python -c pass", **reference},
        "commands": commands,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--home", type=Path, default=None, help="an existing govcloud home")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as scratch:
        home = args.home or _demo_home(Path(scratch))
        report = run(home, args.runs)
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
