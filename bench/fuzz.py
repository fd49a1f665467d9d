"""Fuzzing the CLI with mutated manifests, estates and usage CSVs; prints counts as JSON.

Each case mutates a file of the valid corpora (``bench.mutate``) and runs it through the
real command line, ``controlplane.cli.main.main``, in this process:

* ``plan -f case.yaml`` against the example estate (a request manifest),
* ``estate apply -f case.yaml`` over the small estate (an estate),
* ``meter import -f case.csv`` against the metering test estate (usage).

A case fails when an exception escapes ``main`` or a traceback is printed, the exit code
is not 0, 1 or 2, an exit 2 prints a problem without ``file:line:col``, the database
differs row for row after a refused input (or after any ``plan``), or the case takes
longer than the bound (2 s; a case still running after 30 s is stopped and counted).
Accepted estates and imports are rolled back by restoring the database file::

    .venv/bin/python -m bench.fuzz [--manifests 10000] [--estates 2000] [--csvs 2000]
                                   [--seed 1] [--keep DIR]
    .venv/bin/python -m bench.fuzz --replay DIR [DIR ...]

The last line is a JSON document with, per input kind, the cases tried and the counts of
uncaught exceptions, cases over 2 s, unlocated exit-2 refusals and database changes;
``--keep DIR`` writes every failing case there to reproduce it; ``--replay DIR`` runs
the cases kept there again (on a loaded machine, a case over the bound is re-timed this
way once the machine is quiet, to tell a slow input from a slow machine).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from bench.mutate import CSV_MUTATORS, YAML_MUTATORS, Mutator, mutate

__all__ = ["KINDS", "Harness", "Outcome", "corpus", "main"]

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("manifest", "estate", "csv")
TIME_BOUND = 2.0
HANG_AFTER = 30.0
_LOCATED = re.compile(r"^  \S.*?:\d+:\d+: ")

_USAGE_ROWS = (
    "water-cloud,water-dept,flood,ns-1,compute.vcpu,2,2026-03-01T00:00:00+08:00,2026-03-11T00:00:00+08:00",
    "water-cloud,water-dept,flood,ns-1,compute.memory,4,2026-03-01T00:00:00+08:00,2026-03-11T00:00:00+08:00",
    "water-cloud,water-dept,flood,pv-1,storage.ssd,100,2026-03-05T12:30:00+08:00,2026-04-02T00:00:00+08:00",
    "water-cloud,hrss,,ip-1,network.public_ip,1,2026-03-02T00:00:00Z,2026-03-03T00:00:00Z",
)  # fmt: skip
_HEADER = "provider,tenant,system,resource_id,meter,quantity,start,end"


def corpus(kind: str) -> dict[str, str]:
    """The valid files a kind's cases start from, by name."""
    if kind == "manifest":
        files = sorted((ROOT / "tests/tenants/manifests/valid").glob("*.yaml"))
        return {path.name: path.read_text(encoding="utf-8") for path in files}
    if kind == "estate":
        files = sorted((ROOT / "tests/controlplane/estates/valid").glob("*.yaml"))
        return {path.name: path.read_text(encoding="utf-8") for path in files}
    rows = "\n".join(_USAGE_ROWS)
    return {
        "usage.csv": f"{_HEADER}\n{rows}\n",
        "usage-crlf.csv": f"{_HEADER}\r\n{rows.replace(chr(10), chr(13) + chr(10))}\r\n",
    }


def mutators(kind: str) -> Mapping[str, Mutator]:
    return CSV_MUTATORS if kind == "csv" else YAML_MUTATORS


@dataclass(frozen=True)
class Outcome:
    """What one case did; ``failures`` names every property it broke."""

    kind: str
    names: tuple[str, ...]
    exit_code: int | None
    seconds: float
    uncaught: str | None = None
    cpu_seconds: float = 0.0  # this process's CPU time: what the case cost, whatever the load
    unlocated: bool = False
    db_changed: bool = False
    output: str = ""

    @property
    def failures(self) -> tuple[str, ...]:
        found = []
        if self.uncaught is not None:
            found.append("uncaught")
        if self.exit_code not in (0, 1, 2):
            found.append("exit_code")
        if self.unlocated:
            found.append("unlocated")
        if self.db_changed:
            found.append("db_changed")
        if self.seconds > TIME_BOUND:
            found.append("slow")
        return tuple(found)


