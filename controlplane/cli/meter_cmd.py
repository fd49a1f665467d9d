"""``govcloud meter collect | import | gaps | gap ack | availability``.

Thin shell over ``controlplane.metering``: parses options, calls the service, renders.
Exit codes: 0 done (a replay that changed nothing is done too), 1 refused or a provider
failed to collect, 2 invalid input (located, nothing imported).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from controlplane.cli.context import cli_context
from controlplane.cli.output import Column, Format, emit
from controlplane.cli.params import OUTPUT, current_month, parse_month
from controlplane.cli.status import state_text
from controlplane.i18n import Lang

if TYPE_CHECKING:
    from controlplane.billing import Month

app = typer.Typer(help="Usage metering: collect, import, coverage gaps.", no_args_is_help=True)
gap_app = typer.Typer(help="Coverage gaps of a month and their acknowledgement.")
app.add_typer(gap_app, name="gap")

_WORDS: dict[str, tuple[str, str]] = {
    "provider": ("云平台", "provider"),
    "since": ("起", "since"),
    "until": ("止", "until"),
    "records": ("记录数", "records"),
    "new": ("新增", "new"),
    "status": ("状态", "status"),
    "start": ("开始", "start"),
    "end": ("结束", "end"),
    "reason": ("原因", "reason"),
    "error": ("错误", "error"),
    "acknowledged_n": ("已确认 {n} 段覆盖缺口", "acknowledged {n} coverage gaps"),
    "month_or_span": (
        "请给出 --month，或同时给出 --start 和 --end",
        "give either --month or both --start and --end",
    ),
    "imported": ("已导入 {new} 条新记录（共 {records} 条）", "imported {new} new of {records}"),
    "replayed": ("该文件已导入过，未作任何更改", "this file was imported before: nothing changed"),
    "no_gaps": ("{month} 无覆盖缺口", "{month}: no coverage gaps"),
}


def _w(key: str, lang: Lang, **values: Any) -> str:
    zh, en = _WORDS[key]
    return (zh if lang == "zh" else en).format(**values)


def _time(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not an ISO-8601 time", param_hint=what) from exc
    if value.utcoffset() is None:
        raise typer.BadParameter(f"{text!r} has no UTC offset (e.g. +08:00)", param_hint=what)
    return value


@app.command("collect")
def collect(
    ctx: typer.Context,
    until: str | None = typer.Option(None, "--until", help="ISO-8601 time (default: now)."),
    provider: list[str] = typer.Option([], "--provider", help="Only these providers."),
    output: Format = OUTPUT,
) -> None:
    """Pull usage from every provider's driver since its last collection window."""
    obj = cli_context(ctx)
    results = obj.facade.collect_usage(until=_time(until, "--until"), providers=provider)
    records = [
        {"provider": r.provider, "since": r.since, "until": r.until, "records": r.records,
         "new_records": r.new_records, "status": r.status, "error": r.error}
        for r in results
    ]  # fmt: skip
    lang = obj.lang
    emit(records, output, lang=lang, columns=[
        Column(_w("provider", lang), lambda r: r["provider"]),
        Column(_w("since", lang), lambda r: r["since"]),
        Column(_w("until", lang), lambda r: r["until"]),
        Column(_w("new", lang), lambda r: r["new_records"], "right"),
        Column(_w("status", lang), lambda r: state_text(r["status"], lang)),
        Column(_w("error", lang), lambda r: r["error"]),
    ])  # fmt: skip
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Option(..., "-f", "--file", help="usage.csv or usage.json"),
    output: Format = OUTPUT,
) -> None:
    """Import usage of a cloud govcloud cannot reach; any bad row refuses the whole file."""
    obj = cli_context(ctx)
    result = obj.facade.import_usage(str(file))
    if not output.for_people:
        emit(result.__dict__, output, lang=obj.lang)
        return
    key = "replayed" if result.replayed else "imported"
    typer.echo(_w(key, obj.lang, new=result.new_records, records=result.records))


