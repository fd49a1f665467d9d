"""The console's views: what each list reads from the facade and how its rows look.

A :class:`View` names its columns, fetches one keyset page for a filter and a sort, says
what ``enter`` opens and what ``d`` describes. Nothing here draws: the app does. Every
read goes through :class:`~controlplane.facade.Govcloud` methods (or a client with the
same methods), so the console works the same over the local home or a remote server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from controlplane.facade import Month, Page
from controlplane.i18n import Lang, tr
from tui.door import Door

__all__ = [
    "ALIASES",
    "VIEWS",
    "Column",
    "OverviewRow",
    "View",
    "complete",
    "current_month",
    "plain",
    "record_fields",
    "resolve_view",
]

PAGE = 100


@dataclass(frozen=True)
class Column:
    """A column: its heading word, how to read its cell, and the field it sorts by
    (``None``: not sortable)."""

    word: str
    get: Callable[[Any], object]
    sort: str | None = None
    status: bool = False


#: (door, filter, sort, continue token, limit, month "YYYY-MM") -> one page
Fetch = Callable[[Door, str | None, str | None, str | None, int, str], Page[Any]]


@dataclass(frozen=True)
class View:
    name: str
    word: str
    columns: tuple[Column, ...]
    fetch: Fetch
    key: Callable[[Any], str]
    default_sort: str
    #: what ``enter`` on a row opens: (view name, filter), or ``None`` (describe instead)
    drill: Callable[[Any], tuple[str, str] | None] = lambda _item: None
    aliases: tuple[str, ...] = ()
    #: the facade actions this view's row actions need (hidden without them)
    actions: Mapping[str, str] = field(default_factory=dict)
    #: for a list whose pages come without their total: how many match (asked after
    #: the rows are shown, so a long count never delays them)
    count: Callable[[Door, str | None], int | None] | None = None
    #: the facade action reading this list (a role without it is not offered the view)
    reads: str | None = None
    #: the field a pinned scope narrows on, by scope kind (``tenant``, ``provider``)
    scopes: Mapping[str, str] = field(default_factory=dict)

    def scoped(self, scope: str | None, query: str) -> str:
        """``query`` narrowed to ``scope`` (``kind:value``) where this list has its field."""
        if scope is None:
            return query
        kind, _, value = scope.partition(":")
        name = self.scopes.get(kind)
        return query if name is None else f"{name}:{value} {query}".strip()


def _attr(name: str) -> Callable[[Any], object]:
    return lambda item: getattr(item, name)


def current_month(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m")


@dataclass(frozen=True)
class OverviewRow:
    """One tile of the overview: a figure and the filtered list it opens."""

    area: str
    figure: str
    value: str
    view: str
    query: str


def _overview(door: Door, lang: Lang, month: str) -> list[OverviewRow]:
    """Per tier and across the province: clouds, pending approvals, open violations by
    severity, open drift, resources, month-to-date spend against budget."""
    rows: list[OverviewRow] = []
    providers = _all(lambda t: door.providers(limit=1000, continue_token=t))
    tiers = sorted({p.tier for p in providers})
    for tier in tiers:
        count = sum(1 for p in providers if p.tier == tier)
        rows.append(OverviewRow(tr(tier, lang), tr("providers", lang), str(count),
                                "providers", f"tier:{tier}"))  # fmt: skip
    pending = door.requests(query="state:pending", limit=1).total or 0
    rows.append(OverviewRow(tr("tui.requests", lang), tr("tui.pending_approvals", lang),
                            str(pending), "requests", "state:pending"))  # fmt: skip
    for severity in ("critical", "high", "medium", "low"):
        found = door.violations(state="open", query=f"severity:{severity}", limit=1).total or 0
        rows.append(OverviewRow(tr("tui.violations", lang), tr(f"tui.severity.{severity}", lang),
                                str(found),
                                "violations", f"state:open severity:{severity}"))  # fmt: skip
    drift = door.drift(limit=1).total or 0
    rows.append(OverviewRow(tr("tui.drift", lang), tr("tui.open", lang), str(drift), "drift", ""))
    resources = door.resources(limit=1).total or 0
    rows.append(OverviewRow(tr("tui.resources", lang), tr("tui.total", lang), str(resources),
                            "resources", ""))  # fmt: skip
    statements = _all(lambda t: door.bills(_month(month), limit=1000, continue_token=t))
    spent = sum((s.budget.month_to_date for s in statements), Decimal("0"))
    budget = sum((s.budget.annual_budget for s in statements), Decimal("0"))
    over = sum(1 for s in statements if s.budget.projected_overrun)
    rows.append(OverviewRow(tr("tui.spend", lang), f"{month} / {tr('annual_budget', lang)}",
                            f"{spent} / {budget}", "statements", ""))  # fmt: skip
    rows.append(OverviewRow(tr("tui.spend", lang), tr("projected_overrun", lang), str(over),
                            "statements", "projected_overrun:true"))  # fmt: skip
    return rows


def _month(text: str) -> Month:
    return Month.parse(text)


def _all(read: Callable[[str | None], Page[Any]]) -> list[Any]:
    items: list[Any] = []
    token: str | None = None
    while True:
        page = read(token)
        items.extend(page.items)
        token = page.continue_token
        if token is None:
            return items


def _overview_fetch(lang: Lang) -> Fetch:
    def fetch(door: Door, query: str | None, sort: str | None, token: str | None,
              limit: int, month: str) -> Page[Any]:  # fmt: skip
        rows = _overview(door, lang, month)
        if query:
            rows = [r for r in rows if query.lower() in f"{r.area} {r.figure}".lower()]
        return Page(items=tuple(rows), continue_token=None, total=len(rows))

    return fetch


def _views(lang: Lang) -> dict[str, View]:
    views = [
        View(
            "overview",
            "tui.overview",
            (
                Column("tui.area", _attr("area")),
                Column("tui.figure", _attr("figure")),
                Column("value", _attr("value")),
            ),
            _overview_fetch(lang),
            key=lambda r: f"{r.view}:{r.query}",
            default_sort="",
            drill=lambda r: (r.view, r.query),
            aliases=("ov", "home", "dash"),
        ),
        View(
            "providers",
            "providers",
            (
                Column("name", _attr("name"), "name"),
                Column("tier", _attr("tier"), "tier"),
                Column("kind", _attr("kind"), "kind"),
                Column("region", _attr("region"), "region"),
                Column("cert_level", _attr("certified_level"), "certified_level"),
                Column("arch", _attr("arch"), "arch"),
                Column("vcpu", _attr("capacity_vcpu"), "capacity_vcpu"),
            ),
            lambda d, q, s, t, n, m: d.providers(
                query=q, sort=s or "name", continue_token=t, limit=n
            ),
            key=lambda p: str(p.name),
            default_sort="name",
            drill=lambda p: ("resources", f"provider:{p.name}"),
            aliases=("provider", "prov", "clouds"),
            scopes={"provider": "name"},
            actions={"sync": "provider.sync", "gaps": "meter.acknowledge"},
        ),
        View(
            "tenants",
            "tenants",
            (
                Column("code", _attr("code"), "code"),
                Column("name", _attr("name"), "name"),
                Column("level", _attr("level"), "level"),
                Column("city", _attr("city"), "city"),
                Column("budget", _attr("budget"), "budget"),
            ),
            lambda d, q, s, t, n, m: d.tenants(
                query=q, sort=s or "code", continue_token=t, limit=n
            ),
            key=lambda t: str(t.code),
            default_sort="code",
            drill=lambda x: ("requests", f"tenant:{x.code}"),
            aliases=("tenant", "ten", "departments", "dept"),
            scopes={"tenant": "code"},
        ),
        View(
            "systems",
            "tui.systems",
            (
                Column("tenant", _attr("tenant"), "tenant"),
                Column("name", _attr("name"), "name"),
                Column("provider", _attr("provider"), "provider"),
                Column("cert_level", _attr("level"), "level"),
                Column("tui.data_class", _attr("data_classification"), "data_classification"),
                Column("xinchuang", _attr("xinchuang"), "xinchuang"),
                Column("status", _attr("status"), "status", status=True),
            ),
            lambda d, q, s, t, n, m: d.systems(
                query=q, sort=s or "name", continue_token=t, limit=n
            ),
            key=lambda x: f"{x.tenant}/{x.name}",
            default_sort="name",
            drill=lambda x: ("resources", f"tenant:{x.tenant} system:{x.name}"),
            aliases=("system", "sys", "apps"),
            scopes={"tenant": "tenant", "provider": "provider"},
            reads="system.list",
        ),
        View(
            "requests",
            "tui.requests",
            (
                Column("id", _attr("id"), "id"),
                Column("tenant", _attr("tenant"), "tenant"),
                Column("system", _attr("system_name"), "system_name"),
                Column("action", _attr("action"), "action"),
                Column("state", _attr("state"), "state", status=True),
                Column("requester", _attr("requester"), "requester"),
                Column("updated", _attr("updated_at"), "updated_at"),
            ),
            lambda d, q, s, t, n, m: d.requests(query=q, sort=s or "id", continue_token=t, limit=n),
            key=lambda r: str(r.id),
            default_sort="id",
            aliases=("request", "req", "rq"),
            scopes={"tenant": "tenant"},
            actions={
                "approve": "request.approve",
                "reject": "request.reject",
                "provision": "request.provision",
                "retry": "request.provision",
            },
        ),
        View(
            "resources",
            "tui.resources",
            (
                Column("provider", _attr("provider"), "provider"),
                Column("tenant", _attr("tenant"), "tenant"),
                Column("system", _attr("system"), "system"),
                Column("kind", _attr("kind"), "kind"),
                Column("name", _attr("name"), "name"),
                Column("status", _attr("status"), "status", status=True),
                Column("tui.drift", lambda r: len(r.drift) or "", None),
            ),
            lambda d, q, s, t, n, m: d.resources(
                query=q, sort=s or "name", continue_token=t, limit=n, count=False
            ),
            key=lambda r: f"{r.provider}/{r.kind}/{r.resource_id}",
            default_sort="name",
            aliases=("resource", "res", "rs"),
            scopes={"tenant": "tenant", "provider": "provider"},
            count=lambda d, q: d.resources(query=q, limit=1).total,
        ),
        View(
            "drift",
            "tui.drift",
            (
                Column("provider", _attr("provider"), "provider"),
                Column("tenant", _attr("tenant"), "tenant"),
                Column("kind", _attr("kind"), "kind"),
                Column("name", _attr("name"), "name"),
                Column("tui.drift", _attr("drift"), "drift", status=True),
                Column("tui.first_seen", _attr("first_seen"), "first_seen"),
            ),
            lambda d, q, s, t, n, m: d.drift(
                query=q, sort=s or "first_seen", continue_token=t, limit=n
            ),
            key=lambda x: f"{x.provider}/{x.kind}/{x.resource_id}/{x.drift}",
            default_sort="first_seen",
            aliases=("dr",),
            scopes={"tenant": "tenant", "provider": "provider"},
        ),
        View(
            "violations",
            "tui.violations",
            (
                Column("id", _attr("id"), "id"),
                Column("tui.rule", _attr("rule_id"), "rule_id"),
                Column("tui.severity", _attr("severity"), "severity", status=True),
                Column("tenant", _attr("tenant"), "tenant"),
                Column("system", _attr("system"), "system"),
                Column("state", _attr("state"), "state", status=True),
                Column("tui.subject", _attr("subject_id"), "subject_id"),
            ),
            lambda d, q, s, t, n, m: d.violations(
                query=q, sort=s or "id", continue_token=t, limit=n
            ),
            key=lambda v: str(v.id),
            default_sort="id",
            aliases=("violation", "viol", "vio"),
            actions={"waiver": "waiver.request"},
            scopes={"tenant": "tenant"},
        ),
        View(
            "waivers",
            "tui.waivers",
            (
                Column("id", _attr("id"), "id"),
                Column("tui.rule", _attr("rule_id"), "rule_id"),
                Column("tui.target", lambda x: f"{x.scope}:{x.target}", "target"),
                Column("state", _attr("state"), "state", status=True),
                Column("requester", _attr("requester"), "requester"),
                Column("expires", _attr("expires_at"), "expires_at"),
            ),
            lambda d, q, s, t, n, m: d.waivers(query=q, sort=s or "id", continue_token=t, limit=n),
            key=lambda x: str(x.id),
            default_sort="id",
            aliases=("waiver", "wv"),
            actions={"approve": "waiver.approve"},
        ),
        View(
            "statements",
            "tui.statements",
            (
                Column("tenant", lambda v: v.statement.tenant, "tenant"),
                Column("tenant_name", lambda v: v.statement.tenant_name, "tenant_name"),
                Column("state", _attr("state"), "state", status=True),
                Column("total", lambda v: v.statement.total, "total"),
                Column("month_to_date", lambda v: v.budget.month_to_date, "month_to_date"),
                Column("annual_budget", lambda v: v.budget.annual_budget, "annual_budget"),
            ),
            lambda d, q, s, t, n, m: d.bills(
                _month(m), query=q, sort=s or "tenant", continue_token=t, limit=n
            ),
            key=lambda v: v.statement.tenant,
            default_sort="tenant",
            aliases=("statement", "bills", "bill", "st"),
            actions={
                "confirm": "bill.confirm",
                "finalize": "bill.finalize",
                "export": "bill.export",
            },
            scopes={"tenant": "tenant"},
        ),
        View(
            "audit",
            "tui.audit",
            (
                Column("tui.seq", _attr("seq"), "seq"),
                Column("tui.at", _attr("at"), None),
                Column("actor", _attr("actor"), None),
                Column("action", _attr("action"), None),
                Column("tui.subject", _attr("subject"), None),
            ),
            lambda d, q, s, t, n, m: d.audit_log(
                query=q, sort=s or "-seq", continue_token=t, limit=n
            ),
            key=lambda e: str(e.seq),
            default_sort="-seq",
            aliases=("auditlog", "log", "events"),
            reads="audit.list",
        ),
        View(
            "jobs",
            "tui.jobs",
            (
                Column("name", _attr("name"), "name"),
                Column("tui.schedule", _attr("schedule"), "schedule"),
                Column(
                    "tui.last_run",
                    lambda j: j.last.state if j.last else None,
                    "last_state",
                    status=True,
                ),
                Column("tui.next_due", _attr("next_due"), "next_due"),
                Column("tui.runs", _attr("runs"), "runs"),
                Column("tui.failures", _attr("failures"), "failures"),
            ),
            lambda d, q, s, t, n, m: d.job_list(
                query=q, sort=s or "name", continue_token=t, limit=n
            ),
            key=lambda j: str(j.name),
            default_sort="name",
            drill=lambda j: ("jobruns", f"job:{j.name}"),
            aliases=("job", "cron", "scheduled"),
            reads="job.list",
        ),
        View(
            "jobruns",
            "tui.job_runs",
            (
                Column("id", _attr("id"), "id"),
                Column("tui.job", _attr("job"), "job"),
                Column("tui.due", _attr("due_at"), "due_at"),
                Column("state", _attr("state"), "state", status=True),
                Column("tui.requested_by", _attr("requested_by"), "requested_by"),
                Column("tui.failures", _attr("failures"), "failures"),
                Column("error", _attr("error"), "error"),
            ),
            lambda d, q, s, t, n, m: d.job_runs(
                query=q, sort=s or "-due_at", continue_token=t, limit=n
            ),
            key=lambda r: str(r.id),
            default_sort="-due_at",
            aliases=("runs", "jr"),
            reads="job.show",
        ),
    ]
    return {v.name: v for v in views}


VIEWS: dict[Lang, dict[str, View]] = {"zh": _views("zh"), "en": _views("en")}
ALIASES: dict[str, str] = {
    alias: view.name for view in VIEWS["en"].values() for alias in (view.name, *view.aliases)
}


def resolve_view(text: str) -> str | None:
    """The view a ``:`` command names (a name, an alias, or a unique prefix of one)."""
    word = text.strip().lower()
    if word in ALIASES:
        return ALIASES[word]
    found = {ALIASES[a] for a in ALIASES if a.startswith(word)} if word else set()
    return found.pop() if len(found) == 1 else None


def complete(text: str) -> str:
    """Tab completion of a ``:`` command: the longest common prefix of the names it
    starts (unchanged when nothing matches)."""
    word = text.strip().lower()
    names = sorted(a for a in ALIASES if a.startswith(word))
    if not names:
        return text
    first, last = names[0], names[-1]
    common = 0
    while common < min(len(first), len(last)) and first[common] == last[common]:
        common += 1
    return first[:common] if common > len(word) else text


def plain(value: object) -> object:
    """``value`` as plain dicts, lists and scalars (models and dataclasses unfolded)."""
    if isinstance(value, BaseModel):
        return {k: plain(v) for k, v in value.model_dump().items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


def record_fields(record: object) -> list[tuple[str, object]]:
    """A record as (field, value) pairs, nested values as plain dicts and lists."""
    found = plain(record)
    if isinstance(found, dict):
        return list(found.items())
    return [("value", found)]


def render_value(value: object, indent: int = 0) -> Sequence[str]:
    """A plain value as indented YAML-like lines."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        lines: list[str] = []
        for k, v in value.items():
            if isinstance(v, dict | list) and v:
                lines.append(f"{pad}{k}:")
                lines.extend(render_value(v, indent + 1))
            else:
                lines.append(f"{pad}{k}: {_scalar(v)}")
        return lines
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        out: list[str] = []
        for v in value:
            sub = render_value(v, indent + 1)
            out.append(f"{pad}- {sub[0].strip()}")
            out.extend(sub[1:])
        return out
    return [pad + _scalar(value)]


def _scalar(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dict | list) and not value:
        return "{}" if isinstance(value, dict) else "[]"
    return str(value)
