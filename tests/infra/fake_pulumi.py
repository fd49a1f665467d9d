"""A stand-in for the ``pulumi`` binary at the Automation API's one seam, ``PulumiCommand``.

It answers the commands the Automation API sends the way the CLI does — stdout JSON,
engine events written to ``--event-log``, exit codes and the stderr texts the API turns
into ``StackNotFoundError`` / ``ConcurrentUpdateError`` — and keeps stacks in memory,
so the runner is exercised through the real ``LocalWorkspace`` and ``Stack`` objects.
What ``up`` or ``refresh`` reports is scripted by the test (``script``); the program
itself is not run here (the mock-runtime tests cover it).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi.automation import CommandResult, PulumiCommand
from pulumi.automation.errors import create_command_error
from semver import VersionInfo

CONFLICT = "error: [409] Conflict: Another update is currently in progress."


@dataclass
class Call:
    args: list[str]
    cwd: str
    env: dict[str, str]


@dataclass
class FakeStack:
    secrets_provider: str | None
    config: dict[str, str] = field(default_factory=dict)
    resources: dict[str, tuple[str, str]] = field(default_factory=dict)  # urn -> (type, id)
    pending: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Scripted:
    """One resource step the fake engine reports: ``op`` on ``type`` named ``name``."""

    op: str
    type: str
    name: str
    failed: bool = False
    diffs: tuple[str, ...] = ()


class FakePulumi(PulumiCommand):
    """Scripted ``pulumi`` (see the module docstring); ``calls`` records every command."""

    def __init__(self, version: str = "3.200.0") -> None:
        # Deliberately not calling super().__init__: that runs `pulumi version`.
        self.command = "pulumi"
        self.version = VersionInfo.parse(version)
        self.calls: list[Call] = []
        self.stacks: dict[str, FakeStack] = {}
        self.script: list[Scripted] = []
        self.busy_times = 0
        self.fail_with: dict[str, str] = {}  # operation -> the CLI's stderr
        self.fail_after: str | None = None  # stderr of a run that fails after its steps
        self.delay = 0.0
        self.running = 0
        self.max_running = 0
        self._lock = threading.Lock()

    # -- plumbing --------------------------------------------------------------------

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: Any = None,
        on_error: Any = None,
    ) -> CommandResult:
        args = [a for a in args if a != "--non-interactive"]
        with self._lock:
            self.calls.append(Call(list(args), cwd, dict(additional_env)))
        code, stdout, stderr = self._answer(args, cwd, additional_env)
        result = CommandResult(stdout=stdout, stderr=stderr, code=code)
        if code != 0:
            raise create_command_error(result)
        return result

    @staticmethod
    def _flag(args: list[str], name: str) -> str | None:
        return args[args.index(name) + 1] if name in args else None

    def _key(self, cwd: str, args: list[str]) -> str:
        project = _project_name(Path(cwd))
        return f"{project}/{self._flag(args, '--stack')}"

    def _answer(self, args: list[str], cwd: str, env: Mapping[str, str]) -> tuple[int, str, str]:
        key = self._key(cwd, args)
        if args[:2] == ["stack", "init"]:
            if not env.get("PULUMI_CONFIG_PASSPHRASE"):
                return 255, "", "error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE"
            key = f"{_project_name(Path(cwd))}/{args[2]}"
            self.stacks[key] = FakeStack(self._flag(args, "--secrets-provider"))
            return 0, "", ""
        stack = self.stacks.get(key)
        if stack is None:
            return 255, "", f"error: no stack named '{self._flag(args, '--stack')}' found"
        if args[:2] == ["stack", "select"]:
            return 0, "", ""
        if args[:2] == ["config", "set-all"]:
            for i, arg in enumerate(args):
                if arg == "--plaintext":
                    name, _, value = args[i + 1].partition("=")
                    stack.config[name] = value
            return 0, "", ""
        if args[:2] == ["stack", "export"]:
            resources = [
                {"urn": urn, "type": t, "id": i} for urn, (t, i) in stack.resources.items()
            ]
            deployment = {"resources": resources, "pending_operations": stack.pending}
            return 0, json.dumps({"version": 3, "deployment": deployment}), ""
        if args[:2] == ["stack", "history"]:
            entry = {"kind": "update", "startTime": "2026-12-05T10:00:00.000000Z",
                     "message": "", "environment": {}, "config": {}, "result": "succeeded"}  # fmt: skip
            return 0, json.dumps([entry]), ""
        if args[:2] == ["stack", "output"]:
            return 0, "{}", ""
        if args[0] in ("up", "preview", "refresh", "destroy"):
            code, out, err = self._operation(args, stack, key)
            if code and err not in ("error: update failed", self.fail_after):
                # The CLI closes its event log with a cancel event however it exits.
                self._log(args, [{"cancelEvent": {}}])
            return code, out, err
        return 255, "", f"error: the fake does not know `pulumi {' '.join(args)}`"

    def _log(self, args: list[str], events: list[dict[str, Any]]) -> None:
        log = self._flag(args, "--event-log")
        if log:
            with open(log, "a", encoding="utf-8") as out:
                for n, event in enumerate(events):
                    out.write(json.dumps({"sequence": n, "timestamp": 0, **event}) + "\n")

    def _operation(self, args: list[str], stack: FakeStack, key: str) -> tuple[int, str, str]:
        if args[0] in self.fail_with:
            return 255, "", self.fail_with[args[0]]
        with self._lock:
            if self.busy_times and args[0] != "preview":
                self.busy_times -= 1
                return 255, "", CONFLICT
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            time.sleep(self.delay)
            project, stack_name = key.split("/")
            if args[0] == "destroy":
                steps = [
                    Scripted("delete", t, urn.rsplit("::", 1)[1])
                    for urn, (t, _) in reversed(stack.resources.items())
                ]
            else:
                steps = list(self.script)
            events: list[dict[str, Any]] = []
            failed = False
            for step in steps:
                urn = f"urn:pulumi:{stack_name}::{project}::{step.type}::{step.name}"
                meta = {"op": step.op, "urn": urn, "type": step.type, "provider": "",
                        "new": {"urn": urn, "type": step.type, "id": f"{step.name}-id"},
                        "diffs": list(step.diffs)}  # fmt: skip
                events.append({"resourcePreEvent": {"metadata": meta}})
                if step.failed:
                    failed = True
                    events.append({"diagnosticEvent": {"urn": urn, "severity": "error",
                                                       "message": f"{step.name}: quota exceeded\n"}})  # fmt: skip
                    events.append({"resOpFailedEvent": {"metadata": meta, "status": 1}})
                    continue
                events.append({"resOutputsEvent": {"metadata": meta}})
                if args[0] == "up" and step.op != "delete":
                    stack.resources[urn] = (step.type, f"{step.name}-id")
                if args[0] == "destroy":
                    stack.resources.pop(urn, None)
            counts: dict[str, int] = {}
            for step in steps:
                counts[step.op] = counts.get(step.op, 0) + 1
            events.append({"summaryEvent": {"resourceChanges": counts}})
            events.append({"cancelEvent": {}})
            self._log(args, events)
            if self.fail_after and not failed:
                return 255, "", self.fail_after
            return (255, "", "error: update failed") if failed else (0, "", "")
        finally:
            with self._lock:
                self.running -= 1


def _project_name(work_dir: Path) -> str:
    for line in (work_dir / "Pulumi.yaml").read_text(encoding="utf-8").splitlines():
        if line.startswith("name:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no project name in {work_dir / 'Pulumi.yaml'}")