def _gap_records(month: Month, ctx: typer.Context) -> list[dict[str, Any]]:
    obj = cli_context(ctx)
    coverage = obj.facade.coverage(month)
    records: list[dict[str, Any]] = [
        {"provider": g.provider, "start": g.start, "end": g.end, "status": "open", "reason": ""}
        for g in coverage.open_gaps
    ]
    records += [
        {"provider": a.provider, "start": a.start, "end": a.end, "status": "acknowledged",
         "reason": f"{a.reason} ({a.actor})"}
        for a in coverage.acknowledged
    ]  # fmt: skip
    return records


@app.command("gaps")
def gaps(
    ctx: typer.Context,
    month: str | None = typer.Option(None, "--month", help="YYYY-MM (default: this month)."),
    output: Format = OUTPUT,
) -> None:
    """Spans of the month no source vouches for (open ones block `bill finalize`)."""
    obj = cli_context(ctx)
    lang = obj.lang
    chosen = parse_month(month) if month else current_month(obj.now())
    records = _gap_records(chosen, ctx)
    if not records and output.for_people:
        typer.echo(_w("no_gaps", lang, month=chosen))
        return
    emit(records, output, lang=lang, columns=[
        Column(_w("provider", lang), lambda r: r["provider"]),
        Column(_w("start", lang), lambda r: r["start"]),
        Column(_w("end", lang), lambda r: r["end"]),
        Column(_w("status", lang), lambda r: state_text(r["status"], lang)),
        Column(_w("reason", lang), lambda r: r["reason"]),
    ])  # fmt: skip


@gap_app.command("ack")
def gap_ack(
    ctx: typer.Context,
    provider: str = typer.Option(..., "--provider"),
    reason: str = typer.Option(..., "--reason", help="Why no usage is expected there."),
    month: str | None = typer.Option(None, "--month", help="Every open gap of the month."),
    start: str | None = typer.Option(None, "--start", help="ISO-8601 (with --end)."),
    end: str | None = typer.Option(None, "--end", help="ISO-8601 (with --start)."),
    output: Format = OUTPUT,
) -> None:
    """Acknowledge a coverage gap with a reason (recorded in the audit log)."""
    obj = cli_context(ctx)
    begin, finish = _time(start, "--start"), _time(end, "--end")
    if month is not None and begin is None and finish is None:
        acks = obj.facade.acknowledge_month(parse_month(month), provider, reason=reason)
    elif month is None and begin is not None and finish is not None:
        acks = [obj.facade.acknowledge_gap(provider, begin, finish, reason=reason)]
    else:
        raise typer.BadParameter(_w("month_or_span", obj.lang))
    records = [
        {"provider": a.provider, "start": a.start, "end": a.end, "reason": a.reason,
         "actor": a.actor}
        for a in acks
    ]  # fmt: skip
    if not output.for_people:
        emit(records, output, lang=obj.lang)
        return
    typer.echo(_w("acknowledged_n", obj.lang, n=len(records)))
    emit(records, output, lang=obj.lang, columns=[
        Column(_w("provider", obj.lang), lambda r: r["provider"]),
        Column(_w("start", obj.lang), lambda r: r["start"]),
        Column(_w("end", obj.lang), lambda r: r["end"]),
    ])  # fmt: skip


@app.command("availability")
def availability(
    ctx: typer.Context,
    provider: str = typer.Option(..., "--provider"),
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    percent: str = typer.Option(..., "--percent", help="Measured availability, e.g. 99.87"),
    evidence: str = typer.Option(..., "--evidence", help="Where the figure comes from."),
    output: Format = OUTPUT,
) -> None:
    """Record a provider's measured monthly availability (SLA evidence)."""
    obj = cli_context(ctx)
    try:
        value = Decimal(percent)
    except InvalidOperation as exc:
        raise typer.BadParameter(f"{percent!r} is not a number", param_hint="--percent") from exc
    row = obj.facade.record_availability(provider, parse_month(month), value, evidence=evidence)
    emit(
        {"provider": row.provider, "month": row.month, "availability": row.availability,
         "evidence": row.evidence},
        output,
        lang=obj.lang,
    )  # fmt: skip


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="meter")
