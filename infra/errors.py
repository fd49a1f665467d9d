"""Failures of the Pulumi engine, as ``providers.ProviderError`` subclasses.

The control plane handles every provisioning engine through one error tree, so the
Pulumi engine's failures are provider errors with the same retry semantics in the type:
a busy stack (``ConcurrentUpdateError``) is temporary, a missing CLI or operations left
pending by a crash are permanent until someone acts. Automation API exceptions never
leave ``infra``; they become these with the cause kept.

Must not import ``pulumi`` (the estate checks for the CLI without loading the SDK).
"""

from __future__ import annotations

from providers.errors import ProviderConflict, ProviderError, ProviderUnavailable

__all__ = ["EngineFailed", "PendingOperations", "PulumiMissing", "StackBusy"]


class PulumiMissing(ProviderUnavailable):
    """No ``pulumi`` CLI on PATH: the engine cannot run here (never falls back to the SDK)."""

    default_temporary = False
    code = "pulumi_missing"
    title_zh = "未找到 Pulumi 命令行"
    title_en = "the pulumi CLI is not installed"


class StackBusy(ProviderConflict):
    """Another update holds the stack's lock (``ConcurrentUpdateError``): retry later."""

    code = "stack_busy"
    title_zh = "堆栈正被另一次更新占用，请稍后重试"
    title_en = "stack busy with another update, retry later"


class PendingOperations(ProviderConflict):
    """An earlier run crashed mid-operation; the stack lists operations it never finished."""

    default_temporary = False
    code = "pending_operations"
    title_zh = "堆栈中有崩溃遗留的未完成操作"
    title_en = "stack has pending operations left by a crash"


class EngineFailed(ProviderError):
    """The Pulumi engine ran and reported failure (its diagnostics are the detail)."""

    code = "engine_failed"
    title_zh = "Pulumi 执行失败"
    title_en = "pulumi run failed"
