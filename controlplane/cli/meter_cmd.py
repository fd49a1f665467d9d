"""``govcloud meter collect | import | gaps | gap ack | availability``.

Thin shell over ``controlplane.metering``: parses options, calls the service, renders.
Exit codes: 0 done (a replay that changed nothing is done too), 1 refused or a provider
failed to collect, 2 invalid input (located, nothing imported).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer

from controlplane.billing import Month
from controlplane.cli.context import cli_context
from controlplane.cli.output import Column, Format, console, emit
from controlplane.cli.params import parse_month, refuse
from controlplane.i18n import Lang
from controlplane.metering import MeteringError, metering_service

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
    "collected": ("已采集", "collected"),
    "up-to-date": ("无需采集", "up to date"),
    "failed": ("失败", "failed"),
    "start": ("开始", "start"),
    "end": ("结束", "end"),
    "acknowledged": ("已确认", "acknowledged"),
    "open": ("未确认", "open"),
    "reason": ("原因", "reason"),
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
    output: Format = typer.Option(Format.table, "-o", "--output"),
) -> None:
    """Pull usage from every provider's driver since its last collection window."""
    obj = cli_context(ctx)
    try:
        results = metering_service(obj.app).collect(
            actor=obj.actor, until=_time(until, "--until"), providers=provider
        )
    except MeteringError as exc:
        refuse(exc)
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
        Column(_w("status", lang), lambda r: _w(r["status"], lang) + (f": {r['error']}" if r["error"] else ""), max_width=30),
    ])  # fmt: skip
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Option(..., "-f", "--file", help="usage.csv or usage.json"),
    output: Format = typer.Option(Format.table, "-o", "--output"),
) -> None:
    """Import usage of a cloud govcloud cannot reach; any bad row refuses the whole file."""
    obj = cli_context(ctx)
    result = metering_service(obj.app).import_file(file, actor=obj.actor)
    if output is not Format.table:
        emit(result.__dict__, output, lang=obj.lang)
        return
    key = "replayed" if result.replayed else "imported"
    console().print(_w(key, obj.lang, new=result.new_records, records=result.records))


def _gap_records(month: Month, ctx: typer.Context) -> list[dict[str, Any]]:
    obj = cli_context(ctx)
    coverage = metering_service(obj.app).coverage(month)
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
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    output: Format = typer.Option(Format.table, "-o", "--output"),
) -> None:
    """Spans of the month no source vouches for (open ones block `bill finalize`)."""
    lang = cli_context(ctx).lang
    records = _gap_records(parse_month(month), ctx)
    if not records and output is Format.table:
        console().print(_w("no_gaps", lang, month=month))
        return
    emit(records, output, lang=lang, columns=[
        Column(_w("provider", lang), lambda r: r["provider"]),
        Column(_w("start", lang), lambda r: r["start"]),
        Column(_w("end", lang), lambda r: r["end"]),
        Column(_w("status", lang), lambda r: _w(r["status"], lang)),
        Column(_w("reason", lang), lambda r: r["reason"], max_width=30),
    ])  # fmt: skip


@gap_app.command("ack")
def gap_ack(
    ctx: typer.Context,
    provider: str = typer.Option(..., "--provider"),
    reason: str = typer.Option(..., "--reason", help="Why no usage is expected there."),
    month: str | None = typer.Option(None, "--month", help="Every open gap of the month."),
    start: str | None = typer.Option(None, "--start", help="ISO-8601 (with --end)."),
    end: str | None = typer.Option(None, "--end", help="ISO-8601 (with --start)."),
) -> None:
    """Acknowledge a coverage gap with a reason (recorded in the audit log)."""
    obj = cli_context(ctx)
    service = metering_service(obj.app)
    begin, finish = _time(start, "--start"), _time(end, "--end")
    try:
        if month is not None and begin is None and finish is None:
            acks = service.acknowledge_month(
                parse_month(month), provider, reason=reason, actor=obj.actor
            )
        elif month is None and begin is not None and finish is not None:
            acks = [
                service.acknowledge_gap(provider, begin, finish, reason=reason, actor=obj.actor)
            ]
        else:
            raise typer.BadParameter("give either --month or both --start and --end")
    except MeteringError as exc:
        refuse(exc)
    for ack in acks:
        console().print(
            f"{_w('acknowledged', obj.lang)}: {ack.provider} [{ack.start.isoformat()}, {ack.end.isoformat()})"
        )


@app.command("availability")
def availability(
    ctx: typer.Context,
    provider: str = typer.Option(..., "--provider"),
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    percent: str = typer.Option(..., "--percent", help="Measured availability, e.g. 99.87"),
    evidence: str = typer.Option(..., "--evidence", help="Where the figure comes from."),
) -> None:
    """Record a provider's measured monthly availability (SLA evidence)."""
    obj = cli_context(ctx)
    try:
        value = Decimal(percent)
    except InvalidOperation as exc:
        raise typer.BadParameter(f"{percent!r} is not a number", param_hint="--percent") from exc
    try:
        row = metering_service(obj.app).record_availability(
            provider, parse_month(month), value, evidence=evidence, actor=obj.actor
        )
    except MeteringError as exc:
        refuse(exc)
    console().print(f"{row.provider} {row.month}: {row.availability}% ({row.evidence})")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="meter")
