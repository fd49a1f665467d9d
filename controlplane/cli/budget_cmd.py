"""``govcloud budget alerts``: thresholds a department's projected yearly spend crossed.

The alerts are raised by ``govcloud serve``'s ``budget-alerts`` job (see
:mod:`controlplane.budget_alerts`), once per department, budget year and threshold.
Through the facade as ``--as`` (``budget.alerts``): operators, finance and auditors see
every department's, a department its own; works over an API context too.
"""

from __future__ import annotations

import typer

from controlplane.cli.context import cli_context
from controlplane.cli.output import Column, Format, emit
from controlplane.cli.params import OUTPUT
from controlplane.i18n import Lang

__all__ = ["register"]

app = typer.Typer(help="Department budgets: alerts raised by the projection job.",
                  no_args_is_help=True)  # fmt: skip

_WORDS: dict[str, tuple[str, str]] = {
    "tenant": ("部门", "tenant"),
    "year": ("年度", "year"),
    "threshold": ("阈值%", "threshold %"),
    "projected": ("预计年度支出", "projected"),
    "budget": ("年度预算", "budget"),
    "raised": ("预警时间", "raised"),
    "none": ("没有预算预警", "no budget alerts"),
}


def _w(key: str, lang: Lang) -> str:
    zh, en = _WORDS[key]
    return zh if lang == "zh" else en


@app.command("alerts")
def alerts(
    ctx: typer.Context,
    tenant: str | None = typer.Option(None, "--tenant", help="Only this department's."),
    year: int | None = typer.Option(None, "--year", help="Only this budget year."),
    output: Format = OUTPUT,
) -> None:
    """Budget thresholds crossed by a department's projected yearly spend, newest first."""
    obj = cli_context(ctx)
    lang = obj.lang
    found = obj.facade.budget_alerts(tenant=tenant, year=year)
    records = [
        {"id": a.id, "tenant": a.tenant, "year": a.year, "threshold": a.threshold,
         "projected": a.projected, "annual_budget": a.annual_budget,
         "raised_at": a.raised_at, "raised_by": a.raised_by}
        for a in found
    ]  # fmt: skip
    if not records and output.for_people:
        typer.echo(_w("none", lang))
        return
    emit(records, output, lang=lang, columns=[
        Column(_w("tenant", lang), lambda r: r["tenant"]),
        Column(_w("year", lang), lambda r: r["year"], "right"),
        Column(_w("threshold", lang), lambda r: r["threshold"], "right"),
        Column(_w("projected", lang), lambda r: f"{r['projected']:,}", "right"),
        Column(_w("budget", lang), lambda r: f"{r['annual_budget']:,}", "right"),
        Column(_w("raised", lang), lambda r: r["raised_at"]),
    ])  # fmt: skip


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="budget")
