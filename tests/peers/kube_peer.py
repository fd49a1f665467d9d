"""The kube-apiserver peer for integration tests, as a reusable helper.

Covers: starting ``scripts/peers/kube up`` (idempotent: reuses a running peer), reading
the kubeconfig/context it prints, and stopping it again only if this process started
it (``GOVCLOUD_KEEP_PEERS=1`` keeps it running for the next test run).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "peers" / "kube"
_EXPORT = re.compile(r"^export (\w+)=(.*)$")


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


def start_kube_peer() -> KubePeer:
    """Bring the peer up (building it on first use, ~5-8 min) and describe it."""
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
    return KubePeer(
        kubeconfig=env["KUBECONFIG"],
        context=env["GOVCLOUD_KUBE_CONTEXT"],
        server=env["GOVCLOUD_KUBE_SERVER"],
        started_here=not was_running,
    )


def stop_kube_peer(peer: KubePeer) -> None:
    if peer.started_here and os.environ.get("GOVCLOUD_KEEP_PEERS") != "1":
        _run("down", 120)
