"""``govcloud demo``: run the main flow on a generated province in a fresh home."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import typer

from controlplane.cli.output import Column, Format, console, emit
from controlplane.demo import DemoReport, run_demo
from controlplane.i18n import Lang, detect_lang, tr

_STEPS: dict[str, tuple[str, str]] = {
    "estate": ("资源目录", "estate"),
    "requests": ("申请→规划→审批→开通", "requests → plan → approve → provision"),
    "sync": ("纳管同步", "inventory sync"),
    "audit": ("等保审计", "等保 audit"),
    "meter_and_bill": ("计量→计费→账单", "meter → rate → bills"),
}


def _summary(report: DemoReport) -> dict[str, Any]:
    return {
        "home": str(report.home),
        "scale": report.scale,
        "seed": report.seed,
        "month": report.month,
        "providers": dict(report.providers_by_tier),
        "tenants": report.tenants,
        "systems_generated": report.systems,
        "resources_implied": report.resources,
        "estate_apply": {
            "changes": report.apply.counts(),
            "seconds": round(report.apply_seconds, 3),
        },
        "estate_reapply_changed": report.reapply.changed,
        "requests": dict(report.requests),
        "provisioned_resources": report.provisioned_resources,
        "synced_resources": report.synced_resources,
        "healthy_providers": report.healthy_providers,
        "sync_errors": report.sync_errors,
        "policy_audit": report.audit,
        "usage_records": report.usage_records,
        "statements": report.statements,
        "bill_total": report.bill_total,
        "top_bills": [{"tenant": c, "name": n, "total": t} for c, n, t in report.top_bills],
        "seconds": report.seconds,
    }


def _print(report: DemoReport, lang: Lang) -> None:
    out = console()
    zh = lang == "zh"
    tiers = report.providers_by_tier
    out.print(
        f"1+M+N = {tiers['provincial']}+{tiers['municipal']}+{tiers['sector']} "
        f"{'朵云' if zh else 'clouds'}, {report.tenants} {'个部门' if zh else 'departments'}, "
        f"{report.systems} {'个信息系统' if zh else 'systems'} "
        f"(~{report.resources:,} {'项资源' if zh else 'resources'})"
    )
    reapply = tr("estate.unchanged", lang) if not report.reapply.changed else "CHANGED (bug)"
    created = sum(c["create"] for c in report.apply.counts().values())
    out.print(f"estate: {created} created in {report.apply_seconds:.2f}s; re-apply: {reapply}")
    states = ", ".join(f"{state} {n}" for state, n in sorted(report.requests.items()))
    out.print(
        f"{'申请' if zh else 'requests'}: {states}; "
        f"{report.provisioned_resources} {'项资源已开通' if zh else 'resources provisioned'}"
    )
    out.print(
        f"{'同步' if zh else 'sync'}: {report.synced_resources} "
        f"{'项资源' if zh else 'resources'}, {report.healthy_providers}/{sum(tiers.values())} "
        f"{'云健康' if zh else 'clouds healthy'}"
    )
    for name, error in report.sync_errors.items():
        out.print(f"  {name}: {error}")
    checked = report.audit
    out.print(
        f"{'等保审计' if zh else '等保 audit'}: {checked['resources']} "
        f"{'个对象' if zh else 'subjects'}, {checked['passed']} {'通过' if zh else 'passed'}, "
        f"{checked['failed']} {'不通过' if zh else 'failed'}, {checked['not_evaluable']} "
        f"{'无法评估' if zh else 'not evaluable'}; {checked['violations_opened']} "
        f"{'项违规待处理' if zh else 'violations opened'}"
    )
    out.print(
        f"{report.month} {'账单' if zh else 'bills'}: {report.usage_records} "
        f"{'条用量' if zh else 'usage records'}, {report.statements} "
        f"{'份对账单' if zh else 'statements'}, {'合计' if zh else 'total'} "
        f"¥{report.bill_total:,}"
    )
    rows = [{"code": c, "name": n, "total": t} for c, n, t in report.top_bills]
    emit(
        rows,
        Format.table,
        lang=lang,
        columns=(
            Column("code", lambda r: r["code"], max_width=22),
            Column("name", lambda r: r["name"], max_width=28),
            Column("amount", lambda r: r["total"], justify="right"),
        ),
    )
    timing = ", ".join(f"{_STEPS[k][0 if zh else 1]} {v:.2f}s" for k, v in report.seconds.items())
    out.print(f"[dim]{timing}[/]")
    env = f"GOVCLOUD_HOME={report.home}"
    out.print("\n" + ("继续查看:" if zh else "Explore:"))
    for cmd in (
        "estate show",
        "request list",
        "get resources --provider "
        + (report.top_bills[0][0].split("-")[0] + "-cloud" if report.top_bills else ""),
        f"bill show --month {report.month}",
        "policy violations",
        "audit verify",
    ):
        out.print(f"  {env} govcloud {cmd.strip()}")


def demo(
    home: Path | None = typer.Option(
        None, "--demo-home", help="Where to build the demo (default: a new temporary directory)."
    ),
    scale: str = typer.Option("demo", "--scale", help="tiny | demo | province"),
    seed: int = typer.Option(42, "--seed", help="Generator seed (same seed, same province)."),
    tenants: int = typer.Option(40, "--tenants", help="Departments whose requests are applied."),
    output: Format = typer.Option(Format.table, "-o", "--output"),
) -> None:
    """Generate a province (SQLite + simulator clouds) and run govcloud's flow on it."""
    lang = detect_lang()
    target = home or Path(tempfile.mkdtemp(prefix="govcloud-demo-"))
    if output is Format.table:
        console().print(f"[bold]govcloud demo[/] — {scale}, seed {seed}, home {target}")
    report = run_demo(target, scale=scale, seed=seed, tenants_sampled=tenants)
    if output is Format.table:
        _print(report, lang)
    else:
        emit(_summary(report), output, lang=lang)


def register(root: typer.Typer) -> None:
    root.command("demo")(demo)
