"""Runs a Pulumi program under ``pulumi.runtime.set_mocks`` and records what it registers.

Each run gets its own event loop and a fresh ``contextvars`` context (Pulumi keeps its
settings, root stack and config in context variables), so runs never share state and
no loop is left open for pytest's ``filterwarnings = error`` to trip over.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks


@dataclass(frozen=True)
class Registered:
    """One resource registration: type token, logical name and inputs (wire form)."""

    type: str
    name: str
    inputs: Mapping[str, Any]


class _Recorder(Mocks):
    def __init__(self) -> None:
        self.registered: list[Registered] = []
        self.calls: list[tuple[str, Mapping[str, Any]]] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        self.registered.append(Registered(args.typ, args.name, dict(args.inputs)))
        # Outputs other resources read: a floating IP's address, everything's id.
        return f"{args.name}-id", {**args.inputs, "address": "203.0.113.10"}

    def call(self, args: MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]]]:
        self.calls.append((args.token, dict(args.args)))
        return {"id": f"{args.args.get('name', 'x')}-id", **dict(args.args)}, []


def _close_thread_loop() -> None:
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return
    if not loop.is_running():
        loop.close()
        asyncio.set_event_loop(None)


class _LoopClosingExecutor(ThreadPoolExecutor):
    """Pulumi's synchronous invokes make an event loop in the worker thread they run on
    and never close it; this executor closes it when the call returns."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                _close_thread_loop()

        return super().submit(run)


def run_mocked(
    program: Callable[[], object], config: Mapping[str, str] | None = None
) -> list[Registered]:
    """Every resource ``program`` registers (the root stack excluded), in order."""
    recorder = _Recorder()

    def main() -> None:
        # What the program returns is not awaited: a module's namespace is no output.
        program()

    def run() -> None:
        loop = asyncio.new_event_loop()
        loop.set_default_executor(_LoopClosingExecutor(max_workers=4))
        asyncio.set_event_loop(loop)
        try:
            pulumi.runtime.set_all_config(dict(config or {}))
            pulumi.runtime.set_mocks(recorder, project="govcloud", stack="test", preview=False)
            pulumi.runtime.test(main)()
        finally:
            loop.run_until_complete(loop.shutdown_default_executor())
            asyncio.set_event_loop(None)
            loop.close()

    contextvars.Context().run(run)
    return [item for item in recorder.registered if item.type != "pulumi:pulumi:Stack"]
