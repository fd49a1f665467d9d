"""``govcloud policy list | audit | report | violations | waiver request|approve|list``.

Thin shell over :mod:`controlplane.compliance`: parse options, call the service, render.
Refusals (no policy bound, no audit run yet, unknown system, a waiver that may not be
granted) exit 1 with the reason; malformed options exit 2. Option errors are raised as
``typer.BadParameter``, which the command framework reports with exit 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, time, timedelta
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
    TIER,
    print_continue,
    shown,
)
from controlplane.cli.status import state_text
from controlplane.compliance.words import word
from controlplane.errors import NotFound
from controlplane.i18n import Lang
from controlplane.timeutil import SHANGHAI
from policies import Severity, WaiverScope

if TYPE_CHECKING:
    from controlplane.facade.models import ViolationInfo, WaiverInfo

app = typer.Typer(
    help="Policy rules, continuous audit, compliance reports and waivers (等保 2.0).",
    no_args_is_help=True,
)
waiver_app = typer.Typer(help="Request, approve and list policy waivers.", no_args_is_help=True)
app.add_typer(waiver_app, name="waiver")


class ReportFormat(StrEnum):
    md = "md"
    json = "json"
    xlsx = "xlsx"


def _lang(lang: str) -> Lang:
    return "zh" if lang == "zh" else "en"


def _columns(lang: str, spec: list[tuple[str, Callable[[Mapping[str, Any]], Any]]]) -> list[Column]:
    return [Column(word(key, lang), cell) for key, cell in spec]


def _severity(value: str, lang: str) -> str:
    return Severity(value).zh if lang == "zh" else value


def _rule_status(row: Mapping[str, Any], lang: str) -> str:
    if row["implemented"]:
        return word("implemented", lang)
    return word("missing_input", lang) + "; ".join(row["pending_inputs"])


@app.command("list")
def list_(
    ctx: typer.Context,
    level: int | None = typer.Option(None, "--level", min=1, max=4, help="等保 level 1-4"),
    pack: str | None = typer.Option(None, "--pack", help="a built-in pack, e.g. mlps-l3"),
    severity: Severity | None = typer.Option(None, "--severity"),
    output: Format = OUTPUT,
) -> None:
    """The rule catalogue: implemented, or not evaluable with the missing input named."""
    obj = cli_context(ctx)
    try:
        rows = obj.facade.policy_rules(level=level, pack=pack, severity=severity)
    except NotFound:
        raise typer.BadParameter(f"unknown pack {pack!r}", param_hint="--pack") from None
    for row in rows:
        row["status"] = _rule_status(row, "en")
    if not output.for_people:
        emit(rows, output, lang=obj.lang)
        return
    title = "title_zh" if obj.lang == "zh" else "title_en"
    columns = _columns(
        obj.lang,
        [
            ("rule", lambda r: r["id"]),
            ("severity", lambda r: _severity(r["severity"], obj.lang)),
            ("levels", lambda r: ",".join(str(n) for n in r["levels"])),
            ("status", lambda r: _rule_status(r, obj.lang)),
            ("title", lambda r: r[title]),
        ],
    )
    emit(rows, output, lang=obj.lang, columns=columns)


def _summary_record(summary: dict[str, Any], lang: str) -> dict[str, Any]:
    record = {word(k, lang): summary[k] for k in ("run", "resources", "rules_bound", "results")}
    record.update({word(k, lang): v for k, v in summary["outcomes"].items()})
    record.update({word(k, lang): v for k, v in summary["violations"].items()})
    return record


@app.command("audit")
def audit(ctx: typer.Context, output: Format = OUTPUT) -> None:
    """Audit the whole inventory now and store every result (passes included)."""
    obj = cli_context(ctx)
    summary = obj.facade.audit_policies().model_dump()
    emit(
        summary if not output.for_people else _summary_record(summary, obj.lang),
        output,
        lang=obj.lang,
    )


@app.command("report")
def report(
    ctx: typer.Context,
    system: str = typer.Option(..., "--system", help="information system name"),
    tenant: str | None = typer.Option(None, "--tenant", help="when the name is not unique"),
    fmt: ReportFormat = typer.Option(ReportFormat.md, "--format"),
    out_file: Path | None = typer.Option(None, OUTPUT_FILE, help=OUTPUT_FILE_HELP),
    output: Format = OUTPUT,
) -> None:
    """Per-测评单元 conclusions, rules, evidence and open waivers of one system.

    ``-o json|yaml`` prints the report's JSON form (``--format json``) on stdout.
    """
    from policies.reports import render_json, render_markdown, render_xlsx

    obj = cli_context(ctx)
    if fmt is ReportFormat.xlsx and out_file is None:
        raise typer.BadParameter(word("xlsx_needs_file", obj.lang), param_hint=OUTPUT_FILE)
    built = obj.facade.policy_report(system, tenant=tenant)
    if not output.for_people and out_file is None:
        emit(json.loads(render_json(built, obj.lang)), output, lang=obj.lang)
        return
    if fmt is ReportFormat.xlsx:
        assert out_file is not None
        out_file.write_bytes(render_xlsx(built, obj.lang))
    else:
        text = (
            render_markdown(built, obj.lang)
            if fmt is ReportFormat.md
            else render_json(built, obj.lang)
        )
        if out_file is None:
            typer.echo(text, nl=False)
            return
        out_file.write_text(text, encoding="utf-8")
    typer.echo(f"{word('report_written', obj.lang)} {out_file}", err=True)


def _violation_record(v: ViolationInfo) -> dict[str, Any]:
    return {
        "id": v.id,
        "rule": v.rule_id,
        "subject": f"{v.subject_kind}/{v.subject_id}",
        "field": v.field,
        "system": v.system,
        "tenant": v.tenant,
        "provider": v.provider,
        "severity": v.severity,
        "high_risk": v.high_risk,
        "state": v.state,
        "resolution": v.resolution,
        "waiver": v.waiver_id,
        "opened_at": v.opened_at,
        "last_seen_at": v.last_seen_at,
        "resolved_at": v.resolved_at,
        "message_zh": v.message_zh,
        "message_en": v.message_en,
    }


@app.command("violations")
def violations(
    ctx: typer.Context,
    state: str | None = typer.Option(None, "--state", help="open | waived | resolved"),
    system: str | None = typer.Option(None, "--system"),
    provider: str | None = typer.Option(
        None,
        "--provider",
        help="Only violations on this cloud (their resource's, else their system's).",
    ),
    tier: str | None = TIER,
    limit: int = LIMIT,
    token: str | None = CONTINUE,
    output: Format = OUTPUT,
) -> None:
    """Violations across audit runs: opened, still failing, waived, resolved."""
    obj = cli_context(ctx)
    found = obj.facade.violations(
        state=state, system=system, provider=provider, tier=tier, limit=limit,
        continue_token=token,
    )  # fmt: skip
    page = shown(found, [_violation_record(v) for v in found.items])
    columns = _columns(
        obj.lang,
        [
            ("rule", lambda r: r["rule"]),
            ("subject", lambda r: r["subject"]),
            ("state", lambda r: state_text(r["state"], _lang(obj.lang))),
            ("opened_at", lambda r: r["opened_at"]),
            ("last_seen_at", lambda r: r["last_seen_at"]),
        ],
    )
    columns.append(Column(word("id", obj.lang), lambda r: r["id"], wide=True))
    columns.append(Column(word("provider", obj.lang), lambda r: r["provider"], wide=True))
    emit(page.rows, output, lang=obj.lang, columns=columns)
    print_continue(page, output, obj.lang)


def _scope(value: str) -> tuple[WaiverScope, str]:
    kind, sep, target = value.partition(":")
    try:
        scope = WaiverScope(kind)
    except ValueError:
        scope = None
    if not sep or not target or scope is None:
        raise typer.BadParameter(
            "expected system:NAME, resource:ID or tenant:CODE", param_hint="--scope"
        )
    return scope, target


def _expiry(value: str) -> datetime:
    """An ISO-8601 time with offset, or a date: valid through that day (Asia/Shanghai)."""
    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value).date()
            return datetime.combine(day + timedelta(days=1), time(), SHANGHAI)
        at = datetime.fromisoformat(value)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise typer.BadParameter(
            "expected YYYY-MM-DD or an ISO-8601 time with offset", param_hint="--expires"
        )
    return at


def _waiver_record(w: WaiverInfo) -> dict[str, Any]:
    from controlplane.compliance import waiver_code

    return {
        "id": waiver_code(w),
        "rule": w.rule_id,
        "scope": f"{w.scope}:{w.target}",
        "reason": w.reason,
        "requester": w.requester,
        "requested_at": w.requested_at,
        "expires_at": w.expires_at,
        "state": w.state,
        "approver": w.approver,
        "approved_at": w.approved_at,
    }


def _waiver_id(value: str) -> int:
    digits = value.removeprefix("W-")
    if not digits.isdigit():
        raise typer.BadParameter("expected a waiver id such as W-3 or 3", param_hint="ID")
    return int(digits)


def _emit_waiver(obj: CliContext, row: WaiverInfo, done: str, output: Format) -> None:
    from controlplane.compliance import waiver_code

    if output.for_people:
        typer.echo(f"{word(done, obj.lang)}: {waiver_code(row)}")
        return
    emit(_waiver_record(row), output, lang=obj.lang)


@waiver_app.command("request")
def waiver_request(
    ctx: typer.Context,
    rule: str = typer.Option(..., "--rule", help="rule id, e.g. MLPS-L1-NET-04"),
    scope: str = typer.Option(..., "--scope", help="system:NAME | resource:ID | tenant:CODE"),
    reason: str = typer.Option(..., "--reason"),
    expires: str = typer.Option(..., "--expires", help="YYYY-MM-DD or ISO-8601 with offset"),
    output: Format = OUTPUT,
) -> None:
    """Ask for a time-limited exception to one rule (critical rules are never waived)."""
    obj = cli_context(ctx)
    kind, target = _scope(scope)
    at = _expiry(expires)
    row = obj.facade.request_waiver(
        rule_id=rule, scope=kind, target=target, reason=reason, expires_at=at
    )
    _emit_waiver(obj, row, "waiver_requested", output)


@waiver_app.command("approve")
def waiver_approve(
    ctx: typer.Context,
    waiver: str = typer.Argument(..., metavar="ID"),
    output: Format = OUTPUT,
) -> None:
    """Approve a request (not your own; needs the approver role in the estate)."""
    obj = cli_context(ctx)
    row = obj.facade.approve_waiver(_waiver_id(waiver))
    _emit_waiver(obj, row, "waiver_approved", output)


@waiver_app.command("list")
def waiver_list(
    ctx: typer.Context,
    state: str | None = typer.Option(None, "--state", help="requested | approved"),
    limit: int = LIMIT,
    token: str | None = CONTINUE,
    output: Format = OUTPUT,
) -> None:
    """Waivers, requested and approved (expired ones included, with their expiry)."""
    obj = cli_context(ctx)
    found = obj.facade.waivers(state=state, limit=limit, continue_token=token)
    page = shown(found)
    records = [_waiver_record(w) for w in found.items]
    columns = _columns(
        obj.lang,
        [
            ("id", lambda r: r["id"]),
            ("rule", lambda r: r["rule"]),
            ("scope", lambda r: r["scope"]),
            ("state", lambda r: state_text(r["state"], _lang(obj.lang))),
            ("expires_at", lambda r: r["expires_at"]),
        ],
    )
    emit(records, output, lang=obj.lang, columns=columns)
    print_continue(page, output, obj.lang)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="policy")
