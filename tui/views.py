"""The console's views: what each list reads from the facade and how its rows look.

A :class:`View` names its columns, fetches one keyset page for a filter and a sort, says
what ``enter`` opens and what ``d`` describes. Nothing here draws: the app does. Every
read goes through :class:`~controlplane.facade.Govcloud` methods (or a client with the
same methods), so the console works the same over the local home or a remote server.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from controlplane.facade import Month, Page
from controlplane.i18n import Lang, tr
from tui.door import Door

if TYPE_CHECKING:
    from controlplane.overview import (
        Capacity,
        CloudFigures,
        Figures,
        Health,
        Overview,
        Spend,
        TierFigures,
        Violations,
    )

__all__ = [
    "ALIASES",
    "VIEWS",
    "Column",
    "OverviewLine",
    "OverviewRow",
    "View",
    "cloud_scope",
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


#: the scopes a list of violations, requests or drift takes exactly (``@provider:NAME``:
#: one cloud, ``@tier:NAME``: a tier's clouds), as the facade's ``provider``/``tier``
#: (the resources list: ``@provider:`` only)
CLOUD_SCOPES = ("provider", "tier")


def cloud_scope(query: str | None,
                kinds: Sequence[str] = CLOUD_SCOPES) -> tuple[dict[str, str], str | None]:  # fmt: skip
    """``query``'s ``@provider:NAME`` / ``@tier:NAME`` terms as the facade's exact
    ``provider``/``tier`` arguments, and the rest of it (the ``/`` filter) as text. A
    tile opens its list with one, so the list holds exactly what the tile counted
    (a ``provider:`` filter is a substring: ``prov`` would match every ``prov-*``)."""
    found: dict[str, str] = {}
    rest: list[str] = []
    for raw in (query or "").split():
        kind, sep, value = raw[1:].partition(":") if raw.startswith("@") else ("", "", "")
        if sep and value and kind in kinds:
            found[kind] = value
        else:
            rest.append(raw)
    return found, " ".join(rest) or None


def _scoped_fetch(read: Callable[[Door], Callable[..., Page[Any]]], default_sort: str) -> Fetch:
    """A list ``read(door)`` that takes the query's ``@provider:``/``@tier:`` scope
    exactly (:func:`cloud_scope`) and the rest as its filter."""

    def fetch(door: Door, query: str | None, sort: str | None, token: str | None,
              limit: int, month: str) -> Page[Any]:  # fmt: skip
        scope, rest = cloud_scope(query)
        return read(door)(query=rest, sort=sort or default_sort, continue_token=token,
                          limit=limit, **scope)  # fmt: skip

    return fetch


def _resources_fetch(door: Door, query: str | None, sort: str | None, token: str | None,
                     limit: int, month: str) -> Page[Any]:  # fmt: skip
    scope, rest = cloud_scope(query, ("provider",))  # resources have no tier to take
    return door.resources(query=rest, sort=sort or "name", continue_token=token, limit=limit,
                          count=False, provider=scope.get("provider"))  # fmt: skip


def _resources_count(door: Door, query: str | None) -> int | None:
    scope, rest = cloud_scope(query, ("provider",))
    return door.resources(query=rest, limit=1, provider=scope.get("provider")).total


def _attr(name: str) -> Callable[[Any], object]:
    return lambda item: getattr(item, name)


def current_month(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m")


@dataclass(frozen=True)
class OverviewLine:
    """One row of the overview: the province, a tier (its clouds' total) or one cloud.
    Cells are text: a status is a glyph and a word, never a colour alone."""

    name: str
    #: the figures it opens: ``""`` (the province), ``tier:…`` or ``provider:…``
    scope: str
    health: str
    latency: str
    vcpu: str
    memory: str
    storage: str
    ips: str
    violations: str
    pending: int
    spend: str
    #: the departments' annual budget (the province's row only: no cloud has one)
    budget: str | None
    resources: int
    drift: int


@dataclass(frozen=True)
class OverviewRow:
    """One figure of a row of the overview (a tile) and the filtered list it opens."""

    area: str
    figure: str
    value: str
    view: str
    query: str


_GLYPH = {"up": "✓", "down": "✗", "never": "?"}


def _health(health: Health, lang: Lang) -> str:
    text = f"{_GLYPH[health.state]} {tr(f'tui.ov.{health.state}', lang)}"
    return f"{text} ({tr('tui.stale', lang)})" if health.stale else text


def _clouds(clouds: Sequence[CloudFigures], lang: Lang) -> str:
    """``✓3 ✗1 ?0``: how many are up, down, never probed (and how many probes are stale)."""
    counts = [sum(1 for c in clouds if c.health.state == s) for s in _GLYPH]
    text = " ".join(f"{g}{n}" for g, n in zip(_GLYPH.values(), counts, strict=True))
    stale = sum(1 for c in clouds if c.health.stale)
    return f"{text} ({tr('tui.stale', lang)} {stale})" if stale else text


def _latency(clouds: Sequence[CloudFigures]) -> str:
    """A cloud's latency; over several, the slowest cloud's (what holds an operator up)."""
    found = [c.health.latency_ms for c in clouds if c.health.latency_ms is not None]
    return "—" if not found else f"{max(found):.0f}"


def _capacity(capacity: Capacity, lang: Lang) -> str:
    used = f"{capacity.used.quantize(Decimal(1))}"
    if capacity.declared is None:
        return f"{used} {tr('tui.ov.untracked', lang)}"
    return f"{used}/{capacity.declared.quantize(Decimal(1))} {capacity.percent}%"


def _severities(v: Violations) -> str:
    return f"{v.critical}/{v.high}/{v.medium}/{v.low}"


def _line(name: str, scope: str, part: Figures, health: str,
          clouds: Sequence[CloudFigures], lang: Lang,
          budget: str | None = None) -> OverviewLine:  # fmt: skip
    return OverviewLine(
        name=name, scope=scope, health=health, latency=_latency(clouds),
        vcpu=_capacity(part.vcpu, lang), memory=_capacity(part.memory_gib, lang),
        storage=_capacity(part.storage_gib, lang), ips=_capacity(part.public_ips, lang),
        violations=_severities(part.violations), pending=part.pending, spend=str(part.spend),
        budget=budget, resources=part.resources, drift=part.drift,
    )  # fmt: skip


def _budget(spend: Spend, lang: Lang) -> str:
    over = f" ! {tr('projected_overrun', lang)}" if spend.projected_overrun else ""
    return f"{spend.annual_budget}{over}"


def _lines(found: Overview, lang: Lang) -> list[OverviewLine]:
    """The province first (its totals include what no placed system carries), then each
    tier's total followed by its clouds."""
    every = found.province.clouds
    # the province's spend is the statements' month-to-date (adjustments of no cloud too)
    province = dataclasses.replace(
        _line(tr("tui.ov.province", lang), "", found.province, _clouds(every, lang), every,
              lang, _budget(found.spend, lang)),
        spend=str(found.spend.month_to_date),
    )  # fmt: skip
    rows = [province]
    for tier in found.tiers:
        rows.append(_line(tr(tier.tier, lang), f"tier:{tier.tier}", tier,
                          _clouds(tier.clouds, lang), tier.clouds, lang))  # fmt: skip
        rows.extend(
            _line(f"  {c.name}", f"provider:{c.name}", c, _health(c.health, lang), [c], lang)
            for c in tier.clouds
        )
    return rows


def _overview_fetch(lang: Lang) -> Fetch:
    def fetch(door: Door, query: str | None, sort: str | None, token: str | None,
              limit: int, month: str) -> Page[Any]:  # fmt: skip
        rows = _lines(door.overview(_month(month)), lang)
        if query:  # a tier or a cloud by name: its rows stay with the province's
            rows = [r for r in rows if not r.scope or query.lower() in r.scope.lower()]
        return Page(items=tuple(rows), continue_token=None, total=len(rows))

    return fetch


def _part(found: Overview, scope: str) -> tuple[TierFigures | None, CloudFigures | None]:
    """The tier or the cloud ``scope`` names (``tier:…``, ``provider:…``); neither: the
    province's."""
    kind, _, name = scope.partition(":")
    for tier in found.tiers:
        if kind == "tier" and tier.tier == name:
            return tier, None
        for cloud in tier.clouds:
            if kind == "provider" and cloud.name == name:
                return None, cloud
    return None, None


def _tiles(found: Overview, scope: str, lang: Lang) -> list[OverviewRow]:
    """Each figure of one overview row, with the list it opens: a cloud's resources; a
    tier's clouds; the open drift, the open violations of a severity and the requests
    waiting for approval on the cloud or the tier's clouds (``@provider:…``/``@tier:…``,
    exact: the list holds what the figure counts), or the province's (of no cloud too)."""
    tier, cloud = _part(found, scope)
    part: Figures = cloud or tier or found.province
    clouds = [cloud] if cloud else list((tier or found.province).clouds)
    if cloud is None and tier is None:
        scope = ""  # not a tier or a cloud of this overview: the province's figures
    # a cloud's inventory is its resources (exact: ``@provider:…``), a tier's its clouds
    inventory = ("resources", f"@provider:{cloud.name}") if cloud else ("providers", scope)
    w = functools.partial(tr, lang=lang)
    health = _health(cloud.health, lang) if cloud else _clouds(clouds, lang)
    rows = [OverviewRow(w("tui.ov.health_area"), w("tui.ov.health"), health, "providers",
                        f"name:{cloud.name}" if cloud else scope)]  # fmt: skip
    if cloud is not None and cloud.health.checked_at is not None:
        rows.append(OverviewRow(w("tui.ov.health_area"), w("tui.ov.probed"),
                                f"{cloud.health.checked_at:%Y-%m-%d %H:%M}", "providers",
                                f"name:{cloud.name}"))  # fmt: skip
    rows.append(OverviewRow(w("tui.ov.health_area"), w("tui.ov.latency"),
                            f"{_latency(clouds)} ms", "providers", rows[0].query))  # fmt: skip
    for word, capacity in (("tui.ov.vcpu", part.vcpu), ("tui.ov.memory", part.memory_gib),
                           ("tui.ov.storage", part.storage_gib), ("tui.ov.ips", part.public_ips)):  # fmt: skip
        rows.append(OverviewRow(w("tui.ov.capacity"), w(word), _capacity(capacity, lang),
                                *inventory))  # fmt: skip
    # the lists of what is on a cloud: scoped exactly as the overview counted
    on = f"@provider:{cloud.name} " if cloud else (f"@{scope} " if scope else "")
    for severity in ("critical", "high", "medium", "low"):
        rows.append(OverviewRow(w("tui.violations"), w(f"tui.severity.{severity}"),
                                str(getattr(part.violations, severity)), "violations",
                                f"{on}state:open severity:{severity}"))  # fmt: skip
    rows.append(OverviewRow(w("tui.requests"), w("tui.pending_approvals"), str(part.pending),
                            "requests", f"{on}state:PendingApproval"))  # fmt: skip
    rows.append(OverviewRow(w("tui.resources"), w("tui.total"), str(part.resources),
                            *inventory))  # fmt: skip
    rows.append(OverviewRow(w("tui.drift"), w("tui.open"), str(part.drift), "drift",
                            on.strip()))  # fmt: skip
    spent = found.spend.month_to_date if not scope else part.spend
    rows.append(OverviewRow(w("tui.spend"), found.month, str(spent), "statements", ""))
    if not scope:  # the budget is the departments', not a cloud's or a tier's
        spend = found.spend
        rows += [
            OverviewRow(w("tui.spend"), w("annual_budget"), str(spend.annual_budget),
                        "statements", ""),
            OverviewRow(w("tui.spend"), w("tui.ov.year_to_date"),
                        str(spend.spent_before_month + spend.month_to_date), "statements", ""),
            OverviewRow(w("tui.spend"), w("tui.ov.projected_year"), str(spend.projected_year),
                        "statements", ""),
            OverviewRow(w("tui.spend"), w("projected_overrun"),
                        w("yes") if spend.projected_overrun else w("no"), "statements",
                        "projected_overrun:true"),
        ]  # fmt: skip
    return rows


def _tiles_fetch(lang: Lang) -> Fetch:
    def fetch(door: Door, query: str | None, sort: str | None, token: str | None,
              limit: int, month: str) -> Page[Any]:  # fmt: skip
        rows = _tiles(door.overview(_month(month)), (query or "").strip(), lang)
        return Page(items=tuple(rows), continue_token=None, total=len(rows))

    return fetch


def _month(text: str) -> Month:
    return Month.parse(text)


def _views(lang: Lang) -> dict[str, View]:
    views = [
        View(
            "overview",
            "tui.overview",
            # what the 驾驶舱 is read for first — health, violations, approvals, spend
            # against budget — fits 80 columns in zh and en; latency and capacity (each
            # cloud's tiles have them too) follow, a scroll to the right at that width
            (
                Column("tui.ov.cloud", _attr("name")),
                Column("tui.ov.health", _attr("health")),
                Column("tui.ov.violations", _attr("violations")),
                Column("tui.ov.pending", _attr("pending")),
                Column("tui.ov.spend", _attr("spend")),
                Column("tui.ov.budget", _attr("budget")),
                Column("tui.ov.ms", _attr("latency")),
                Column("tui.ov.vcpu", _attr("vcpu")),
                Column("tui.ov.memory", _attr("memory")),
                Column("tui.ov.storage", _attr("storage")),
                Column("tui.ov.ips", _attr("ips")),
                Column("tui.resources", _attr("resources")),
                Column("tui.drift", _attr("drift")),
            ),
            _overview_fetch(lang),
            key=lambda r: r.scope or "province",
            default_sort="",
            drill=lambda r: ("tiles", r.scope),
            aliases=("ov", "home", "dash"),
            reads="overview.show",
        ),
        View(
            "tiles",
            "tui.tiles",
            (
                Column("tui.area", _attr("area")),
                Column("tui.figure", _attr("figure")),
                Column("value", _attr("value")),
            ),
            _tiles_fetch(lang),
            key=lambda r: f"{r.area}:{r.figure}",
            default_sort="",
            drill=lambda r: (r.view, r.query),
            aliases=("figures", "tile"),
            reads="overview.show",
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
                Column("provider", _attr("provider"), "provider"),
                Column("action", _attr("action"), "action"),
                Column("state", _attr("state"), "state", status=True),
                Column("requester", _attr("requester"), "requester"),
                Column("updated", _attr("updated_at"), "updated_at"),
            ),
            _scoped_fetch(lambda d: d.requests, "id"),
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
            _resources_fetch,
            key=lambda r: f"{r.provider}/{r.kind}/{r.resource_id}",
            default_sort="name",
            aliases=("resource", "res", "rs"),
            scopes={"tenant": "tenant", "provider": "provider"},
            count=_resources_count,
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
            _scoped_fetch(lambda d: d.drift, "first_seen"),
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
                Column("provider", _attr("provider"), "provider"),
                Column("state", _attr("state"), "state", status=True),
                Column("tui.subject", _attr("subject_id"), "subject_id"),
            ),
            _scoped_fetch(lambda d: d.violations, "id"),
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
