"""``govcloud apply -f | delete -f`` and ``govcloud request list | show | approve | reject
| provision``: department requests, acting as ``--as`` / ``GOVCLOUD_USER``.

Exit codes: 0 done (or nothing to do); 1 denied, refused by RBAC, over quota or an
illegal transition; 2 invalid input (located). Authorisation happens in the facade.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from controlplane.cli.context import CliContext, cli_context
from controlplane.cli.output import Column, Format, emit
from controlplane.cli.params import CONTINUE, LIMIT, OUTPUT, TIER, print_continue, shown
from controlplane.cli.plan_cmd import read_manifest
from controlplane.cli.status import state_text
from controlplane.cli.views import denial_lines
from controlplane.i18n import Lang, tr

if TYPE_CHECKING:
    from controlplane.facade.models import ApplyInfo, RequestDetailInfo

app = typer.Typer(help="Department requests: list, show, approve, reject, provision.")


def _record(request: Any, tenant: str | None = None) -> dict[str, Any]:
    return {
        "id": request.id,
        "tenant": tenant,
        "system": request.system_name,
        "action": request.action,
        "state": request.state,
        "requester": request.requester,
        "provider": request.provider,
        "spec_hash": request.spec_hash,
        "updated_at": request.updated_at,
    }


def _detail(detail: RequestDetailInfo) -> dict[str, Any]:
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
        "plan": detail.plan,
    }


def _people_record(detail: RequestDetailInfo, lang: Lang) -> dict[str, Any]:
    """``request show`` for people: the request, what was planned, why it was denied,
    and its history as tables (the full plan is in ``-o json|yaml``)."""
    record = _detail(detail)
    plan = record.pop("plan") or {}
    record["state"] = state_text(record["state"], lang)
    record["provider"] = (plan.get("placement") or {}).get("provider")
    record["monthly_price"] = (plan.get("price") or {}).get("monthly")
    reasons = denial_lines(plan, lang) if detail.request.state == "Denied" else []
    if reasons:
        record["reasons"] = [{"reason": line.strip()} for line in reasons]
    for event in record["events"]:
        event["from"] = state_text(event["from"], lang) if event["from"] else None
        event["to"] = state_text(event["to"], lang)
    for approval in record["approvals"]:
        approval["status"] = state_text(approval["status"], lang)
    return record


def _said(request: Any, lang: Lang) -> str:
    return f"{tr('request', lang)} #{request.id} ({request.system_name})"


def _emit_results(obj: CliContext, results: list[ApplyInfo], output: Format) -> None:
    if not output.for_people:
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
            request = result.request
            if request is not None and request.state == "Denied" and not result.quota_refused:
                # lead with the real reason: the placement filters and policy denials
                typer.echo(f"{_said(request, obj.lang)}: {state_text('Denied', obj.lang)}")
                for line in denial_lines(result.plan or {}, obj.lang):
                    typer.echo(f"  {line}")
            elif request is not None and not result.noop and not result.quota_refused:
                typer.echo(f"{_said(request, obj.lang)}: {state_text(request.state, obj.lang)}")
            else:
                typer.echo(result.describe(obj.lang))
    if any(r.request is not None and r.request.state == "Denied" for r in results):
        raise typer.Exit(1)


def _apply_or_delete(ctx: typer.Context, file: Path, output: Format, *, delete: bool) -> None:
    obj = cli_context(ctx)
    parsed = read_manifest(obj, str(file))
    results = obj.facade.delete(parsed) if delete else obj.facade.apply(parsed)
    _emit_results(obj, results, output)


@app.command("list")
def list_(
    ctx: typer.Context,
    tenant: str | None = typer.Option(None, "--tenant"),
    state: str | None = typer.Option(None, "--state"),
    provider: str | None = typer.Option(
        None, "--provider", help="Only requests their plan placed on this cloud."
    ),
    tier: str | None = TIER,
    limit: int = LIMIT,
    token: str | None = CONTINUE,
    output: Format = OUTPUT,
) -> None:
    """Requests you may see (a department sees its own)."""
    obj = cli_context(ctx)
    found = obj.facade.requests(
        tenant=tenant, state=state, provider=provider, tier=tier, limit=limit,
        continue_token=token,
    )  # fmt: skip
    page = shown(found, [_record(r, r.tenant) for r in found.items])
    emit(page.rows, output, lang=obj.lang, columns=_list_columns(obj.lang))
    print_continue(page, output, obj.lang)


def _list_columns(lang: Lang) -> tuple[Column, ...]:
    return (
        Column("id", lambda r: r["id"], justify="right"),
        Column("tenant", lambda r: r["tenant"]),
        Column("system", lambda r: r["system"]),
        Column("action", lambda r: tr(r["action"], lang)),
        Column("state", lambda r: state_text(r["state"], lang)),
        Column("requester", lambda r: r["requester"], wide=True),
        Column("provider", lambda r: r["provider"], wide=True),
        Column("updated", lambda r: r["updated_at"]),
    )


@app.command("show")
def show(
    ctx: typer.Context,
    request_id: int = typer.Argument(..., metavar="ID"),
    output: Format = OUTPUT,
) -> None:
    """One request with its history, approvals and provisioning outcomes."""
    obj = cli_context(ctx)
    detail = obj.facade.request(request_id)
    if output.for_people:
        emit(_people_record(detail, obj.lang), output, lang=obj.lang)
    else:
        emit(_detail(detail), output, lang=obj.lang)


def _emit_decision(obj: CliContext, request: Any, output: Format) -> None:
    if output.for_people:
        typer.echo(f"#{request.id}: {state_text(request.state, obj.lang)}")
    else:
        emit(_record(request), output, lang=obj.lang)


@app.command("approve")
def approve(
    ctx: typer.Context,
    request_id: int = typer.Argument(..., metavar="ID"),
    reason: str | None = typer.Option(None, "--reason"),
    output: Format = OUTPUT,
) -> None:
    """Approve the request's next pending step (never your own request)."""
    obj = cli_context(ctx)
    request = obj.facade.approve(request_id, reason=reason)
    _emit_decision(obj, request, output)


