"""``govcloud demo``: run the main flow on a generated province in a fresh home.

The figures it prints are the ones the flow produced (nothing estimated), and the next
steps are whole commands, one per line and never wrapped, that run as pasted into any
shell: the absolute path of this installation's ``govcloud`` with ``--home`` set.
"""

from __future__ import annotations

import shlex
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from controlplane.cli.context import LocalOnly, cli_context
from controlplane.cli.output import Column, Format, console, emit
from controlplane.i18n import Lang

if TYPE_CHECKING:
    from controlplane.demo import DemoReport

_STEPS: dict[str, tuple[str, str]] = {
    "estate": ("生成+初始化+资源目录两次", "generate + init + estate apply twice"),
    "requests": ("申请→规划→审批→开通", "requests → plan → approve → provision"),
    "sync": ("纳管同步", "inventory sync"),
    "audit": ("等保审计", "等保 audit"),
    "meter_and_bill": ("计量→计费→账单", "meter → rate → bills"),
}

_WORDS: dict[str, tuple[str, str]] = {
    "province": (
        "省域：1+M+N = {tiers} 朵云，{tenants} 个部门，生成 {systems} 份申请",
        "province: 1+M+N = {tiers} clouds, {tenants} departments, {systems} requests generated",
    ),
    "estate": (
        "资源目录：新建 {created} 项（apply 用时 {seconds:.2f}s）；再次 apply：{reapply}",
        "estate: {created} objects created (apply {seconds:.2f}s); re-apply: {reapply}",
    ),
    "unchanged": ("无变化", "nothing changed"),
    "changed": ("有变化（缺陷）", "CHANGED (a bug)"),
    "requests": (
        "申请：{departments} 个部门的 {applied} 份 → {states}",
        "requests: {applied} applied ({departments} departments) → {states}",
    ),
    "approvals": (
        "审批：{manual} 个由 {approver}（大数据局）审批，{auto} 个自动通过（等保三级以下）",
        "approvals: {manual} by {approver} (big-data bureau), {auto} automatic (below 等保 3)",
    ),
    "provisioned": ("开通：{resources} 项云资源", "provisioned: {resources} cloud resources"),
    "sync": (
        "同步：观测到 {resources} 项资源，{healthy}/{clouds} 朵云健康",
        "sync: {resources} resources observed, {healthy}/{clouds} clouds healthy",
    ),
    "audit": (
        "等保审计：{resources} 个对象，{passed} 通过，{failed} 不通过，{not_evaluable} 无法评估；"
        "{violations_opened} 项违规待处理",
        "等保 audit: {resources} subjects, {passed} passed, {failed} failed, {not_evaluable} "
        "not evaluable; {violations_opened} violations opened",
    ),
    "see_violations": ("# 等保审计发现的违规", "# what the 等保 audit found (open violations)"),
    "bills": (
        "{month} 账单：{records} 条用量，{statements} 份对账单，合计 ¥{total:,}",
        "{month} bills: {records} usage records, {statements} statements, total ¥{total:,}",
    ),
    "next": (
        "下一步（每行一条完整命令，可直接粘贴到终端执行）：",
        "Next steps (each line is one whole command; paste it into a shell):",
    ),
    "see_estate": ("# 资源目录：云平台、部门、价格", "# the estate: clouds, departments, prices"),
    "see_requests": ("# 全部申请及其状态", "# every request and its state"),
    "approve": (
        "# 申请 #{id} 待大数据局审批：运营方不能审批（管运分离），由审批人 {approver} 审批",
        "# request #{id} waits for the big-data bureau: operators never approve (管运分离); "
        "{approver} holds the approver role",
    ),
    "provision": (
        "# 审批通过后，由运营方（默认 --as local-operator）开通",
        "# once approved, the operator (default --as local-operator) provisions it",
    ),
    "see_resources": ("# {provider} 上纳管的资源", "# resources govcloud sees on {provider}"),
    "see_bills": ("# 各部门 {month} 对账单", "# the departments' statements for {month}"),
    "verify": ("# 校验哈希链审计日志", "# check the hash-chained audit log"),
}


def _w(key: str, lang: Lang, **values: Any) -> str:
    zh, en = _WORDS[key]
    return (zh if lang == "zh" else en).format(**values)


def _summary(report: DemoReport) -> dict[str, Any]:
    from controlplane.demo import APPROVER

    return {
        "home": str(report.home),
        "scale": report.scale,
        "seed": report.seed,
        "month": report.month,
        "providers": dict(report.providers_by_tier),
        "tenants": report.tenants,
        "systems_generated": report.systems,
        "departments_applied": report.departments_applied,
        "estate_apply": {
            "changes": report.apply.counts(),
            "seconds": round(report.apply_seconds, 3),
        },
        "estate_reapply_changed": report.reapply.changed,
        "requests": dict(report.requests),
        "approved_by_bureau": report.approved_by_bureau,
        "approved_automatically": report.approved_automatically,
        "approver": APPROVER,
        "waiting_request": report.waiting_request,
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
        "next_steps": [command for _, command in next_steps(report, "en")],
    }