class _Hang(Exception):
    """A case ran past ``HANG_AFTER`` seconds."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise _Hang(f"still running after {HANG_AFTER:.0f} s")


@dataclass
class _Target:
    home: Path
    argv: tuple[str, ...]
    suffix: str
    pristine: Path
    tables: Any = None
    engine: Any = None
    changes_allowed: bool = True
    snapshot_before: Any = field(default=None)

    @property
    def database(self) -> Path:
        return self.home / "govcloud.db"


class Harness:
    """Three homes (one per input kind), each with its estate applied, and a case runner."""

    def __init__(self, workdir: Path) -> None:
        from sqlalchemy import MetaData, create_engine
        from sqlalchemy.pool import NullPool

        self.workdir = workdir
        estates = ROOT / "tests/controlplane/estates/valid"
        setups = {
            "manifest": (estates / "example.yaml", ("plan", "-f"), ".yaml", False),
            "estate": (estates / "small.yaml", ("estate", "apply", "-f"), ".yaml", True),
            "csv": (ROOT / "tests/metering/estate.yaml", ("meter", "import", "-f"), ".csv", True),
        }
        self.targets: dict[str, _Target] = {}
        for kind, (estate, argv, suffix, changes) in setups.items():
            home = workdir / kind
            target = _Target(home, argv, suffix, workdir / f"{kind}.pristine.db")
            target.changes_allowed = changes
            code, output = self._main(target, ("estate", "apply", "-f", str(estate)))
            if code != 0:
                raise RuntimeError(f"cannot set up the {kind} home: {output}")
            shutil.copyfile(target.database, target.pristine)
            target.engine = create_engine(f"sqlite:///{target.database}", poolclass=NullPool)
            meta = MetaData()
            meta.reflect(target.engine)
            target.tables = meta.sorted_tables
            self.targets[kind] = target

    def close(self) -> None:
        for target in self.targets.values():
            target.engine.dispose()

    def _main(self, target: _Target, args: Sequence[str]) -> tuple[int | None, str]:
        from controlplane.cli.main import main as cli

        out = io.StringIO()
        saved = os.environ.get("GOVCLOUD_DATABASE_URL")
        os.environ["GOVCLOUD_DATABASE_URL"] = f"sqlite:///{target.database}"
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                code = cli(["--home", str(target.home), "--lang", "en", *args])
        finally:
            if saved is None:
                del os.environ["GOVCLOUD_DATABASE_URL"]
            else:
                os.environ["GOVCLOUD_DATABASE_URL"] = saved
        return code, out.getvalue()

    def _rows(self, target: _Target) -> dict[str, list[tuple[Any, ...]]]:
        from sqlalchemy import select

        rows: dict[str, list[tuple[Any, ...]]] = {}
        with target.engine.connect() as conn:
            for table in target.tables:
                order = list(table.primary_key.columns) or list(table.columns)
                rows[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
        return rows

    def run(self, kind: str, text: str, names: tuple[str, ...] = ()) -> Outcome:
        """Run one case; the database is back to its set-up state afterwards."""
        target = self.targets[kind]
        path = self.workdir / f"case{target.suffix}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        before = self._rows(target)
        uncaught: str | None = None
        code: int | None = None
        output = ""
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, HANG_AFTER)
        began = time.perf_counter()
        cpu_began = time.process_time()
        try:
            code, output = self._main(target, (*target.argv, str(path)))
        except BaseException as exc:  # anything escaping main is what we look for
            if isinstance(exc, KeyboardInterrupt):
                raise
            uncaught = "".join(traceback.format_exception_only(exc)).strip()[:500]
        finally:
            seconds = time.perf_counter() - began
            cpu_seconds = time.process_time() - cpu_began
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        if "Traceback (most recent call last)" in output and uncaught is None:
            uncaught = output[output.index("Traceback") :][:500]
        unlocated = code == 2 and _unlocated(output)
        after = self._rows(target)
        changed = after != before
        if changed and target.changes_allowed and code == 0:
            changed = False  # an accepted estate or import may change it; put it back
        if after != before:
            shutil.copyfile(target.pristine, target.database)
        return Outcome(kind, names, code, seconds, uncaught, cpu_seconds=cpu_seconds,
                       unlocated=unlocated, db_changed=changed, output=output[-2000:])  # fmt: skip


def _unlocated(output: str) -> bool:
    """Whether an exit-2 refusal printed a problem without ``file:line:col``."""
    lines = output.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("error:")]
    if not starts:
        return True
    problems = [
        line for line in lines[starts[0] + 1 :] if line.startswith("  ") and line[2:3] != " "
    ]
    return not problems or any(_LOCATED.match(line) is None for line in problems)


def cases(kind: str, count: int, seed: int) -> Iterator[tuple[str, tuple[str, ...]]]:
    """``count`` mutated texts of ``kind``'s corpus, reproducible from ``seed``."""
    rng = random.Random(f"{kind}:{seed}")
    bases = corpus(kind)
    names = sorted(bases)
    table = mutators(kind)
    for _ in range(count):
        base = rng.choice(names)
        text, applied = mutate(bases[base], rng, table)
        yield text, (base, *applied)


