"""``govcloud demo``: run the main flow on a generated province in a fresh home."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from controlplane.cli.output import Column, Format, console, emit
from controlplane.demo import run_demo
from controlplane.i18n import detect_lang, tr


def demo(
    home: Path | None = typer.Option(
        None, "--demo-home", help="Where to build the demo (default: a new temporary directory)."
    ),
    scale: str = typer.Option("demo", "--scale", help="tiny | demo | province"),
    seed: int = typer.Option(42, "--seed", help="Generator seed (same seed, same province)."),
    output: Format = typer.Option(Format.table, "-o", "--output"),
) -> None:
    """Generate a province (SQLite + simulator clouds) and run govcloud's flow on it."""
    lang = detect_lang()
    target = home or Path(tempfile.mkdtemp(prefix="govcloud-demo-"))
    out = console()
    if output is Format.table:
        out.print(f"[bold]govcloud demo[/] — {scale} province, seed {seed}, home {target}")
    report = run_demo(target, scale=scale, seed=seed)
    healthy = [h for h in report.health if h.reachable and h.auth_ok]
    summary = {
        "home": str(report.home),
        "scale": report.scale,
        "seed": report.seed,
        "providers": dict(report.providers_by_tier),
        "tenants": report.tenants,
        "systems_requested": report.systems,
        "resources_implied": report.resources,
        "estate_apply": {
            "changes": report.apply.counts(),
            "seconds": round(report.apply_seconds, 3),
        },
        "estate_reapply_changed": report.reapply.changed,
        "healthy_providers": len(healthy),
        "provider_errors": report.health_errors,
    }
    if output is not Format.table:
        emit(summary, output, lang=lang)
        return
    tiers = report.providers_by_tier
    out.print(
        f"1 + M + N = {tiers['provincial']} + {tiers['municipal']} + {tiers['sector']} "
        f"{'朵云' if lang == 'zh' else 'clouds'}, {report.tenants} "
        f"{'个部门' if lang == 'zh' else 'departments'}, {report.systems} "
        f"{'个信息系统申请' if lang == 'zh' else 'system requests'} "
        f"(~{report.resources:,} {'项云资源' if lang == 'zh' else 'cloud resources'})"
    )
    counts = report.apply.counts()
    out.print(
        f"estate apply: {sum(c['create'] for c in counts.values())} created "
        f"in {report.apply_seconds:.2f}s; re-apply: "
        f"{'changed something (bug!)' if report.reapply.changed else tr('estate.unchanged', lang)}"
    )
    rows = [
        {
            "name": h.provider,
            "ok": h.reachable and h.auth_ok,
            "latency": f"{h.latency_ms:.1f}" if h.latency_ms is not None else "-",
        }
        for h in report.health[:8]
    ]
    emit(
        rows,
        Format.table,
        lang=lang,
        columns=(
            Column("name", lambda r: r["name"]),
            Column("health", lambda r: r["ok"]),
            Column("latency ms", lambda r: r["latency"], justify="right"),
        ),
    )
    if len(report.health) > 8:
        out.print(f"… {len(healthy)}/{len(report.health)} providers healthy")
    for name, error in report.health_errors.items():
        out.print(f"[red]{name}[/]: {error}")
    env = f"GOVCLOUD_HOME={report.home}"
    out.print("\nExplore / 继续查看:")
    for cmd in ("estate show", "provider list --tier municipal", "tenant list", "audit verify"):
        out.print(f"  {env} govcloud {cmd}")


def register(root: typer.Typer) -> None:
    root.command("demo")(demo)