def launcher() -> list[str]:
    """This installation's ``govcloud``, absolute, so a pasted command needs no PATH."""
    script = Path(sys.executable).parent / "govcloud"
    if script.is_file():
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "controlplane.cli.main"]


def next_steps(report: DemoReport, lang: Lang) -> list[tuple[str, str]]:
    """(comment, command) pairs: what to look at next, each a complete shell command."""
    from controlplane.demo import APPROVER

    def command(*args: str, actor: str | None = None) -> str:
        words = [*launcher(), "--home", str(report.home)]
        words += ["--as", actor] if actor else []
        return shlex.join([*words, *args])

    steps = [
        (_w("see_estate", lang), command("estate", "show")),
        (_w("see_requests", lang), command("request", "list")),
    ]
    if report.waiting_request is not None:
        waiting = str(report.waiting_request)
        steps += [
            (
                _w("approve", lang, id=waiting, approver=APPROVER),
                command("request", "approve", waiting, actor=APPROVER),
            ),
            (_w("provision", lang), command("request", "provision", waiting)),
        ]
    if report.busiest_provider:
        steps.append(
            (
                _w("see_resources", lang, provider=report.busiest_provider),
                command("get", "resources", "--provider", report.busiest_provider),
            )
        )
    steps += [
        (
            _w("see_bills", lang, month=report.month),
            command("bill", "show", "--month", report.month),
        ),
        (_w("see_violations", lang), command("policy", "violations")),
        (_w("verify", lang), command("audit", "verify")),
    ]
    return steps


def _print(report: DemoReport, lang: Lang) -> None:
    from controlplane.demo import APPROVER

    out = console()
    tiers = report.providers_by_tier
    clouds = sum(tiers.values())
    created = sum(c["create"] for c in report.apply.counts().values())
    reapply = _w("changed" if report.reapply.changed else "unchanged", lang)
    states = ", ".join(f"{state} {n}" for state, n in sorted(report.requests.items()))
    lines = [
        _w("province", lang, tiers="+".join(str(tiers[t]) for t in ("provincial", "municipal", "sector")),
           tenants=report.tenants, systems=report.systems),
        _w("estate", lang, created=created, seconds=report.apply_seconds, reapply=reapply),
        _w("requests", lang, applied=sum(report.requests.values()),
           departments=report.departments_applied, states=states),
        _w("approvals", lang, manual=report.approved_by_bureau, approver=APPROVER,
           auto=report.approved_automatically),
        _w("provisioned", lang, resources=report.provisioned_resources),
        _w("sync", lang, resources=report.synced_resources, healthy=report.healthy_providers,
           clouds=clouds),
    ]  # fmt: skip
    lines += [f"  {name}: {error}" for name, error in report.sync_errors.items()]
    lines.append(_w("audit", lang, **report.audit))
    lines.append(
        _w("bills", lang, month=report.month, records=report.usage_records,
           statements=report.statements, total=report.bill_total)
    )  # fmt: skip
    for line in lines:
        out.print(line, markup=False, highlight=False)
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
    for key, seconds in report.seconds.items():
        out.print(f"[dim]{_STEPS[key][0 if lang == 'zh' else 1]}: {seconds:.2f}s[/]")
    # plain echo, not rich: a command must stay one line whatever the terminal's width
    typer.echo("\n" + _w("next", lang))
    for comment, command in next_steps(report, lang):
        typer.echo(comment)
        typer.echo(command)


def demo(
    ctx: typer.Context,
    home: Path | None = typer.Option(
        None, "--demo-home", help="Where to build the demo (default: a new temporary directory)."
    ),
    scale: str = typer.Option("demo", "--scale", help="tiny | demo | province"),
    seed: int = typer.Option(42, "--seed", help="Generator seed (same seed, same province)."),
    tenants: int = typer.Option(40, "--tenants", help="Departments whose requests are applied."),
    output: Format = typer.Option(Format.table, "-o", "--output"),
) -> None:
    """Generate a province (SQLite + simulator clouds) and run govcloud's flow on it."""
    from controlplane.cli.tui_cmd import open_console
    from controlplane.demo import ACTOR, run_demo

    obj = cli_context(ctx)
    if obj.remote_context is not None:
        raise LocalOnly(obj.command, obj.remote_context.name)
    lang = obj.lang
    target = (home or Path(tempfile.mkdtemp(prefix="govcloud-demo-"))).absolute()
    if output is Format.table:
        # soft wrap: the home path is copied from here, so rich must not break it
        console().print(
            f"[bold]govcloud demo[/] — {scale}, seed {seed}, home {target}", soft_wrap=True
        )
    report = run_demo(target, scale=scale, seed=seed, tenants_sampled=tenants)
    if output is Format.table:
        _print(report, lang)
    else:
        emit(_summary(report), output, lang=lang)
    if output is Format.table and sys.stdin.isatty() and sys.stdout.isatty():
        open_console(target, ACTOR, lang)  # in a terminal: look around the province


def register(root: typer.Typer) -> None:
    root.command("demo")(demo)
