"""``govcloud estate apply | show``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import typer

from controlplane.cli.context import cli_context
from controlplane.cli.output import Column, Format, console, emit
from controlplane.cli.views import PROVIDER_COLUMNS, provider_record, rate_card_record
from controlplane.estate.schema import parse_estate
from controlplane.i18n import tr
from tenants import load_yaml_file

app = typer.Typer(
    help="Declare and inspect the estate (providers, tenants, catalogue, prices).",
    no_args_is_help=True,
)

_CHANGE_COLUMNS = (
    Column("action", lambda r: r["action"]),
    Column("entity", lambda r: r["entity"]),
    Column("name", lambda r: r["key"], max_width=28),
    Column("changed", lambda r: ", ".join(r["fields"]), max_width=36),
)


@app.command("apply")
def apply(
    ctx: typer.Context,
    file: Path = typer.Option(..., "-f", "--file", help="estate.yaml"),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would change; change nothing."
    ),
    output: Format = typer.Option(Format.table, "-o", "--output"),
) -> None:
    """Make the database hold exactly this estate (declarative, idempotent)."""
    obj = cli_context(ctx)
    # one document is all an estate may hold: later ones are counted, not built
    document = parse_estate(load_yaml_file(str(file), keep=1), str(file))
    result = obj.app.estate.apply(document, actor=obj.actor, dry_run=dry_run)
    changes = [
        {"entity": c.entity, "key": c.key, "action": c.action, "fields": list(c.fields)}
        for c in result.changes
    ]
    if output is not Format.table:
        emit(
            {
                "estate": result.name,
                "dry_run": dry_run,
                "revision": result.revision,
                "changed": result.changed,
                "counts": result.counts(),
                "changes": changes,
            },
            output,
            lang=obj.lang,
        )
        return
    out = console()
    if not result.changed:
        out.print(tr("estate.unchanged", obj.lang))
        return
    shown = changes if len(changes) <= 40 else changes[:40]
    emit(shown, output, lang=obj.lang, columns=_CHANGE_COLUMNS)
    if len(changes) > len(shown):
        out.print(f"… +{len(changes) - len(shown)}")
    summary = ", ".join(
        f"{entity}: " + " ".join(f"{tr(a, obj.lang)} {n}" for a, n in counts.items() if n)
        for entity, counts in result.counts().items()
    )
    verdict = tr("estate.dry_run" if dry_run else "estate.applied", obj.lang)
    out.print(f"{verdict} ({summary})")


@app.command("show")
def show(ctx: typer.Context, output: Format = typer.Option(Format.table, "-o", "--output")) -> None:
    """The estate as stored: providers by tier, tenants, catalogue, rate cards."""
    obj = cli_context(ctx)
    service = obj.app.estate
    providers = [provider_record(p) for p in service.providers()]
    tenants = service.tenants()
    revision = service.latest_revision()
    data: dict[str, Any] = {
        "estate": revision.name if revision else None,
        "revision": revision.id if revision else None,
        "applied_at": revision.applied_at if revision else None,
        "applied_by": revision.applied_by if revision else None,
        "providers": providers,
        "tenants": {"count": len(tenants), "by_level": dict(Counter(t.level for t in tenants))},
        "catalog": {
            "flavors": [
                {"name": f.name, "vcpu": f.vcpu, "memory_gib": f.memory_gib}
                for f in service.flavors()
            ],
            "images": [
                {
                    "name": i.name,
                    "os": i.os,
                    "xinchuang": i.xinchuang,
                    "hardened": i.hardened,
                    "arch": i.arches,
                }
                for i in service.images()
            ],
        },
        "rate_cards": [rate_card_record(c, r) for c, r in service.rate_cards()],
    }
    if output is not Format.table:
        emit(data, output, lang=obj.lang)
        return
    out = console()
    tiers = Counter(p["tier"] for p in providers)
    head = " ".join(
        f"{tr(t, obj.lang)} {tiers.get(t, 0)}" for t in ("provincial", "municipal", "sector")
    )
    out.print(
        f"[bold]{data['estate'] or '-'}[/] rev {data['revision'] or '-'}  ·  {head}  ·  "
        f"{len(tenants)} tenants"
    )
    emit(providers, output, lang=obj.lang, columns=PROVIDER_COLUMNS)
    for card in data["rate_cards"]:
        out.print(
            f"\nrate card {card['version']} ({card['effective_from']} → "
            f"{card['effective_to'] or '…'}) {card['approval_ref'] or ''}"
        )
        rows = [
            {
                "meter": r["meter"],
                "unit": r["unit"],
                "proration": r["proration"],
                **{t: r["prices"].get(t) for t in ("provincial", "municipal", "sector")},
            }
            for r in card["rates"]
        ]
        emit(
            rows,
            output,
            lang=obj.lang,
            columns=(
                Column("meter", lambda r: r["meter"]),
                Column("unit", lambda r: r["unit"]),
                Column("proration", lambda r: r["proration"]),
                *(
                    Column(t, (lambda k: lambda r: r[k])(t), justify="right")
                    for t in ("provincial", "municipal", "sector")
                ),
            ),
        )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="estate")
