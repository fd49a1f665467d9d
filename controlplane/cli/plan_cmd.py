"""``govcloud plan -f FILE``: what a SystemRequest file would do, changing nothing.

Table output reads like ``terraform plan``: the resource changes (``+``/``~``/``-``),
the "Plan: N to add…" line, the placement decision with every excluded provider and
why, the policy verdicts (rule id, 等保 clause, severity, field, how to fix), the price
estimate, capacity and budget impact. ``-o json|yaml`` prints one stable record per
document under ``plans``. Exit status: 0 every document admitted, 1 any denied (by
policy or for want of an eligible provider), 2 invalid input (located, nothing read
beyond the estate).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from controlplane.cli.context import CliContext, cli_context
from controlplane.cli.output import Format, console, emit
from controlplane.cli.params import OUTPUT
from controlplane.cli.views import excluded_lines
from controlplane.i18n import Lang
from policies import Outcome, Verdict

if TYPE_CHECKING:
    from rich.console import Console

    from controlplane.planning import Plan
    from controlplane.remote import PlanRecord

__all__ = ["read_manifest", "register", "render_plan"]

_SIGN = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red")}

_WORDS: dict[str, tuple[str, str]] = {
    "summary": (
        "计划：新建 {create} 项，变更 {update} 项，删除 {delete} 项（{unchanged} 项不变）。",
        "Plan: {create} to add, {update} to change, {delete} to destroy ({unchanged} unchanged).",
    ),
    "placed": ("放置：{provider}（开通引擎 {engine}）", "Placement: {provider} (engine {engine})"),
    "engines": ("各云平台的开通引擎：", "Provisioning engine per provider:"),
    "unplaced": ("放置：没有符合条件的云平台", "Placement: no eligible provider"),
    "excluded": ("排除的云平台：", "Excluded providers:"),
    "ranking": ("候选排序：", "Ranking:"),
    "policy": ("策略（{packs}）：", "Policy ({packs}):"),
    "records": ("等保记录（spec.records）：", "等保 records (spec.records):"),
    "no_records": (
        "等保记录：无（备案号、测评等待补齐，上线后宽限期满即计为违规）",
        "等保 records: none (filing, assessment… are due within the grace period after go-live)",
    ),
    "admitted": ("准入：通过", "Admission: admitted"),
    "denied": ("准入：拒绝", "Admission: DENIED"),
    "fix": ("整改", "fix"),
    "price": (
        "月度价格估算（价目表 {card}，{tier}）：",
        "Monthly estimate (rate card {card}, {tier} tier):",
    ),
    "no_price": (
        "无法估价：没有生效的价目表或未放置",
        "not priced: no rate card in force, or not placed",
    ),
    "unpriced": ("价目表未定价：{meters}", "not priced by the rate card: {meters}"),
    "total": (
        "合计 {monthly} 元/月，{annual} 元/年",
        "total {monthly} CNY/month, {annual} CNY/year",
    ),
    "capacity": ("容量（{provider}）：", "Capacity ({provider}):"),
    "not_tracked": ("未登记容量（不跟踪、不限制）", "not tracked (no capacity declared)"),
    "budget": (
        "预算（{tenant}）：年度 {budget}，已承诺 {committed}，剩余 {remaining}，本计划每年 {plan}",
        "Budget ({tenant}): annual {budget}, committed {committed}, remaining {remaining}, "
        "this plan {plan}/year",
    ),
    "over": (
        "超出部门剩余预算：需要财政审批",
        "exceeds the department's remaining budget: finance must approve",
    ),
    "title": ("{tenant}/{system}（{action}）", "{tenant}/{system} ({action})"),
    "nothing": ("无变更。", "No changes."),
    "free_after": ("之后剩余 {free} / {total}", "free after {free} / {total}"),
}


def _t(key: str, lang: Lang, **values: object) -> str:
    zh, en = _WORDS[key]
    return (zh if lang == "zh" else en).format(**values)


def _verdict_line(v: Verdict, lang: Lang) -> str:
    mark = {Outcome.FAIL: "✗", Outcome.NOT_EVALUABLE: "?", Outcome.WAIVED: "w"}.get(v.outcome, "·")
    sev = v.severity.zh if lang == "zh" else str(v.severity)
    message = v.message_zh if lang == "zh" else v.message_en
    line = f"  {mark} [{sev}] {message}"
    fix = v.remediation_zh if lang == "zh" else v.remediation_en
    if fix:
        line += f"\n      {_t('fix', lang)}: {fix}"
    return line


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def render_plan(plan: Mapping[str, Any], out: Console, lang: Lang) -> None:
    """Print one plan for people, from its record (``Plan.to_record()``, or the same
    record as the API answers it: the local and the remote output are one)."""
    out.print(
        f"[bold]{_t('title', lang, tenant=plan['tenant'], system=plan['system'], action=plan['action'])}[/]"
        f"  {plan['source'] or ''}"
    )
    for change in plan["changes"]:
        if change["action"] == "unchanged":
            continue
        sign, colour = _SIGN[change["action"]]
        detail = f" ({', '.join(change['changed'])})" if change["changed"] else ""
        out.print(
            f"  [{colour}]{sign}[/] {change['kind']}/{change['name']} @ {change['provider']}{detail}",
            markup=True,
        )
    counts = plan["summary"]
    out.print(
        _t("summary", lang, **counts)
        if any(counts[k] for k in ("create", "update", "delete"))
        else _t("nothing", lang)
    )
    placement = plan["placement"]
    chosen, engines = placement["provider"], placement["engines"]
    out.print(
        _t("placed", lang, provider=chosen, engine=engines.get(chosen, "sdk"))
        if chosen
        else _t("unplaced", lang)
    )
    if engines:
        out.print(
            "  "
            + _t("engines", lang)
            + " "
            + ", ".join(f"{name} {engine}" for name, engine in sorted(engines.items()))
        )
    if placement["ranking"]:
        out.print(
            "  "
            + _t("ranking", lang)
            + " "
            + ", ".join(f"{w['provider']} {w['weight']:g}" for w in placement["ranking"])
        )
    if placement["excluded"]:
        out.print("  " + _t("excluded", lang))
        for reason in excluded_lines(placement["excluded"], lang):
            out.print(f"    - {reason}", markup=False)
    policy = plan["policy"]
    records = _without_none(plan["spec"].get("records") or {})
    out.print(_t("records" if records else "no_records", lang))
    for key, value in records.items():
        shown = (
            ", ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value
        )
        out.print(f"  {key}: {shown}", markup=False)
    out.print(_t("policy", lang, packs=", ".join(policy["packs"])))
    opt_out = policy["baselineOptOut"]
    if opt_out is not None:
        out.print("  ⚠ " + (opt_out["en"] if lang == "en" else opt_out["zh"]), markup=False)
    from policies import AdmissionResult

    verdicts = tuple(Verdict.from_record(v) for v in policy["verdicts"])
    outcome = AdmissionResult(bool(policy["admitted"]), verdicts)
    for v in (*outcome.denials, *outcome.warnings):
        out.print(_verdict_line(v, lang), markup=False)
    passed = sum(1 for v in verdicts if v.outcome is Outcome.PASS)
    out.print(f"  ✓ {passed} passed" if lang == "en" else f"  ✓ 通过 {passed} 项")
    price = plan["price"]
    if price["monthly"] is None:
        out.print(_t("no_price", lang))
    else:
        out.print(_t("price", lang, card=price["rate_card"], tier=price["tier"]))
        for line in price["lines"]:
            amount = "-" if line["amount"] is None else f"{Decimal(line['amount']):,}"
            unit_price = "-" if line["unit_price"] is None else str(line["unit_price"])
            quantity = Decimal(line["quantity"])
            out.print(
                f"  {line['meter']:<18} {quantity:>10} × {unit_price:>8} = {amount:>12}",
                markup=False,
            )
        if price["unpriced"]:
            out.print("  " + _t("unpriced", lang, meters=", ".join(price["unpriced"])))
        monthly, annual = Decimal(price["monthly"]), Decimal(price["annual"])
        out.print("  " + _t("total", lang, monthly=f"{monthly:,}", annual=f"{annual:,}"))
    cap = plan["capacity"]
    if cap is not None:
        out.print(_t("capacity", lang, provider=cap["provider"]))
        for key, value in cap["requested"].items():
            if key in ("namespaces",):
                continue
            left = (
                _t("free_after", lang, free=cap["free_after"][key], total=cap["capacity"][key])
                if key not in cap["not_tracked"]
                else _t("not_tracked", lang)
            )
            out.print(f"  {key:<12} +{value:<10} {left}", markup=False)
    budget = plan["budget"]
    annual_plan = budget["plan_annual"]
    shown_plan = "-" if annual_plan is None else f"{Decimal(annual_plan):,}"
    out.print(
        _t(
            "budget",
            lang,
            tenant=budget["tenant"],
            budget=f"{Decimal(budget['annual_budget']):,}",
            committed=f"{Decimal(budget['committed_annual']):,}",
            remaining=f"{Decimal(budget['remaining']):,}",
            plan=shown_plan,
        )
    )
    if budget["exceeds"]:
        out.print("  " + _t("over", lang))
    out.print(_t("admitted" if plan["admitted"] else "denied", lang))


def read_manifest(obj: CliContext, file: str) -> Any:
    """The requests of ``file`` (``-``: stdin), parsed and located here — a bad manifest
    is reported before anything is asked of anyone — in the form the facade takes
    (the server gets the text and the file name, and parses it again after its checks)."""
    from tenants import load_requests
    from tenants.located import read_text

    if file == "-":
        text = read_text(sys.stdin.buffer, "<stdin>")
        return obj.manifest(load_requests(text, name="<stdin>"), text, "<stdin>")
    parsed = load_requests(Path(file))
    if not obj.remote:
        return parsed
    with open(file, "rb") as handle:
        return obj.manifest(parsed, read_text(handle, file), file)


def plan_command(
    ctx: typer.Context,
    file: str = typer.Option(..., "-f", "--file", help="SystemRequest manifest ('-' for stdin)."),
    output: Format = OUTPUT,
) -> int:
    """Show what a SystemRequest would do: placement, resources, policy, price — change nothing."""
    obj = cli_context(ctx)
    plans: Sequence[Plan | PlanRecord] = obj.facade.plan(read_manifest(obj, file))
    code = max(plan.exit_code for plan in plans)
    if not output.for_people:
        emit(
            {"exit_code": code, "plans": [plan.to_record() for plan in plans]},
            output,
            lang=obj.lang,
        )
    else:
        out = console()
        for index, plan in enumerate(plans):
            if index:
                out.print()
            render_plan(plan.to_record(), out, obj.lang)
    if code:
        raise typer.Exit(code)
    return 0


def register(root: typer.Typer) -> None:
    root.command("plan")(plan_command)
