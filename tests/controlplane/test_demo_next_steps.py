"""The commands ``govcloud demo`` suggests run as printed, pasted into a fresh shell.

Cases: the demo (tiny scale) prints its next steps one whole command per line, each
absolute (this installation's ``govcloud`` and ``--home``), whatever the terminal width;
each runs with exit 0 under ``bash -c`` in an environment with none of govcloud's
variables and another working directory; the request left waiting is approved by the
principal the demo names (``--as bdb-approver``) and then provisioned; the figures agree
(every applied request is counted once; synced = provisioned resources; Chinese output
suggests the same commands).
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest

from controlplane.cli.demo_cmd import launcher
from controlplane.cli.main import main
from controlplane.demo import APPROVER

pytestmark = pytest.mark.slow


def _suggested(output: str, header: str) -> list[str]:
    """The command lines after the next-steps header (comment lines skipped)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rest = [line for line in lines[start + 1 :] if line.strip()]
    assert all(line.startswith("# ") for line in rest[0::2]), rest
    return rest[1::2]


def _demo(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main([*args, "demo", "--demo-home", str(home), "--scale", "tiny", "--seed", "7"]) == 0
    return capsys.readouterr().out


def test_every_suggested_command_runs_in_a_fresh_shell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")  # a narrow terminal must not break a command
    home = tmp_path / "demo home"  # a space, to prove the path is quoted
    commands = _suggested(_demo(home, capsys), "Next steps")

    words = [shlex.split(c) for c in commands]
    assert all(w[: len(launcher())] == launcher() for w in words)
    assert all(w[len(launcher()) : len(launcher()) + 2] == ["--home", str(home)] for w in words)
    verbs = [" ".join(w[len(launcher()) + 2 :]) for w in words]
    approve = next(v for v in verbs if " request approve " in f" {v} ")
    assert approve.startswith(f"--as {APPROVER} request approve ")
    waiting = approve.split()[-1]
    assert f"request provision {waiting}" in verbs
    assert verbs.index(f"request provision {waiting}") > verbs.index(approve)
    assert {"estate show", "request list", "audit verify"} <= set(verbs)

    shell_home = tmp_path / "user"
    shell_home.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(shell_home), "LANG": "C.UTF-8"}
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=shell_home,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        if " request approve " in command:
            assert done.stdout.strip() == f"#{waiting}: Approved"
        if " request provision " in command:
            assert done.stdout.startswith(f"#{waiting}: Ready")


def test_the_figures_agree_and_chinese_suggests_the_same_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--demo-home", str(tmp_path / "json"), "--scale", "tiny",
                 "--seed", "7", "-o", "json"]) == 0  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    requests = summary["requests"]
    assert summary["waiting_request"] is not None
    assert requests["PendingApproval"] == 1
    assert summary["approved_by_bureau"] > 0
    assert summary["approved_automatically"] > 0
    # every applied request is Ready or waiting, and every approval is counted once
    assert requests["Ready"] == summary["approved_by_bureau"] + summary["approved_automatically"]
    assert sum(requests.values()) == summary["systems_generated"]  # tiny: every department
    assert summary["departments_applied"] == summary["tenants"]
    assert summary["synced_resources"] == summary["provisioned_resources"] > 0

    english = _demo(tmp_path / "same", capsys)
    commands = _suggested(english, "Next steps")
    (tmp_path / "same").rename(tmp_path / "kept")
    chinese = _demo(tmp_path / "same", capsys, "--lang", "zh")
    assert _suggested(chinese, "下一步") == commands
    assert "province: 1+M+N = 1+2+2 clouds, 12 departments, 30 requests generated" in english
    # the generated requests meet the 等保 floor of their level, or are denied by it
    states = ", ".join(f"{state} {n}" for state, n in sorted(requests.items()))
    assert f"requests: 30 applied (12 departments) → {states}" in english
    assert requests.get("Denied", 0) + requests["PendingApproval"] + requests["Ready"] == 30
