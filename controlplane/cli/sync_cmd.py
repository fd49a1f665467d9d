"""``govcloud provider sync NAME | --all``: refresh inventory, health and drift.

Adds ``sync`` to the ``provider`` group that ``provider_cmd`` owns. Provider failures
(credentials refused, endpoint down...) are printed as govcloud errors in the user's
language and exit 1; with ``--all`` the other providers are still synced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from controlplane.cli.context import cli_context
from controlplane.cli.output import Format, emit
from controlplane.cli.params import OUTPUT
from controlplane.cli.provider_cmd import app as provider_app
from controlplane.errors import GovcloudError
from controlplane.facade import MAX_LIMIT
from controlplane.i18n import Lang, tr
from controlplane.inventory.words import say
from providers import ProviderError

if TYPE_CHECKING:
    from controlplane.facade import Govcloud
    from controlplane.inventory import SyncReport
    from controlplane.remote import RemoteGovcloud

__all__ = ["register", "report_record", "summary_line"]


def report_record(report: SyncReport) -> dict[str, Any]:
    """A sync report as stable snake_case data (``-o json|yaml``)."""
    health = report.health
    return {
        "provider": report.provider,
        "run": report.run_id,
        "health": {
            "healthy": health.healthy,
            "reachable": health.reachable,
            "auth_ok": health.auth_ok,
            "latency_ms": health.latency_ms,
            "checked_at": health.checked_at,
            "detail": health.detail,
        },
        "observed": report.observed,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "gone": report.gone,
        "drift_found": dict(report.drift_opened),
        "drift_resolved": dict(report.drift_resolved),
        "drift_open": dict(report.drift_open),
        "seconds": round(report.seconds, 3),
    }


def _drift_counts(counts: dict[str, int], lang: Lang) -> str:
    if not counts:
        return say("none", lang)
    return ", ".join(f"{say(kind, lang)} {n}" for kind, n in sorted(counts.items()))


def summary_line(report: SyncReport, lang: Lang) -> str:
    """Two human lines: health, then counts and drift."""
    health = report.health
    state = say("healthy" if health.healthy else "unhealthy", lang)
    latency = f"{health.latency_ms:.1f} ms" if health.latency_ms is not None else "-"
    counts = ", ".join(
        f"{say(key, lang)} {getattr(report, key):,}"
        for key in ("observed", "created", "updated", "unchanged", "gone")
    )
    drift = "; ".join(
        f"{say(title, lang)}: {_drift_counts(dict(counts_), lang)}"
        for title, counts_ in (
            ("drift_found", report.drift_opened),
            ("drift_resolved", report.drift_resolved),
            ("drift_open", report.drift_open),
        )
    )
    return (
        f"{report.provider}: {state} ({say('latency', lang)} {latency}; {health.detail})\n"
        f"  {counts}\n  {drift}"
    )


def _every_provider(door: Govcloud | RemoteGovcloud) -> list[str]:
    """Every provider's name, page by page."""
    names: list[str] = []
    token: str | None = None
    while True:
        page = door.providers(limit=MAX_LIMIT, continue_token=token)
        names.extend(p.name for p in page.items)
        token = page.continue_token
        if token is None:
            return names


def sync(
    ctx: typer.Context,
    name: str | None = typer.Argument(None, help="Provider to sync."),
    all_: bool = typer.Option(False, "--all", help="Sync every provider of the estate."),
    output: Format = OUTPUT,
) -> None:
    """Refresh a provider's inventory, health and drift from the cloud itself."""
    from controlplane.inventory import UnknownProvider

    obj = cli_context(ctx)
    if (name is None) == (not all_):
        typer.echo(f"{tr('error', obj.lang)}: {say('name_or_all', obj.lang)}", err=True)
        raise typer.Exit(2)
    names = _every_provider(obj.facade) if all_ else [name or ""]
    records: list[dict[str, Any]] = []
    failed = False
    for provider in names:
        try:
            report = obj.facade.sync_provider(provider)
        except GovcloudError as refused:
            exc = refused.source
            if isinstance(exc, UnknownProvider):
                typer.echo(
                    f"{tr('error', obj.lang)}: {provider}: {say('unknown_provider', obj.lang)}",
                    err=True,
                )
            elif isinstance(exc, ProviderError):
                typer.echo(f"{tr('error', obj.lang)}: {exc.describe(obj.lang)}", err=True)
                records.append({"provider": provider, "error": exc.code, "detail": exc.detail})
            else:
                raise
            failed = True
            continue
        records.append(report_record(report))
        if output.for_people:
            typer.echo(summary_line(report, obj.lang))
    if not output.for_people:
        emit(records if all_ else (records[0] if records else {}), output, lang=obj.lang)
    if failed:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    # The command joins the provider group, which provider_cmd mounts on ``root``;
    # typer builds groups lazily, so the order modules register in does not matter.
    del root
    provider_app.command("sync")(sync)
