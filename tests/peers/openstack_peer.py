"""The OpenStack peer for integration tests and benches, as a reusable helper.

Covers: starting ``scripts/peers/openstack up`` (idempotent: a healthy running peer is
reused, ~3 s), reading the ``clouds.yaml`` path it prints, and stopping the peer again
only if this process started it (``GOVCLOUD_KEEP_PEERS=1`` keeps it for the next run).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "peers" / "openstack"
CLOUD = "govcloud-peer"


@dataclass(frozen=True)
class OpenStackPeer:
    clouds_yaml: str
    cloud: str
    started_here: bool


def _run(command: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), command], capture_output=True, text=True, timeout=timeout, check=False
    )


def start_openstack_peer() -> OpenStackPeer:
    """Bring the peer up (cold ~2.5 min, warm ~1.5 min, reused ~3 s) and describe it."""
    was_running = _run("status", 60).returncode == 0
    result = _run("up", 900)
    if result.returncode != 0:
        raise RuntimeError(
            f"scripts/peers/openstack up failed (exit {result.returncode}):\n"
            f"{result.stderr[-4000:]}"
        )
    clouds_yaml = result.stdout.strip().splitlines()[-1]
    if not Path(clouds_yaml).is_file():
        raise RuntimeError(f"scripts/peers/openstack up printed no clouds.yaml: {result.stdout!r}")
    return OpenStackPeer(clouds_yaml=clouds_yaml, cloud=CLOUD, started_here=not was_running)


def stop_openstack_peer(peer: OpenStackPeer) -> None:
    if peer.started_here and os.environ.get("GOVCLOUD_KEEP_PEERS") != "1":
        _run("down", 120)
