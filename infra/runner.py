"""The Automation API runner: one Pulumi stack per (tenant, system, provider).

Owns ``StackRunner``. Each stack lives in its own project ``<tenant>-<system>`` (the
name ``govcloud infra export`` gives the standalone project) and is named after the
provider, in a local ``file://`` backend under the govcloud home unless a backend URL is
configured; secrets use the ``passphrase`` provider with the configured passphrase. The
program the stack runs is the exported ``__main__.py`` (``infra.export``), so what
govcloud runs is exactly what a department can keep.

Operations: ``preview`` (the plan diff), ``up`` (apply, with every engine event
recorded as a line for the request history), ``refresh`` (drift) and ``destroy``
(delete). Before changing anything it looks for operations a crashed run left pending
and refuses, listing them, until someone has looked. At most ``max_concurrent`` stacks
run at once (one lock per stack besides), and ``ConcurrentUpdateError`` — another
process holds the stack — becomes the temporary ``StackBusy``. Without a ``pulumi`` CLI
every operation is refused with ``PulumiMissing`` before a file is written.

The CLI is reached through one seam: ``command`` builds the ``PulumiCommand`` handed to
every workspace (tests hand in a fake; the default finds ``pulumi`` on PATH).
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from pulumi import automation as auto

from infra.blueprint import Blueprint
from infra.cli import find_pulumi, install_hint
from infra.errors import EngineFailed, PendingOperations, PulumiMissing, StackBusy
from infra.export import render_program

__all__ = ["RunReport", "RunnerSettings", "StackId", "StackRunner", "Step"]

#: Builds the CLI wrapper every workspace uses: the one seam to the ``pulumi`` binary.
CommandFactory = Callable[[], auto.PulumiCommand]


@dataclass(frozen=True, slots=True)
class StackId:
    """The stack of one system on one provider."""

    tenant: str
    system: str
    provider: str

    @property
    def project(self) -> str:
        return f"{self.tenant}-{self.system}"

    @property
    def stack(self) -> str:
        return self.provider

    @property
    def qualified(self) -> str:
        """How a self-managed (``file://``) backend names it."""
        return f"organization/{self.project}/{self.stack}"


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    """Where stacks live and how their secrets are sealed.

    ``root`` is ``<govcloud home>/pulumi``: work directories under ``stacks/`` and, by
    default, the state backend under ``state/``.
    """

    root: Path
    passphrase: str
    backend_url: str | None = None
    max_concurrent: int = 2

    def __post_init__(self) -> None:
        if not self.passphrase:
            raise ValueError("the pulumi engine needs a secrets passphrase")
        if self.max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")

    @property
    def backend(self) -> str:
        return self.backend_url or (self.root / "state").resolve().as_uri()


@dataclass(frozen=True, slots=True)
class Step:
    """One resource step the engine reported: ``op`` on ``type`` named ``name``."""

    op: str
    type: str
    name: str
    resource_id: str | None = None
    failed: bool = False
    diffs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RunReport:
    """What one operation did: its steps, the change counts and the event lines."""

    operation: str
    stack: StackId
    steps: tuple[Step, ...] = ()
    changes: Mapping[str, int] = field(default_factory=dict)
    events: tuple[str, ...] = ()
    #: The CLI's error when the run failed after resources were reached.
    error: str | None = None

    def drifted(self) -> list[str]:
        """Logical names whose cloud state differed from the stack's (``refresh``)."""
        return sorted(
            {
                s.name
                for s in self.steps
                if s.op in ("update", "delete") or (s.op == "refresh" and s.diffs)
            }
        )


def _counts(changes: Mapping[auto.OpType, int] | Mapping[str, int]) -> dict[str, int]:
    """Change counts keyed by operation name (the API mixes ``OpType`` and text keys)."""
    return {str(getattr(op, "value", op)): count for op, count in changes.items()}


def _name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


class _Recorder:
    """Collects engine events (called from the Automation API's watcher thread)."""

    def __init__(self) -> None:
        self.steps: dict[str, Step] = {}
        self.lines: list[str] = []
        self.changes: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, event: auto.EngineEvent) -> None:
        with self._lock:
            self._take(event)

    def _take(self, event: auto.EngineEvent) -> None:
        done = event.res_outputs_event or event.resource_pre_event
        failed = event.res_op_failed_event
        if done is not None or failed is not None:
            meta = (done or failed).metadata  # type: ignore[union-attr]
            if meta.type == "pulumi:pulumi:Stack":
                return
            state = meta.new or meta.old
            step = Step(
                meta.op.value,
                meta.type,
                _name_of(meta.urn),
                state.id if state is not None and state.id else None,
                failed=failed is not None,
                diffs=tuple(meta.diffs or ()),
            )
            previous = self.steps.get(meta.urn)
            if previous is None or event.resource_pre_event is None:
                self.steps[meta.urn] = step
            if event.res_outputs_event is not None or failed is not None:
                word = f"failed {step.op}" if failed else step.op
                self.lines.append(f"{word} {step.type} {step.name}")
        elif event.diagnostic_event is not None:
            diag = event.diagnostic_event
            if diag.severity in ("error", "warning"):
                where = f" {_name_of(diag.urn)}" if diag.urn else ""
                self.lines.append(f"{diag.severity}{where}: {diag.message.strip()}")
        elif event.summary_event is not None:
            self.changes = _counts(event.summary_event.resource_changes or {})

    def report(self, operation: str, stack: StackId) -> RunReport:
        return RunReport(
            operation, stack, tuple(self.steps.values()), self.changes, tuple(self.lines)
        )


