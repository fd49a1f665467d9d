"""The kube-apiserver peer for integration tests, as a reusable helper.

Covers: starting ``scripts/peers/kube up`` (idempotent: reuses a running peer), reading
the kubeconfig/context it prints, and stopping it again only if this process started
it (``GOVCLOUD_KEEP_PEERS=1`` keeps it running for the next test run).

As for the OpenStack peer (``openstack_peer.py``): the check and the start hold an
exclusive lock beside the peer's run directory, and under pytest the stop waits for the
end of the whole run.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "peers" / "kube"
_EXPORT = re.compile(r"^export (\w+)=(.*)$")
#: a file naming the peer scripts to stop when the whole test run ends (set by pytest)
STOP_AT_END = "GOVCLOUD_TEST_PEERS_TO_STOP"
#: the peer this process brought up or found, kept while nothing in the process stops it
_KNOWN: dict[str, KubePeer] = {}


@dataclass(frozen=True)
class KubePeer:
    kubeconfig: str
    context: str
    server: str
    started_here: bool


def _run(command: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), command], capture_output=True, text=True, timeout=timeout, check=False
    )


@contextmanager
def _exclusive() -> Iterator[None]:
    """Held while the peer is checked and started: one process at a time starts it."""
    cache = Path(os.environ.get("GOVCLOUD_PEERS_CACHE", Path.home() / ".cache/govcloud-peers"))
    run = Path(os.environ.get("GOVCLOUD_KUBE_RUN", cache / "kube-run"))
    run.parent.mkdir(parents=True, exist_ok=True)
    with run.with_name(f"{run.name}.start-lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def start_kube_peer() -> KubePeer:
    """Bring the peer up (building it on first use, ~5-8 min) and describe it."""
    if STOP_AT_END in os.environ and "peer" in _KNOWN:
        # under pytest the peer is stopped only when the run ends: no need to ask again
        return replace(_KNOWN["peer"], started_here=False)
    with _exclusive():
        was_running = _run("status", 30).returncode == 0
        result = _run("up", 1800)
    if result.returncode != 0:
        raise RuntimeError(
            f"scripts/peers/kube up failed (exit {result.returncode}):\n{result.stderr[-4000:]}"
        )
    env: dict[str, str] = {}
    for line in result.stdout.splitlines():
        match = _EXPORT.match(line.strip())
        if match:
            env[match.group(1)] = match.group(2).strip("'\"")
    peer = KubePeer(
        kubeconfig=env["KUBECONFIG"],
        context=env["GOVCLOUD_KUBE_CONTEXT"],
        server=env["GOVCLOUD_KUBE_SERVER"],
        started_here=not was_running,
    )
    _KNOWN["peer"] = peer
    return peer


def stop_kube_peer(peer: KubePeer) -> None:
    if peer.started_here and os.environ.get("GOVCLOUD_KEEP_PEERS") != "1":
        deferred = os.environ.get(STOP_AT_END)
        if deferred:
            with open(deferred, "a", encoding="utf-8") as handle:
                handle.write(f"{SCRIPT}\n")
        else:
            _run("down", 120)
