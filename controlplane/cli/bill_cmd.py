"""``govcloud bill run | show | confirm | finalize | adjust | export``.

Thin shell over ``controlplane.bills``: parses options, calls the service, renders.
Exit codes: 0 done, 1 refused (finalize with an open gap names it; a finalized month is
never rewritten), 2 invalid input.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from controlplane.cli.context import CliContext, cli_context
from controlplane.cli.output import Column, Format, emit
from controlplane.cli.params import (
    CONTINUE,
    LIMIT,
    OUTPUT,
    OUTPUT_FILE,
    OUTPUT_FILE_HELP,
    parse_month,
    print_continue,
    shown,
)
from controlplane.cli.status import state_text
from controlplane.facade import MAX_LIMIT
from controlplane.i18n import Lang, tr
from controlplane.timeutil import SHANGHAI

if TYPE_CHECKING:
    from controlplane.billing import Month, Statement
    from controlplane.bills import GroupBy, GroupTotals, StatementView

app = typer.Typer(help="Monthly bills: rate, review, finalize, export.", no_args_is_help=True)

_WORDS: dict[str, tuple[str, str]] = {
    "tenant": ("部门", "department"),
    "name": ("名称", "name"),
    "state": ("状态", "state"),
    "lines_total": ("用量费用", "usage"),
    "adjustments_total": ("调整", "adjustments"),
    "total": ("应付", "total"),
    "budget": ("年度预算", "budget"),
    "projected": ("全年预测", "projected"),
    "overrun": ("超支预警", "overrun"),
    "OVERRUN": ("预计超支", "OVERRUN"),
    "ok": ("正常", "ok"),
    "ran": ("{month}：{n} 份结算单，{changed} 份有变化，合计 {total} 元；未计价用量 {unrated} 段，"
            "无归属记录 {unattributed} 条",
            "{month}: {n} statements, {changed} changed, total {total} CNY; {unrated} unrated "
            "pieces, {unattributed} unattributed records"),
    "frozen": ("{month} 已定稿，结算单不会改变；差异将作为调整计入下一个未定稿月份：",
               "{month} is finalized and will not change; differences go to the next open "
               "month as adjustments:"),
    "finalized_ok": ("{month} 已定稿：{n} 份结算单", "{month} finalized: {n} statements"),
    "confirmed_ok": ("已确认：{tenants}", "confirmed: {tenants}"),
    "adjusted": ("调整已记入 {month}（{tenant} {amount} 元）",
                 "adjustment recorded on {month} ({tenant} {amount} CNY)"),
    "group_tier": ("层级", "tier"),
    "group_platform": ("所属平台", "platform"),
    "group_total": ("用量费用", "usage"),
    "adjustments": ("调整（不属任何云平台）", "adjustments (of no provider)"),
    "grand_total": ("合计", "total"),
    "exported": ("已导出 {n} 份结算单到 {file}", "exported {n} statements to {file}"),
    "in_progress": ("{month} 尚未结束：本次生成的是草稿结算单，用量数据截至 {cutoff}（北京时间）",
                    "{month} is still in progress: this makes draft statements, with usage "
                    "data up to {cutoff} (Asia/Shanghai)"),
}  # fmt: skip


class GroupOption(StrEnum):
    tier = "tier"
    platform = "platform"


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"
    json = "json"


def _w(key: str, lang: Lang, **values: Any) -> str:
    zh, en = _WORDS[key]
    return (zh if lang == "zh" else en).format(**values)


@app.command("run")
def run(
    ctx: typer.Context,
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    output: Format = OUTPUT,
) -> None:
    """Rate the month and write its statements (deterministic, one transaction)."""
    obj = cli_context(ctx)
    chosen = parse_month(month)
    result = obj.facade.run_bills(chosen)
    now = obj.now()
    # a month still in progress can only give drafts: say so, and up to when data goes
    cutoff = _cutoff(obj, chosen, now) if chosen.end > now else None
    if not output.for_people:
        emit(result.__dict__ | {"in_progress": cutoff is not None, "data_until": cutoff},
             output, lang=obj.lang)  # fmt: skip
        return
    if result.finalized:
        typer.echo(_w("frozen", obj.lang, month=month))
        for tenant, (billed, fresh) in sorted(result.drift.items()):
            typer.echo(f"  {tenant}: {billed} → {fresh}")
        return
    if cutoff is not None:
        typer.echo(_w("in_progress", obj.lang, month=month,
                      cutoff=cutoff.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")))  # fmt: skip
    typer.echo(_w("ran", obj.lang, month=month, n=result.statements, changed=len(result.changed),
                  total=result.total, unrated=result.unrated,
                  unattributed=result.unattributed))  # fmt: skip


def _cutoff(obj: CliContext, month: Month, now: datetime) -> datetime:
    """Until when usage of ``month`` is in: the earliest provider whose data stops short
    of now (a gap running up to now), else now."""
    coverage = obj.facade.coverage(month)
    # gaps are kept to the second
    trailing = [g.start for g in coverage.gaps if g.end >= coverage.until - timedelta(seconds=1)]
    return min(trailing, default=coverage.until)


def _view_record(view: StatementView) -> dict[str, Any]:
    s, b = view.statement, view.budget
    return {
        "month": s.month, "tenant": s.tenant, "tenant_name": s.tenant_name, "state": view.state,
        "lines_total": s.lines_total, "adjustments_total": s.adjustments_total, "total": s.total,
        "content_hash": s.content_hash, "annual_budget": b.annual_budget,
        "spent_before_month": b.spent_before_month, "month_to_date": b.month_to_date,
        "projected_month": b.projected_month, "projected_year": b.projected_year,
        "projected_overrun": b.projected_overrun, "finalized_at": view.finalized_at,
        "finalized_by": view.finalized_by,
    }  # fmt: skip


@app.command("show")
def show(
    ctx: typer.Context,
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    tenant: str | None = typer.Option(None, "--tenant", help="One department's statement."),
    by: GroupOption | None = typer.Option(
        None, "--by", help="One total per tier or per platform, over every statement shown."
    ),
    limit: int = LIMIT,
    token: str | None = CONTINUE,
    output: Format = OUTPUT,
) -> None:
    """Statements with budget month-to-date, linear projection and an overrun flag."""
    obj = cli_context(ctx)
    lang = obj.lang
    if by is not None:
        _show_totals(obj, parse_month(month), tenant, by, output)
        return
    if tenant is not None:
        views = list(obj.facade.bills(parse_month(month), tenant=tenant, limit=MAX_LIMIT))
        _show_one([_view_record(v) for v in views], views, output, lang)
        return
    found = obj.facade.bills(parse_month(month), limit=limit, continue_token=token)
    page = shown(found, [_view_record(v) for v in found.items])
    emit(page.rows, output, lang=lang, columns=[
        Column(_w("tenant", lang), lambda r: r["tenant"]),
        Column(_w("state", lang), lambda r: state_text(r["state"], lang)),
        Column(_w("total", lang), lambda r: r["total"], "right"),
        Column(_w("budget", lang), lambda r: r["annual_budget"], "right"),
        Column(_w("projected", lang), lambda r: r["projected_year"], "right"),
        Column(_w("overrun", lang), lambda r: _w("OVERRUN" if r["projected_overrun"] else "ok", lang)),
        Column(_w("name", lang), lambda r: r["tenant_name"], wide=True),
    ])  # fmt: skip
    print_continue(page, output, lang)


def _all_statements(obj: CliContext, month: Month, tenant: str | None) -> list[Statement]:
    """Every statement the principal may read for ``month`` (all pages)."""
    statements: list[Statement] = []
    token: str | None = None
    while True:
        found = obj.facade.bills(month, tenant=tenant, limit=MAX_LIMIT, continue_token=token)
        statements.extend(v.statement for v in found.items)
        token = found.continue_token
        if token is None:
            return statements


def _platforms(obj: CliContext) -> dict[str, str]:
    """Provider name → the platform it is a pool of."""
    platforms: dict[str, str] = {}
    token: str | None = None
    while True:
        found = obj.facade.providers(limit=MAX_LIMIT, continue_token=token)
        platforms.update((p.name, p.platform) for p in found.items)
        token = found.continue_token
        if token is None:
            return platforms


def _show_totals(
    obj: CliContext, month: Month, tenant: str | None, by: GroupOption, output: Format
) -> None:
    """One Decimal total per tier or platform; adjustments apart; then the grand total."""
    from controlplane.bills.totals import group_totals

    lang = obj.lang
    platforms = _platforms(obj) if by is GroupOption.platform else {}
    grouping: GroupBy = "tier" if by is GroupOption.tier else "platform"
    totals: GroupTotals = group_totals(_all_statements(obj, month, tenant), grouping, platforms)
    if not output.for_people:
        emit({"month": str(month), "by": by.value,
              "groups": [{by.value: k, "total": v} for k, v in totals.groups.items()],
              "adjustments_total": totals.adjustments, "total": totals.total},
             output, lang=lang)  # fmt: skip
        return
    rows = [{"group": k, "total": v} for k, v in totals.groups.items()]
    rows.append({"group": _w("adjustments", lang), "total": totals.adjustments})
    rows.append({"group": _w("grand_total", lang), "total": totals.total})
    emit(rows, output, lang=lang, columns=[
        Column(_w(f"group_{by.value}", lang), lambda r: r["group"]),
        Column(_w("group_total", lang), lambda r: r["total"], "right"),
    ])  # fmt: skip


def _show_one(
    records: list[dict[str, Any]], views: list[StatementView], output: Format, lang: Lang
) -> None:
    """One department's statement: its figures, then its lines and adjustments."""
    full = [
        r | {"lines": [line.__dict__ for line in v.statement.lines],
             "adjustments": [a.__dict__ for a in v.statement.adjustments]}
        for r, v in zip(records, views, strict=True)
    ]  # fmt: skip
    if not output.for_people:
        emit(full, output, lang=lang)
        return
    for record in full:
        people = {k: v for k, v in record.items() if k not in ("lines", "adjustments")}
        people["state"] = state_text(people["state"], lang)
        emit(people, output, lang=lang)
        typer.echo()
        emit(record["lines"], output, lang=lang, columns=[
            Column("system", lambda r: r["system"]),
            Column("provider", lambda r: r["provider"]),
            Column("meter", lambda r: r["meter"]),
            Column("version", lambda r: r["rate_version"], wide=True),
            Column("amount", lambda r: r["amount"], "right"),
        ])  # fmt: skip
        for adj in record["adjustments"]:
            typer.echo(f"{tr('adjustment', lang)} {adj['kind'].value} {adj['amount']}: "
                       f"{adj['reason']} ({adj['approver']})")  # fmt: skip


