"""``govcloud apply -f | delete -f`` and ``govcloud request list | show | approve | reject
| provision``: department requests, acting as ``--as`` / ``GOVCLOUD_USER``.

Exit codes: 0 done (or nothing to do); 1 denied, refused by RBAC, over quota or an
illegal transition; 2 invalid input (located). Authorisation happens in the services.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from controlplane import rbac
from controlplane.cli.context import CliContext, cli_context
from controlplane.cli.output import Column, Format, emit
from controlplane.planning import PlanService
from controlplane.quotas import QuotaExceeded
from controlplane.requests import (
    IllegalTransition,
    RequestDetail,
    RequestNotFound,
    provisioner,
    request_service,
    state_word,
)
from controlplane.requests.from_plan import PlanServicePlanner
from controlplane.requests.service import ApplyResult, RequestService
from tenants import load_requests

app = typer.Typer(help="Department requests: list, show, approve, reject, provision.")


def _service(obj: CliContext) -> RequestService:
    planner = PlanServicePlanner(PlanService(obj.app.sessions, obj.app.clock, obj.app.settings))
    return request_service(obj.app, planner)


@contextmanager
def _refusals(obj: CliContext) -> Iterator[None]:
    """Refusals become one line on stderr and exit 1 (invalid input stays exit 2)."""
    try:
        yield
    except (rbac.PermissionDenied, IllegalTransition, RequestNotFound, QuotaExceeded) as exc:
        typer.echo(f"error: {exc.describe(obj.lang)}", err=True)
        raise typer.Exit(1) from exc


def _record(request: Any, tenant: str | None = None) -> dict[str, Any]:
    return {
        "id": request.id,
        "tenant": tenant,
        "system": request.system_name,
        "action": request.action,
        "state": request.state,
        "requester": request.requester,
        "spec_hash": request.spec_hash,
        "updated_at": request.updated_at,
    }


def _detail(detail: RequestDetail) -> dict[str, Any]:
    return {
        **_record(detail.request, detail.tenant),
        "events": [
            {
                "at": e.at,
                "from": e.from_state,
                "to": e.to_state,
                "actor": e.actor,
                "reason": e.reason,
            }
            for e in detail.events
        ],
        "approvals": [
            {
                "step": a.step,
                "role": a.role,
                "status": a.status,
                "by": a.decided_by,
                "at": a.decided_at,
                "reason": a.reason,
            }
            for a in detail.approvals
        ],
        "outcomes": [
            {
                "kind": o.kind,
                "name": o.name,
                "action": o.action,
                "resource_id": o.resource_id,
                "error": o.error,
                "retryable": o.retryable,
            }
            for o in detail.outcomes
        ],
        "plan": detail.request.plan,
    }


def _emit_results(obj: CliContext, results: list[ApplyResult], output: Format) -> None:
    if output is not Format.table:
        emit(
            [
                {
                    "noop": r.noop,
                    "message": r.message_en,
                    "request": _record(r.request) if r.request else None,
                }
                for r in results
            ],
            output,
            lang=obj.lang,
        )
    else:
        for result in results:
            typer.echo(result.describe(obj.lang))
    if any(r.request is not None and r.request.state == "Denied" for r in results):
        raise typer.Exit(1)


def _apply_or_delete(ctx: typer.Context, file: Path, output: Format, *, delete: bool) -> None:
    obj = cli_context(ctx)
    parsed = load_requests(file)
    service = _service(obj)
    with _refusals(obj):
        results = [
            service.delete(p, actor=obj.actor) if delete else service.apply(p, actor=obj.actor)
            for p in parsed
        ]
    _emit_results(obj, results, output)


@app.command("list")
def list_(
    ctx: typer.Context,
    tenant: str | None = typer.Option(None, "--tenant"),
    state: str | None = typer.Option(None, "--state"),
    output: Format = typer.Option(Format.table, "-o", "--output"),
) -> None:
    """Requests you may see (a department sees its own)."""
    obj = cli_context(ctx)
    with _refusals(obj):
        rows = _service(obj).list(actor=obj.actor, tenant=tenant, state=state)
    records = [_record(r, code) for r, code in rows]
    if output is Format.table:
        for rec in records:
            rec["state"] = state_word(rec["state"], obj.lang)
    emit(records, output, lang=obj.lang, columns=_LIST_COLUMNS)


_LIST_COLUMNS = (
    Column("id", lambda r: r["id"], justify="right"),
    Column("tenant", lambda r: r["tenant"], max_width=18),
    Column("system", lambda r: r["system"], max_width=24),
    Column("action", lambda r: r["action"]),
    Column("state", lambda r: r["state"]),
    Column("updated", lambda r: r["updated_at"]),
)


@app.command("show")
def show(
    ctx: typer.Context,
    request_id: int = typer.Argument(..., metavar="ID"),
    output: Format = typer.Option(Format.yaml, "-o", "--output"),
) -> None:
    """One request with its history, approvals and provisioning outcomes."""
    obj = cli_context(ctx)
    with _refusals(obj):
        detail = _service(obj).show(request_id, actor=obj.actor)
    emit(_detail(detail), output, lang=obj.lang)


@app.command("approve")
def approve(
    ctx: typer.Context,
    request_id: int = typer.Argument(..., metavar="ID"),
    reason: str | None = typer.Option(None, "--reason"),
) -> None:
    """Approve the request's next pending step (never your own request)."""
    obj = cli_context(ctx)
    with _refusals(obj):
        request = _service(obj).approve(request_id, actor=obj.actor, reason=reason)
    typer.echo(f"#{request.id}: {state_word(request.state, obj.lang)}")


@app.command("reject")
def reject(
    ctx: typer.Context,
    request_id: int = typer.Argument(..., metavar="ID"),
    reason: str = typer.Option(..., "--reason"),
) -> None:
    """Reject the request at its next pending step, saying why."""
    obj = cli_context(ctx)
    with _refusals(obj):
        request = _service(obj).reject(request_id, actor=obj.actor, reason=reason)
    typer.echo(f"#{request.id}: {state_word(request.state, obj.lang)}")


@app.command("provision")
def provision(ctx: typer.Context, request_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Hand an approved request to its provider's driver (re-run to retry or resume)."""
    obj = cli_context(ctx)
    with _refusals(obj):
        result = provisioner(obj.app).provision(request_id, actor=obj.actor)
    typer.echo(f"#{result.request_id}: {state_word(result.state, obj.lang)}")
    for outcome in result.outcomes:
        error = f"  {outcome.error.describe(obj.lang)}" if outcome.error else ""
        typer.echo(f"  {outcome.kind}/{outcome.name}: {outcome.action}{error}")
    if result.failed:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="request")

    @root.command("apply")
    def apply_(
        ctx: typer.Context,
        file: Path = typer.Option(..., "-f", "--file", exists=True, dir_okay=False),
        output: Format = typer.Option(Format.table, "-o", "--output"),
    ) -> None:
        """Record a request for every SystemRequest in FILE (identical specs: no-op)."""
        _apply_or_delete(ctx, file, output, delete=False)

    @root.command("delete")
    def delete_(
        ctx: typer.Context,
        file: Path = typer.Option(..., "-f", "--file", exists=True, dir_okay=False),
        output: Format = typer.Option(Format.table, "-o", "--output"),
    ) -> None:
        """Record a deletion of every system FILE names."""
        _apply_or_delete(ctx, file, output, delete=True)
