"""The OpenStack peer for integration tests and benches, as a reusable helper.

Covers: starting ``scripts/peers/openstack up`` (idempotent: a healthy running peer is
reused, ~3 s), reading the ``clouds.yaml`` path it prints, and stopping the peer again
only if this process started it (``GOVCLOUD_KEEP_PEERS=1`` keeps it for the next run).

Test processes may run side by side (pytest-xdist workers, other checkouts): the check
and the start hold an exclusive lock beside the peer's run directory, so one of them
starts the peer and the others reuse it. Under pytest the stop is left to the end of the
whole run (``tests/conftest.py``): another worker may still be using the peer.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "peers" / "openstack"
CLOUD = "govcloud-peer"
#: a file naming the peer scripts to stop when the whole test run ends (set by pytest)
STOP_AT_END = "GOVCLOUD_TEST_PEERS_TO_STOP"
#: the peer this process brought up or found, kept while nothing in the process stops it
_KNOWN: dict[str, OpenStackPeer] = {}


@dataclass(frozen=True)
class OpenStackPeer:
    clouds_yaml: str
    cloud: str
    started_here: bool


def _run(command: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), command], capture_output=True, text=True, timeout=timeout, check=False
    )


@contextmanager
def _exclusive() -> Iterator[None]:
    """Held while the peer is checked and started: one process at a time starts it."""
    run = Path(os.environ.get("GOVCLOUD_PEERS_RUN", "/tmp/govcloud-peers"))
    run.mkdir(parents=True, exist_ok=True)
    with (run / "openstack.start-lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def start_openstack_peer() -> OpenStackPeer:
    """Bring the peer up (cold ~2.5 min, warm ~1.5 min, reused ~3 s) and describe it."""
    if STOP_AT_END in os.environ and "peer" in _KNOWN:
        # under pytest the peer is stopped only when the run ends: no need to ask again
        return replace(_KNOWN["peer"], started_here=False)
    with _exclusive():
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
    peer = OpenStackPeer(clouds_yaml=clouds_yaml, cloud=CLOUD, started_here=not was_running)
    _KNOWN["peer"] = peer
    return peer


def stop_openstack_peer(peer: OpenStackPeer) -> None:
    if peer.started_here and os.environ.get("GOVCLOUD_KEEP_PEERS") != "1":
        deferred = os.environ.get(STOP_AT_END)
        if deferred:
            with open(deferred, "a", encoding="utf-8") as handle:
                handle.write(f"{SCRIPT}\n")
        else:
            _run("down", 120)
