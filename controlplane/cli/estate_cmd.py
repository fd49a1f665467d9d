"""``govcloud estate apply | show``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import typer

from controlplane.cli.context import cli_context
from controlplane.cli.output import Column, Format, emit, emit_pairs
from controlplane.cli.params import OUTPUT
from controlplane.cli.views import PROVIDER_COLUMNS, provider_record, rate_card_record
from controlplane.i18n import Lang, tr

app = typer.Typer(
    help="Declare and inspect the estate (providers, tenants, catalogue, prices).",
    no_args_is_help=True,
)


def _change_columns(lang: Lang) -> tuple[Column, ...]:
    # the action and entity are govcloud's words (said in the user's language); the key
    # and field names are data
    return (
        Column("action", lambda r: tr(r["action"], lang)),
        Column("entity", lambda r: tr(r["entity"], lang)),
        Column("name", lambda r: r["key"]),
        Column("changed", lambda r: ", ".join(r["fields"])),
    )


_TIERS = ("provincial", "municipal", "sector")

_RATE_COLUMNS = (
    Column("meter", lambda r: r["meter"]),
    Column("unit", lambda r: r["unit"]),
    Column("proration", lambda r: r["proration"]),
    *(Column(t, (lambda k: lambda r: r["prices"].get(k))(t), justify="right") for t in _TIERS),
)


@app.command("apply")
def apply(
    ctx: typer.Context,
    file: Path = typer.Option(..., "-f", "--file", help="estate.yaml"),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would change; change nothing."
    ),
    output: Format = OUTPUT,
) -> None:
    """Make the database hold exactly this estate (declarative, idempotent)."""
    from controlplane.estate.schema import parse_estate
    from tenants import load_yaml_file
    from tenants.located import read_text

    obj = cli_context(ctx)
    # one document is all an estate may hold: later ones are counted, not built
    document = parse_estate(load_yaml_file(str(file), keep=1), str(file))
    if obj.remote:
        with open(file, "rb") as handle:
            sent = obj.manifest(document, read_text(handle, str(file)), str(file))
    else:
        sent = document
    result = obj.facade.apply_estate(sent, dry_run=dry_run)
    changes = [
        {"entity": c.entity, "key": c.key, "action": c.action, "fields": list(c.fields)}
        for c in result.changes
    ]
    pushed = (
        # declared quotas reach the clouds where departments already run systems
        obj.facade.push_quotas()
        if not dry_run and any(c["entity"] == "quota" for c in changes)
        else []
    )
    if not output.for_people:
        emit(
            {
                "estate": result.name,
                "dry_run": dry_run,
                "revision": result.revision,
                "changed": result.changed,
                "counts": result.counts(),
                "changes": changes,
                "quota_push": [
                    {"tenant": q.tenant, "provider": q.provider, "error": q.error} for q in pushed
                ],
            },
            output,
            lang=obj.lang,
        )
        return
    if not result.changed:
        typer.echo(tr("estate.unchanged", obj.lang))
        return
    shown = changes if output is Format.wide or len(changes) <= 40 else changes[:40]
    emit(shown, output, lang=obj.lang, columns=_change_columns(obj.lang))
    if len(changes) > len(shown):
        typer.echo(f"… +{len(changes) - len(shown)} (-o wide)")
    summary = ", ".join(
        f"{tr(entity, obj.lang)}: "
        + " ".join(f"{tr(a, obj.lang)} {n}" for a, n in counts.items() if n)
        for entity, counts in result.counts().items()
    )
    verdict = tr("estate.dry_run" if dry_run else "estate.applied", obj.lang)
    typer.echo(f"{verdict} ({summary})")
    for push in pushed:
        state = push.describe(obj.lang) if push.error else tr("quota.pushed", obj.lang)
        typer.echo(f"{tr('quota', obj.lang)} {push.tenant}@{push.provider}: {state}")


@app.command("show")
def show(ctx: typer.Context, output: Format = OUTPUT) -> None:
    """The estate as stored: providers by tier, tenants, catalogue, rate cards."""
    obj = cli_context(ctx)
    estate = obj.facade.estate()
    providers = [provider_record(p) for p in estate.providers]
    tenants = estate.tenants
    revision = estate.revision
    data: dict[str, Any] = {
        "estate": revision.name if revision else None,
        "revision": revision.id if revision else None,
        "applied_at": revision.applied_at if revision else None,
        "applied_by": revision.applied_by if revision else None,
        "providers": providers,
        "tenants": {"count": len(tenants), "by_level": dict(Counter(t.level for t in tenants))},
        "catalog": {
            "flavors": [
                {"name": f.name, "vcpu": f.vcpu, "memory_gib": f.memory_gib} for f in estate.flavors
            ],
            "images": [
                {
                    "name": i.name,
                    "os": i.os,
                    "xinchuang": i.xinchuang,
                    "hardened": i.hardened,
                    "arch": i.arches,
                }
                for i in estate.images
            ],
        },
        "rate_cards": [rate_card_record(c, c.rates) for c in estate.rate_cards],
    }
    if not output.for_people:
        emit(data, output, lang=obj.lang)
        return
    tiers = Counter(p["tier"] for p in providers)
    emit_pairs(
        {
            "estate": data["estate"],
            "revision": data["revision"],
            "applied_at": data["applied_at"],
            "applied_by": data["applied_by"],
            "providers": ", ".join(f"{t} {tiers.get(t, 0)}" for t in _TIERS),
            "tenants": len(tenants),
            "flavors": len(data["catalog"]["flavors"]),
            "images": len(data["catalog"]["images"]),
        },
        obj.lang,
    )
    typer.echo()
    emit(providers, output, lang=obj.lang, columns=PROVIDER_COLUMNS)
    for card in data["rate_cards"]:
        typer.echo()
        emit_pairs(
            {
                "rate_card": card["version"],
                "effective_from": card["effective_from"],
                "effective_to": card["effective_to"],
                "currency": card["currency"],
                "approval_ref": card["approval_ref"],
            },
            obj.lang,
        )
        emit(card["rates"], output, lang=obj.lang, columns=_RATE_COLUMNS)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="estate")
