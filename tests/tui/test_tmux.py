"""`govcloud tui` in a real terminal: tmux runs it, send-keys types, capture-pane reads
the screen back — `:` to resources, `/` filter, `d` describe, `esc` back, `:q` quits."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from controlplane.app import App
from tests.tui.support import PER_PROVIDER

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

GOVCLOUD = Path(sys.executable).with_name("govcloud")


def _tmux(*args: str) -> str:
    done = subprocess.run(["tmux", *args], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def terminal(province: tuple[App, dict[str, int]]) -> Iterator[str]:
    app, _ = province
    name = f"govcloud-tui-{uuid.uuid4().hex[:8]}"
    env = {"GOVCLOUD_HOME": str(app.settings.home), "GOVCLOUD_USER": "ops-li",
           "LANG": "en_US.UTF-8", "TERM": "xterm-256color"}  # fmt: skip
    command = " ".join(f"{k}={v}" for k, v in env.items()) + f" {GOVCLOUD} tui --refresh 600"
    _tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "30", command)
    try:
        yield name
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, check=False)


def screen(name: str) -> str:
    return _tmux("capture-pane", "-p", "-t", name)


def wait_for(name: str, seen: Callable[[str], bool], what: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = screen(name)
        if seen(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout}s for {what}; the screen:\n{text}")


def test_tui_in_tmux(terminal: str) -> None:
    wait_for(terminal, lambda s: "PENDING" in s and "READ-ONLY" in s, "the overview")
    _tmux("send-keys", "-t", terminal, ":")
    wait_for(terminal, lambda s: ": audit, drift, jobruns, jobs, overview" in s, "the view prompt")
    _tmux("send-keys", "-t", terminal, "-l", "res")
    _tmux("send-keys", "-t", terminal, "Tab", "Enter")
    text = wait_for(terminal, lambda s: f"/{2 * PER_PROVIDER}]" in s, "the resources view")
    assert "overview › resources" in text and "city-a-edu-vm-0001" in text
    _tmux("send-keys", "-t", terminal, "/")
    wait_for(terminal, lambda s: "/ filter:" in s, "the filter prompt")
    _tmux("send-keys", "-t", terminal, "-l", "status:error")
    _tmux("send-keys", "-t", terminal, "Enter")
    text = wait_for(terminal, lambda s: "[2/2]" in s, "the filtered view")
    assert "(status:error)" in text and "✗ ERROR" in text
    _tmux("send-keys", "-t", terminal, "d")
    text = wait_for(terminal, lambda s: "resource_id:" in s, "the description")
    assert "flavor: c2m4" in text
    _tmux("send-keys", "-t", terminal, "Escape")
    wait_for(terminal, lambda s: "resource_id:" not in s and "[2/2]" in s, "the list again")
    _tmux("send-keys", "-t", terminal, "Escape")
    wait_for(terminal, lambda s: f"/{2 * PER_PROVIDER}]" in s, "the unfiltered list")
    _tmux("send-keys", "-t", terminal, ":")
    wait_for(terminal, lambda s: ": audit, drift, jobruns, jobs, overview" in s, "the view prompt")
    _tmux("send-keys", "-t", terminal, "-l", "q")
    _tmux("send-keys", "-t", terminal, "Enter")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        alive = subprocess.run(["tmux", "has-session", "-t", terminal], capture_output=True)
        if alive.returncode != 0:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"`:q` did not end the console:\n{screen(terminal)}")
