"""``govcloud get resources | drift``: what the clouds hold, kubectl-style.

The common columns are fixed; with ``--kind`` the kind's own columns come from its
declarative ``providers.kinds.ResourceKind`` description (no per-kind branches here).
``-o json|yaml`` gives every field, specs included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

from controlplane.cli.context import cli_context
from controlplane.cli.output import Column, Format, emit
from controlplane.cli.params import CONTINUE, LIMIT, OUTPUT, TIER, print_continue, shown
from controlplane.cli.status import resource_state, state_text
from controlplane.i18n import Lang
from controlplane.inventory.words import say
from providers import KINDS

if TYPE_CHECKING:
    from controlplane.inventory import DriftView, ResourceView
    from providers import Column as KindColumn

__all__ = ["age", "drift_record", "register", "resource_columns", "resource_record"]

app = typer.Typer(help="Show what the clouds hold (after `provider sync`).", no_args_is_help=True)

#: Columns every kind shares; a kind's description repeats these as its first ones.
_COMMON_KEYS = frozenset({"name", "tenant", "system", "status"})


def age(since: datetime, now: datetime) -> str:
    """kubectl-style age: ``45s``, ``12m``, ``5h``, ``3d``, ``2y``."""
    seconds = max(0, int((now - since).total_seconds()))
    for unit, size in (("y", 365 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def resource_record(view: ResourceView, now: datetime) -> dict[str, Any]:
    return {
        "provider": view.provider,
        "tenant": view.tenant,
        "system": view.system,
        "kind": view.kind,
        "name": view.name,
        "resource_id": view.resource_id,
        "state": resource_state(view.status, deleted=view.deleted_at is not None),
        "status": view.status,
        "managed": view.managed,
        "drift": list(view.drift),
        "age": age(view.created_at, now),
        "created_at": view.created_at,
        "observed_at": view.observed_at,
        "deleted_at": view.deleted_at,
        "spec": dict(view.spec),
        "_view": view,
    }


def _field(key: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda record: record[key]


def _kind_cell(column: KindColumn) -> Callable[[Mapping[str, Any]], Any]:
    return lambda record: column.render(record["_view"].as_observed()) or None


def resource_columns(
    kind: str | None, lang: Lang, *, fixed: frozenset[str] = frozenset()
) -> list[Column]:
    """The table columns: the common ones, plus ``kind``'s declared ones.

    Columns in ``fixed`` (filtered to one value) are left out to make room.
    """
    columns = [
        Column(say(key, lang), _field(key))
        for key in ("provider", "tenant", "system", "kind", "name")
        if key not in fixed
    ]
    columns += [
        Column(say("state", lang), lambda r: state_text(r["state"], lang)),
        Column(say("status", lang), _field("status"), wide=True),
        Column(say("managed", lang), _field("managed")),
        Column(say("drift", lang), lambda r: ",".join(say(d, lang) for d in r["drift"]) or None),
    ]
    declared = KINDS.get(kind) if kind else None
    if declared is not None:
        for column in declared.columns:
            if column.key not in _COMMON_KEYS:
                title = column.title_zh if lang == "zh" else column.title_en
                columns.append(Column(title, _kind_cell(column)))
    columns.append(Column(say("age", lang), lambda r: r["age"], justify="right"))
    columns.append(Column(say("resource_id", lang), _field("resource_id"), wide=True))
    return columns


def _scripted(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in records]


@app.command("resources")
def resources(
    ctx: typer.Context,
    tenant: str | None = typer.Option(None, "--tenant", help="Department code."),
    provider: str | None = typer.Option(None, "--provider", help="Provider name."),
    kind: str | None = typer.Option(None, "--kind", help=f"One of: {', '.join(KINDS)}."),
    managed: bool | None = typer.Option(
        None, "--managed/--unmanaged", help="Only govcloud-managed, or only unmanaged."
    ),
    deleted: bool = typer.Option(False, "--deleted", help="Include resources gone from the cloud."),
    limit: int = LIMIT,
    token: str | None = CONTINUE,
    output: Format = OUTPUT,
) -> None:
    """Resources as last observed by `provider sync`."""
    obj = cli_context(ctx)
    found = obj.reads.resources(
        tenant=tenant, provider=provider, kind=kind, managed=managed, include_deleted=deleted,
        limit=limit, continue_token=token,
    )  # fmt: skip
    page, total = shown(found), found.total
    now = obj.now()
    records = [resource_record(v, now) for v in page.rows]
    if not output.for_people:
        emit(_scripted(records), output, lang=obj.lang)
        print_continue(page, output, obj.lang)
        return
    fixed = frozenset(
        key for key, value in (("tenant", tenant), ("provider", provider), ("kind", kind)) if value
    )
    emit(records, output, lang=obj.lang, columns=resource_columns(kind, obj.lang, fixed=fixed))
    if page.next_token is not None:
        typer.echo(say("shown_of", obj.lang, shown=len(records), total=total))
    print_continue(page, output, obj.lang)


def drift_record(view: DriftView) -> dict[str, Any]:
    return {
        "provider": view.provider,
        "drift": view.drift,
        "kind": view.kind,
        "name": view.name,
        "resource_id": view.resource_id,
        "tenant": view.tenant,
        "system": view.system,
        "detail": dict(view.detail),
        "first_seen": view.first_seen,
        "last_seen": view.last_seen,
        "resolved_at": view.resolved_at,
    }


def _detail(record: Mapping[str, Any]) -> str | None:
    keys = record["detail"].get("keys") or {}
    shown = [f"{key} {v['desired']}→{v['observed']}" for key, v in sorted(keys.items())]
    return "; ".join(shown) or record["detail"].get("status") or None


@app.command("drift")
def drift(
    ctx: typer.Context,
    provider: str | None = typer.Option(None, "--provider", help="Provider name."),
    tier: str | None = TIER,
    history: bool = typer.Option(False, "--history", help="Include resolved drift."),
    limit: int = LIMIT,
    token: str | None = CONTINUE,
    output: Format = OUTPUT,
) -> None:
    """Drift found by `provider sync`: missing, changed and unmanaged resources."""
    obj = cli_context(ctx)
    found = obj.facade.drift(
        provider=provider, tier=tier, include_resolved=history, limit=limit,
        continue_token=token,
    )  # fmt: skip
    page = shown(found, [drift_record(v) for v in found.items])
    lang = obj.lang
    columns = [
        Column(say("drift", lang), lambda r: say(r["drift"], lang)),
        Column(say("kind", lang), _field("kind")),
        Column(say("name", lang), _field("name")),
        Column(say("tenant", lang), _field("tenant")),
        Column(say("system", lang), _field("system")),
        Column(say("detail", lang), _detail),
        Column(say("first_seen", lang), _field("first_seen")),
    ]
    if provider is None:
        columns.insert(0, Column(say("provider", lang), _field("provider")))
    columns.append(Column(say("resource_id", lang), _field("resource_id"), wide=True))
    if history:
        columns.append(Column(say("resolved", lang), _field("resolved_at")))
    emit(page.rows, output, lang=lang, columns=columns)
    print_continue(page, output, lang)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="get")
