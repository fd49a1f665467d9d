"""Cloud Custodian (c7n-openstack) beside govcloud: run a policy, read what it flagged.

Covers: making (or reusing) Custodian's own virtualenv with ``scripts/peers/custodian
venv`` (it pins openstacksdk 0.52, so it never shares govcloud's environment); writing a
clouds.yaml with one entry per project Custodian must see (it lists servers of the
scoped project only); running ``custodian run --cache-period 0`` and returning the ids
of the resources a policy matched, with the wall time the run took. Test processes
running side by side (pytest-xdist workers) make the virtualenv one at a time.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "peers" / "custodian"


@dataclass(frozen=True)
class CustodianRun:
    flagged: frozenset[str]
    seconds: float


def custodian_executable() -> str:
    """The ``custodian`` of its own virtualenv (created on first use, ~15 s with uv)."""
    cache = Path(os.environ.get("GOVCLOUD_PEERS_CACHE", Path.home() / ".cache/govcloud-peers"))
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "custodian-venv.start-lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = subprocess.run(
            [str(SCRIPT), "venv"], capture_output=True, text=True, timeout=900, check=False
        )
    if result.returncode != 0:
        raise RuntimeError(f"scripts/peers/custodian venv failed:\n{result.stderr[-4000:]}")
    return result.stdout.strip().splitlines()[-1]


def project_clouds(clouds_yaml: str, cloud: str, projects: Sequence[str], into: Path) -> Path:
    """A clouds.yaml with ``cloud`` re-scoped to each of ``projects`` (named the same)."""
    yaml = YAML(typ="safe", pure=True)
    base: dict[str, Any] = yaml.load(Path(clouds_yaml).read_text())["clouds"][cloud]
    clouds = {cloud: base}
    for project in projects:
        clouds[project] = {**base, "auth": {**base["auth"], "project_name": project}}
    path = into / "custodian-clouds.yaml"
    with path.open("w") as handle:
        yaml.dump({"clouds": clouds}, handle)
    return path


def run_policy(
    executable: str, clouds_yaml: Path, cloud: str, policy: Mapping[str, Any], workdir: Path
) -> CustodianRun:
    """Run one Custodian policy against ``cloud``; the ids of what it matched."""
    workdir.mkdir(parents=True, exist_ok=True)
    policy_file = workdir / "policy.json"
    policy_file.write_text(json.dumps({"policies": [policy]}))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OS_") and key != "PYTHONPATH"
    }
    env.update({"OS_CLIENT_CONFIG_FILE": str(clouds_yaml), "OS_CLOUD": cloud})
    started = time.perf_counter()
    result = subprocess.run(
        [executable, "run", "--cache-period", "0", "-s", str(workdir / "out"), str(policy_file)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    seconds = time.perf_counter() - started
    found = workdir / "out" / str(policy["name"]) / "resources.json"
    if result.returncode != 0 or not found.is_file():
        raise RuntimeError(f"custodian run failed ({result.returncode}):\n{result.stderr[-4000:]}")
    flagged = frozenset(str(item["id"]) for item in json.loads(found.read_text()))
    return CustodianRun(flagged, seconds)