@app.command("reject")
def reject(
    ctx: typer.Context,
    request_id: int = typer.Argument(..., metavar="ID"),
    reason: str = typer.Option(..., "--reason"),
    output: Format = OUTPUT,
) -> None:
    """Reject the request at its next pending step, saying why."""
    obj = cli_context(ctx)
    request = obj.facade.reject(request_id, reason=reason)
    _emit_decision(obj, request, output)


@app.command("provision")
def provision(
    ctx: typer.Context,
    request_id: int = typer.Argument(..., metavar="ID"),
    output: Format = OUTPUT,
) -> None:
    """Hand an approved request to its provider's driver (re-run to retry or resume)."""
    obj = cli_context(ctx)
    result = obj.facade.provision(request_id)
    outcomes = [
        {"kind": o.kind, "name": o.name, "action": o.action,
         "error": o.error.describe(obj.lang) if o.error else None}
        for o in result.outcomes
    ]  # fmt: skip
    if output.for_people:
        typer.echo(f"#{result.request_id}: {state_text(result.state, obj.lang)}")
        emit(outcomes, output, lang=obj.lang, columns=_OUTCOME_COLUMNS)
    else:
        emit(
            {"request": result.request_id, "state": result.state, "failed": result.failed,
             "outcomes": outcomes},
            output,
            lang=obj.lang,
        )  # fmt: skip
    if result.failed:
        raise typer.Exit(1)


_OUTCOME_COLUMNS = (
    Column("kind", lambda r: r["kind"]),
    Column("name", lambda r: r["name"]),
    Column("action", lambda r: r["action"]),
    Column("error", lambda r: r["error"]),
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="request")

    @root.command("apply")
    def apply_(
        ctx: typer.Context,
        file: Path = typer.Option(..., "-f", "--file", exists=True, dir_okay=False),
        output: Format = OUTPUT,
    ) -> None:
        """Record a request for every SystemRequest in FILE (identical specs: no-op)."""
        _apply_or_delete(ctx, file, output, delete=False)

    @root.command("delete")
    def delete_(
        ctx: typer.Context,
        file: Path = typer.Option(..., "-f", "--file", exists=True, dir_okay=False),
        output: Format = OUTPUT,
    ) -> None:
        """Record a deletion of every system FILE names."""
        _apply_or_delete(ctx, file, output, delete=True)