def _peak_mib() -> float:
    scale = 1 if sys.platform == "darwin" else 1024
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20, 1)


def run(
    counts: Mapping[str, int], seed: int, keep: Path | None, replay: Sequence[Path] = ()
) -> dict[str, Any]:
    """Fuzz ``counts`` cases per kind from ``seed`` or, with ``replay``, run again the
    cases earlier runs kept there (to tell a slow case from a loaded machine)."""
    report: dict[str, Any] = {"seed": seed, "time_bound_s": TIME_BOUND, "kinds": {}}
    if replay:
        report = {"replayed": [str(d) for d in replay], "time_bound_s": TIME_BOUND, "kinds": {}}
        again = kept(replay)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="govcloud-fuzz-") as tmp:
        harness = Harness(Path(tmp))
        try:
            for kind in KINDS:
                todo = again[kind] if replay else cases(kind, counts[kind], seed)
                report["kinds"][kind] = _tally(harness, kind, todo, keep)
        finally:
            harness.close()
    report["seconds"] = round(time.perf_counter() - began, 1)
    report["peak_rss_mib"] = _peak_mib()
    return report


def _tally(
    harness: Harness, kind: str, todo: Iterable[tuple[str, tuple[str, ...]]], keep: Path | None
) -> dict[str, Any]:
    tally: Counter[str] = Counter()
    exits: Counter[str] = Counter()
    slowest = slowest_cpu = 0.0
    began = time.perf_counter()
    for index, (text, names) in enumerate(todo):
        outcome = harness.run(kind, text, names)
        tally["tried"] += 1
        exits[str(outcome.exit_code)] += 1
        slowest = max(slowest, outcome.seconds)
        slowest_cpu = max(slowest_cpu, outcome.cpu_seconds)
        for failure in outcome.failures:
            tally[failure] += 1
        if outcome.failures and keep is not None:
            _keep(keep, kind, index, text, outcome)
    return {
        "tried": tally["tried"],
        "uncaught": tally["uncaught"],
        "over_2s": tally["slow"],
        "unlocated_exit_2": tally["unlocated"],
        "db_changes": tally["db_changed"],
        "bad_exit_codes": tally["exit_code"],
        "exit_codes": dict(sorted(exits.items())),
        "slowest_s": round(slowest, 3),
        "slowest_cpu_s": round(slowest_cpu, 3),
        "seconds": round(time.perf_counter() - began, 1),
    }


def kept(directories: Sequence[Path]) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """The cases ``--keep`` wrote into ``directories``, by kind, in file order."""
    found: dict[str, list[tuple[str, tuple[str, ...]]]] = {kind: [] for kind in KINDS}
    for directory in directories:
        for details in sorted(directory.glob("*.json")):
            kind = details.stem.rsplit("-", 1)[0]
            suffix = ".csv" if kind == "csv" else ".yaml"
            text = details.with_suffix(suffix).read_text(encoding="utf-8", errors="surrogatepass")
            names = tuple(json.loads(details.read_text(encoding="utf-8"))["mutations"])
            found[kind].append((text, names))
    return found


def _keep(directory: Path, kind: str, index: int, text: str, outcome: Outcome) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"{kind}-{index:06d}"
    suffix = ".csv" if kind == "csv" else ".yaml"
    stem.with_suffix(suffix).write_text(text, encoding="utf-8", errors="surrogatepass")
    details = {"mutations": outcome.names, "failures": outcome.failures,
               "exit_code": outcome.exit_code, "seconds": outcome.seconds,
               "cpu_seconds": outcome.cpu_seconds,
               "uncaught": outcome.uncaught, "output": outcome.output}  # fmt: skip
    stem.with_suffix(".json").write_text(json.dumps(details, indent=2, ensure_ascii=False))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifests", type=int, default=10_000)
    parser.add_argument("--estates", type=int, default=2_000)
    parser.add_argument("--csvs", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="write failing cases here")
    parser.add_argument("--replay", type=Path, nargs="+", default=[],
                        help="run again the cases --keep wrote into these directories")  # fmt: skip
    args = parser.parse_args(argv)
    counts = {"manifest": args.manifests, "estate": args.estates, "csv": args.csvs}
    report = run(counts, args.seed, args.keep, args.replay)
    print(json.dumps(report, ensure_ascii=False))
    failed = sum(
        k[name]
        for k in report["kinds"].values()
        for name in ("uncaught", "over_2s", "unlocated_exit_2", "db_changes", "bad_exit_codes")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