class StackRunner:
    """Runs blueprints as stacks through the Automation API (see the module docstring)."""

    def __init__(self, settings: RunnerSettings, *, command: CommandFactory | None = None) -> None:
        self.settings = settings
        self._command = command
        self._slots = threading.BoundedSemaphore(settings.max_concurrent)
        self._locks: dict[StackId, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # -- the seam ----------------------------------------------------------------

    def _cli(self, stack: StackId, kind: str) -> auto.PulumiCommand:
        if self._command is not None:
            return self._command()
        # The detail is free text shown in either language: it says it in both.
        hint = f"{install_hint(kind)} / {install_hint(kind, 'zh')}"
        if find_pulumi() is None:
            raise PulumiMissing(stack.provider, hint)
        try:
            return auto.PulumiCommand()
        except (OSError, auto.InvalidVersionError) as exc:
            raise PulumiMissing(stack.provider, f"{exc}; {hint}") from exc

    # -- workspaces --------------------------------------------------------------

    def work_dir(self, stack: StackId) -> Path:
        return self.settings.root / "stacks" / stack.project / stack.stack

    def _options(self, stack: StackId, cli: auto.PulumiCommand) -> auto.LocalWorkspaceOptions:
        backend = self.settings.backend
        if backend.startswith("file://"):
            Path(unquote(backend.removeprefix("file://"))).mkdir(parents=True, exist_ok=True)
        return auto.LocalWorkspaceOptions(
            work_dir=str(self.work_dir(stack)),
            pulumi_command=cli,
            secrets_provider="passphrase",
            env_vars={
                "PULUMI_BACKEND_URL": backend,
                "PULUMI_CONFIG_PASSPHRASE": self.settings.passphrase,
                "PULUMI_SKIP_UPDATE_CHECK": "true",
            },
            project_settings=auto.ProjectSettings(
                name=stack.project,
                # The program needs only pulumi and the provider SDK: this interpreter's.
                runtime=auto.ProjectRuntimeInfo("python", {"virtualenv": sys.prefix}),
                backend=auto.ProjectBackend(backend),
            ),
        )

    def _open(
        self,
        stack: StackId,
        cli: auto.PulumiCommand,
        plan: Blueprint | None,
        config: Mapping[str, str],
        *,
        create: bool,
    ) -> auto.Stack | None:
        work = self.work_dir(stack)
        work.mkdir(parents=True, exist_ok=True)
        if plan is not None:
            (work / "__main__.py").write_text(
                render_program(plan, provider=stack.provider), encoding="utf-8"
            )
        opts = self._options(stack, cli)
        if create:
            opened = auto.create_or_select_stack(stack.stack, work_dir=str(work), opts=opts)
        else:
            try:
                opened = auto.select_stack(stack.stack, work_dir=str(work), opts=opts)
            except auto.StackNotFoundError:
                return None
        if config:
            opened.set_all_config({key: auto.ConfigValue(value) for key, value in config.items()})
        return opened

    @contextmanager
    def _turn(self, stack: StackId) -> Iterator[None]:
        """One stack at a time per stack, at most ``max_concurrent`` stacks at once."""
        with self._locks_guard:
            lock = self._locks.setdefault(stack, threading.Lock())
        with lock, self._slots, _translated(stack):
            yield

    # -- pending operations --------------------------------------------------------

    @staticmethod
    def _pending(opened: auto.Stack) -> list[tuple[str, str]]:
        deployment = opened.export_stack().deployment or {}
        return [
            (str(op.get("type", "?")), _name_of(str((op.get("resource") or {}).get("urn", "?"))))
            for op in deployment.get("pending_operations") or []
        ]

    def _refuse_pending(self, stack: StackId, opened: auto.Stack) -> None:
        pending = self._pending(opened)
        if pending:
            listed = ", ".join(f"{op} {name}" for op, name in pending)
            raise PendingOperations(
                stack.provider,
                f"{stack.qualified}: {listed}; check these resources in the cloud, then run "
                f"`pulumi refresh --clear-pending-creates` in {self.work_dir(stack)}",
            )

    def pending(self, stack: StackId, kind: str) -> list[tuple[str, str]]:
        """``(operation, logical name)`` a crashed run left pending on ``stack``."""
        cli = self._cli(stack, kind)
        with self._turn(stack):
            opened = self._open(stack, cli, None, {}, create=False)
            return [] if opened is None else self._pending(opened)

    # -- operations ----------------------------------------------------------------

    def preview(self, plan: Blueprint, stack: StackId, config: Mapping[str, str]) -> RunReport:
        """What ``up`` would do (nothing changes)."""
        cli = self._cli(stack, plan.provider_kind)
        recorder = _Recorder()
        with self._turn(stack):
            opened = self._open(stack, cli, plan, config, create=True)
            assert opened is not None
            result = opened.preview(on_event=recorder)
            report = recorder.report("preview", stack)
            changes = _counts(result.change_summary)
            return RunReport("preview", stack, report.steps, changes, report.events)

    def up(self, plan: Blueprint, stack: StackId, config: Mapping[str, str]) -> RunReport:
        """Make the cloud hold ``plan``; the report keeps every event line."""
        cli = self._cli(stack, plan.provider_kind)
        recorder = _Recorder()
        with self._turn(stack):
            opened = self._open(stack, cli, plan, config, create=True)
            assert opened is not None
            self._refuse_pending(stack, opened)
            try:
                opened.up(on_event=recorder)
            except auto.CommandError as exc:
                if isinstance(exc, auto.ConcurrentUpdateError) or not recorder.steps:
                    raise
                # The resources' own outcomes are in the report; the run's error too.
                return dataclasses.replace(recorder.report("up", stack), error=_first_line(exc))
            return recorder.report("up", stack)

    def refresh(self, stack: StackId, kind: str, config: Mapping[str, str]) -> RunReport:
        """Read the cloud back into the stack; ``drifted()`` names what differed."""
        return self._on_existing("refresh", stack, kind, config)

    def destroy(self, stack: StackId, kind: str, config: Mapping[str, str]) -> RunReport:
        """Delete everything the stack holds."""
        return self._on_existing("destroy", stack, kind, config)

    def _on_existing(
        self,
        operation: Literal["refresh", "destroy"],
        stack: StackId,
        kind: str,
        config: Mapping[str, str],
    ) -> RunReport:
        """``refresh`` or ``destroy`` a stack; one that was never made is empty."""
        cli = self._cli(stack, kind)
        recorder = _Recorder()
        with self._turn(stack):
            opened = self._open(stack, cli, None, config, create=False)
            if opened is None:
                return RunReport(operation, stack)
            self._refuse_pending(stack, opened)
            run = opened.refresh if operation == "refresh" else opened.destroy
            run(on_event=recorder)
            return recorder.report(operation, stack)


@contextmanager
def _translated(stack: StackId) -> Iterator[None]:
    """Automation API errors as provider errors, the cause kept."""
    try:
        yield
    except auto.ConcurrentUpdateError as exc:
        raise StackBusy(stack.provider, f"{stack.qualified}: {_first_line(exc)}") from exc
    except auto.CommandError as exc:
        raise EngineFailed(stack.provider, f"{stack.qualified}: {_first_line(exc)}") from exc


def _first_line(exc: auto.CommandError) -> str:
    """The CLI's first error line (the error's text is ``code: … stdout: … stderr: …``)."""
    text = str(exc)
    _, _, stderr = text.partition("stderr:")
    for line in (stderr or text).splitlines():
        line = line.strip()
        if line and not line.startswith(("code:", "stdout:")):
            return line[:400]
    return type(exc).__name__