@app.command("confirm")
def confirm(
    ctx: typer.Context,
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    tenant: str | None = typer.Option(None, "--tenant"),
    output: Format = OUTPUT,
) -> None:
    """Mark draft statements as confirmed (checked by the department or finance)."""
    obj = cli_context(ctx)
    done = obj.facade.confirm_bills(parse_month(month), tenant=tenant)
    if not output.for_people:
        emit({"month": month, "confirmed": list(done)}, output, lang=obj.lang)
        return
    typer.echo(_w("confirmed_ok", obj.lang, tenants=", ".join(done) or "-"))


@app.command("finalize")
def finalize(
    ctx: typer.Context,
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    output: Format = OUTPUT,
) -> None:
    """Freeze the month's statements; refused while any coverage gap is unacknowledged."""
    obj = cli_context(ctx)
    done = obj.facade.finalize_bills(parse_month(month))
    if not output.for_people:
        emit({"month": month, "finalized": list(done)}, output, lang=obj.lang)
        return
    typer.echo(_w("finalized_ok", obj.lang, month=month, n=len(done)))


@app.command("adjust")
def adjust(
    ctx: typer.Context,
    tenant: str = typer.Option(..., "--tenant"),
    amount: str = typer.Option(..., "--amount", help="Signed CNY; negative is a credit."),
    reason: str = typer.Option(..., "--reason"),
    approver: str = typer.Option(..., "--approver"),
    relates_to: str = typer.Option(..., "--relates-to", help="YYYY-MM the correction is about."),
    evidence: str = typer.Option("", "--evidence"),
    output: Format = OUTPUT,
) -> None:
    """Record an approved correction; it lands on the next month that is not finalized."""
    obj = cli_context(ctx)
    try:
        value = Decimal(amount)
    except InvalidOperation as exc:
        raise typer.BadParameter(f"{amount!r} is not an amount", param_hint="--amount") from exc
    row = obj.facade.adjust_bill(
        tenant, value, reason=reason, approver=approver, relates_to=parse_month(relates_to),
        evidence=evidence,
    )  # fmt: skip
    if not output.for_people:
        emit({"month": row.month, "tenant": tenant, "amount": row.amount, "reason": reason,
              "approver": approver, "relates_to": relates_to}, output, lang=obj.lang)  # fmt: skip
        return
    typer.echo(_w("adjusted", obj.lang, month=row.month, tenant=tenant, amount=row.amount))


@app.command("export")
def export(
    ctx: typer.Context,
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    fmt: ExportFormat = typer.Option(..., "--format"),
    out: Path = typer.Option(..., OUTPUT_FILE, help=OUTPUT_FILE_HELP),
    tenant: str | None = typer.Option(None, "--tenant"),
    lang: str | None = typer.Option(None, "--lang", help="zh (default) or en."),
    output: Format = OUTPUT,
) -> None:
    """Write statements for finance as CSV, XLSX, PDF or JSON (Chinese by default)."""
    obj = cli_context(ctx)
    chosen = lang or "zh"
    if chosen not in ("zh", "en"):
        raise typer.BadParameter("zh or en", param_hint="--lang")
    statements = obj.facade.export_bills(
        parse_month(month), fmt.value, out, tenant=tenant, lang=chosen
    )
    if not output.for_people:
        emit({"month": month, "format": fmt.value, "file": str(out),
              "statements": len(statements)}, output, lang=obj.lang)  # fmt: skip
        return
    typer.echo(_w("exported", obj.lang, n=len(statements), file=out))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="bill")
