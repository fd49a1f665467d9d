"""``ConsoleApp``: the operations console over one :class:`~controlplane.facade.Govcloud`.

k9s-style: ``:`` jumps to a view (aliases, Tab completes), ``/`` filters in the
database through the facade (``text``, ``field:value``, ``!`` negates), ``s``/``r`` sort
by a column on its typed value, ``d`` describes, ``enter`` drills down, ``esc`` goes back
along the breadcrumbs. Rows come a page at a time as the cursor nears the end, so a list
of a hundred thousand resources costs one page. Every facade call runs in a thread worker
that posts a typed message back: a slow call never freezes the screen.

Read-only by default; ``w`` allows writes for a role that has any, and every write asks
for a confirmation that names its targets and their count (an approval also shows each
request's plan, price and policy verdicts). Actions the role may not do are hidden (and
the facade refuses them anyway). ``y`` shows a record as YAML; ``+`` pins a tenant or
provider to ``1``–``9`` and those keys narrow every list to it (``0``: all); the header
shows the clouds' connection state from their latest probes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import yaml
from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.theme import Theme
from textual.widgets import Input, Static

from controlplane.facade import RULES, GovcloudError, Month, Page
from controlplane.i18n import Lang, tr
from tui.detail import plan_lines, statement_lines
from tui.door import Door
from tui.footer import KeyFooter
from tui.screens import ConfirmScreen, DescribeScreen, HelpScreen
from tui.status import status_text
from tui.table import Table
from tui.views import (
    PAGE,
    VIEWS,
    View,
    complete,
    current_month,
    plain,
    record_fields,
    render_value,
    resolve_view,
)

__all__ = ["HIGH_CONTRAST", "ConsoleApp", "Pins", "Place"]

#: white on black, yellow accents: the high-contrast theme (``--high-contrast``)
HIGH_CONTRAST = Theme(
    name="govcloud-high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#ffff00",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#1c1c1c",
    boost="#303030",
    success="#00ff00",
    warning="#ffff00",
    error="#ff6060",
    dark=True,
)

#: how many targets one confirmation may name
BULK_LIMIT = 50
#: how long a waiver asked for from the console lasts
WAIVER_DAYS = 90
#: load the next page when the cursor is this close to the last loaded row
PREFETCH = 20


#: the views that read one month (the others ignore a month and would only show it)
_MONTHLY = frozenset({"overview", "tiles", "statements"})


@dataclass(frozen=True)
class Place:
    """Where the console is: a view, its filter, its sort (``-field``: descending) and,
    for the statements, the month (``None``: this month)."""

    view: str
    query: str = ""
    sort: str | None = None
    month: str | None = None


class Pins:
    """Scopes pinned to the keys 1–9 (``0``: no scope): ``tenant:CODE`` or
    ``provider:NAME``, kept in ``path`` (JSON) when one is given."""

    def __init__(self, path: Path | None = None, initial: Sequence[str] = ()) -> None:
        self.path = path
        found: list[str] = list(initial)
        if path is not None and path.is_file():
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                stored = []
            found = (
                [str(x) for x in stored if isinstance(x, str)] if isinstance(stored, list) else []
            )
        self.slots: list[str] = found[:9]

    def get(self, slot: int) -> str | None:
        return self.slots[slot - 1] if 1 <= slot <= len(self.slots) else None

    def pin(self, scope: str) -> int:
        """The slot ``scope`` is on (pinned to the next free one, the oldest replaced)."""
        if scope in self.slots:
            return self.slots.index(scope) + 1
        if len(self.slots) == 9:
            self.slots.pop(0)
        self.slots.append(scope)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self.slots), encoding="utf-8")
        return self.slots.index(scope) + 1


class PageLoaded(Message):
    def __init__(self, generation: int, page: Page[Any], append: bool) -> None:
        super().__init__()
        self.generation = generation
        self.page = page
        self.append = append


class LoadFailed(Message):
    def __init__(self, generation: int, error: str) -> None:
        super().__init__()
        self.generation = generation
        self.error = error


class CountLoaded(Message):
    def __init__(self, generation: int, total: int | None) -> None:
        super().__init__()
        self.generation = generation
        self.total = total


class ActionDone(Message):
    def __init__(self, summary: str, errors: Sequence[str]) -> None:
        super().__init__()
        self.summary = summary
        self.errors = list(errors)


class CloudsRead(Message):
    def __init__(self, states: list[Any] | None) -> None:
        super().__init__()
        self.states = states


class ConfirmReady(Message):
    """What a confirmation shows, read in a thread (e.g. each request's plan)."""

    def __init__(self, ask: Callable[[Sequence[str]], None], details: Sequence[str]) -> None:
        super().__init__()
        self.ask = ask
        self.details = list(details)


class DescribeReady(Message):
    def __init__(self, title: str, lines: Sequence[str]) -> None:
        super().__init__()
        self.title = title
        self.lines = list(lines)


class Lane:
    """One facade call at a time for one purpose (a page, a count): one asked for while
    another runs waits for it, replacing any older one waiting, so keys pressed faster
    than the database answers cost the running call and the newest, never a pile-up."""

    def __init__(self) -> None:
        self.busy = False
        self.waiting: Callable[[], object] | None = None

    def run(self, start: Callable[[], object]) -> None:
        """``start`` the call now, or once the running one is :meth:`done`."""
        if self.busy:
            self.waiting = start
        else:
            self.busy = True
            start()

    def done(self) -> None:
        """The running call answered: start the one waiting, if any."""
        start, self.waiting = self.waiting, None
        self.busy = start is not None
        if start is not None:
            start()


class CommandBar(Input):
    """The ``:``/``/`` prompt; Tab completes a view name after ``:``, ``esc`` closes it."""

    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("tab", "complete", show=False, priority=True),
    ]

    mode = "command"

    async def _on_key(self, event: events.Key) -> None:
        # ``esc`` is handled here, not bound: a binding of the prompt's own would hide the
        # console's ``esc`` (back) from the key line while the prompt has focus, and the
        # key line would be rebuilt twice for every filter (on the way in and out)
        if event.key == "escape":
            event.stop()
            event.prevent_default()
            self.action_close()

    def action_complete(self) -> None:
        if self.mode == "command":
            self.value = complete(self.value)
            self.cursor_position = len(self.value)

    def action_close(self) -> None:
        self.value = ""
        self.display = False
        self.screen.set_focus(self.screen.query_one(Table))


#: the row actions the console offers and their keys (each view says which facade
#: action each needs: :attr:`View.actions`)
_ROW_ACTIONS = {"approve": "a", "reject": "x", "sync": "S", "provision": "P", "retry": "R",
                "waiver": "W", "gaps": "g", "confirm": "c", "finalize": "F",
                "export": "e"}  # fmt: skip


class ConsoleApp(App[None]):
    CSS_PATH = Path(__file__).with_name("console.tcss")
    TITLE = "govcloud"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        door: Door,
        *,
        lang: Lang = "en",
        start: str = "overview",
        query: str = "",
        refresh_seconds: float = 15.0,
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
        pins: Pins | None = None,
        high_contrast: bool = False,
    ) -> None:
        super().__init__()
        if high_contrast:
            self.register_theme(HIGH_CONTRAST)
            self.theme = HIGH_CONTRAST.name
        self.high_contrast = high_contrast
        self.pins = pins or Pins()
        #: the pinned scope in force (``tenant:CODE`` / ``provider:NAME``), or ``None``
        self.scope: str | None = None
        #: every provider's latest probe (``None``: not read yet, or refused)
        self.clouds: list[Any] | None = None
        self.door = door
        self.lang = lang
        self.views = VIEWS[lang]
        self.history: list[Place] = [Place(start, query)]
        self.writable = False
        self.paused = False
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self.as_of: datetime | None = None
        self.failed: str | None = None
        self.items: list[Any] = []
        self.total: int | None = None
        self.token: str | None = None
        self.loading = False
        self.generation = 0
        self.pages, self.counts = Lane(), Lane()
        self.marks: set[str] = set()
        self._columns_of: str | None = None
        self.header_line = Static(id="header")
        self.crumbs_line = Static(id="crumbs")
        self.title_line = Static(id="title")
        self.table = Table(id="table", zebra_stripes=True)
        self.bar = CommandBar(id="bar")
        self.bar.display = False
        self._bind_keys()

    # ---- keys ----------------------------------------------------------------------

    def _bind_keys(self) -> None:
        def t(key: str) -> str:
            return tr(f"tui.key.{key}", self.lang)

        keys = [
            ("colon", "command", t("command"), True),
            ("slash", "filter", t("filter"), True),
            ("d", "describe", t("describe"), True),
            ("escape", "go_back", t("back"), True),
            ("s", "sort", t("sort"), True),
            ("r", "reverse", t("reverse"), False),
            ("p", "pause", t("pause"), False),
            ("ctrl+r", "reload", t("refresh"), False),
            ("w", "toggle_write", t("write"), True),
            ("space", "mark", t("mark"), True),
            ("a", "approve", t("approve"), True),
            ("x", "reject", t("reject"), True),
            ("S", "sync", t("sync"), True),
            ("P", "provision", t("provision"), True),
            ("R", "retry", t("retry"), True),
            ("W", "waiver", t("waiver"), True),
            ("g", "gaps", t("gaps"), True),
            ("c", "confirm", t("confirm"), True),
            ("F", "finalize", t("finalize"), True),
            ("e", "export", t("export"), True),
            ("y", "raw", t("raw"), False),
            ("plus", "pin", t("pin"), False),
            ("question_mark", "help", t("help"), True),
            ("q", "quit", t("quit"), False),
        ]
        for key, action, description, show in keys:
            self.bind(key, action, description=description, show=show)
        self.bind("0", "scope(0)", description=t("scope_all"), show=False)
        for slot in range(1, 10):
            self.bind(str(slot), f"scope({slot})", description=t("scope"), show=False)

    def _role_may(self, action: str) -> bool:
        rule = RULES.get(action)  # type: ignore[call-overload]
        return rule is not None and bool(set(rule.roles) & set(self.door.identity.roles))

    def _writes(self) -> list[str]:
        return sorted({a for v in self.views.values() for a in v.actions.values()
                       if self._role_may(a)})  # fmt: skip

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _ROW_ACTIONS:
            needed = self.view.actions.get(action)
            return needed is not None and self._role_may(needed)
        if action == "mark":
            return any(self._role_may(a) for a in self.view.actions.values())
        if action == "toggle_write":
            return bool(self._writes())
        if action == "pin":
            return self.place.view in ("tenants", "providers")
        if action == "scope" and parameters:
            slot = parameters[0]
            return slot == 0 or (isinstance(slot, int) and self.pins.get(slot) is not None)
        return True

    def _may_read(self, view: View) -> bool:
        return view.reads is None or self._role_may(view.reads)

    # ---- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # held, not queried: a query searches the screen on top (a describe, a confirm)
        yield self.header_line
        yield self.crumbs_line
        yield self.title_line
        yield self.table
        yield self.bar
        yield KeyFooter(hold_for=(CommandBar,))

    def on_mount(self) -> None:
        self.table.focus()
        self.set_interval(1.0, self._draw_header)
        self.set_interval(self.refresh_seconds, self._tick)
        self.go(self.place, push=False)
        self._read_clouds()

    def _read_clouds(self) -> None:
        """In a thread: every provider's latest probe, for the header."""

        def work() -> None:
            try:
                states = list(self.door.provider_states())
            except GovcloudError:
                states = None
            self.post_message(CloudsRead(states))

        self.run_worker(work, thread=True, group="clouds")

    @on(CloudsRead)
    def _clouds_read(self, message: CloudsRead) -> None:
        self.clouds = message.states
        self._draw_header()

    def _clouds_text(self) -> Text | None:
        """``clouds ✓3 ✗1 (city-b) ?2``: up, down (named) and never probed; nothing
        before any provider was probed."""
        states = self.clouds
        if states is None or all(s.reachable is None for s in states):
            return None
        up = sum(1 for s in states if s.up)
        down = [s.name for s in states if s.up is False]
        unknown = sum(1 for s in states if s.up is None)
        text = Text(f"  {self._word('tui.clouds')} ✓{up}")
        if down:
            names = ", ".join(down[:3]) + (" …" if len(down) > 3 else "")
            text.append(f" ✗{len(down)} ({names})", style="bold red")
        if unknown:
            text.append(f" ?{unknown}")
        return text

    @property
    def place(self) -> Place:
        return self.history[-1]

    @property
    def view(self) -> View:
        return self.views[self.place.view]

    def _word(self, key: str) -> str:
        return tr(key, self.lang)

    def _draw_header(self) -> None:
        who = self.door.identity
        roles = ",".join(sorted(who.roles))
        mode = self._word("tui.write" if self.writable else "tui.read_only")
        mode_text = Text(f" {mode} ", style="bold black on yellow" if self.writable
                         else "bold white on dark_blue")  # fmt: skip
        line = Text.assemble(("govcloud ", "bold"), f"{who.name} ({roles}) ", mode_text)
        if self.as_of is not None:
            line.append(f"  {self._word('tui.as_of')} {self.as_of:%H:%M:%S}")
            age = (self.clock() - self.as_of).total_seconds()
            if self.failed is not None or age > 2 * self.refresh_seconds:
                line.append(f" ! {self._word('tui.stale')}", style="bold red")
        if self.paused:
            line.append(f"  ‖ {self._word('tui.paused')}", style="yellow")
        clouds = self._clouds_text()
        if clouds is not None:
            line.append_text(clouds)
        self.header_line.update(line)

    def _month_text(self) -> str:
        return self.place.month or current_month(self.clock())

    def _draw_title(self) -> None:
        place, view = self.place, self.view
        parts = [self._word(view.word)]
        if place.month is not None:
            parts.append(place.month)
        if self.scope is not None:
            applies = view.scoped(self.scope, "") != ""
            parts.append(f"@{self.scope}" if applies else f"(@{self.scope} —)")
        if place.query:
            parts.append(f"({place.query})")
        sort = place.sort or view.default_sort
        if sort:
            arrow = "↓" if sort.startswith("-") else "↑"
            parts.append(f"{self._word('tui.sort')}{arrow}{sort.lstrip('-')}")
        shown = f"[{len(self.items)}/{self.total if self.total is not None else '?'}]"
        parts.append(shown)
        if self.marks:
            parts.append(f"{self._word('tui.marked')} {len(self.marks)}")
        if self.loading:
            parts.append(self._word("tui.loading"))
        if self.failed:
            parts.append(f"✗ {self.failed}")
        self.title_line.update(" ".join(parts))
        crumbs = " › ".join(
            self._word(self.views[p.view].word) + (f"({p.query})" if p.query else "")
            for p in self.history
        )
        self.crumbs_line.update(crumbs)

    # ---- loading -------------------------------------------------------------------

    def go(self, place: Place, *, push: bool = True) -> None:
        """Show ``place`` (a new breadcrumb unless ``push`` is false) from its first page."""
        if push:
            self.history.append(place)
        else:
            self.history[-1] = place
        self.marks.clear()
        table = self.table
        if self._columns_of != place.view:  # a filter or sort keeps the columns
            table.clear(columns=True)
            table.add_column(" ", key="mark", width=1)
            for index, column in enumerate(self.view.columns):
                table.add_column(self._word(column.word).upper(), key=f"c{index}")
            self._columns_of = place.view
            self.refresh_bindings()  # the view's actions; a filter or sort keeps them
        else:
            # rows of another filter or order are not this place's: gone now, so the table
            # is not redrawn for them (focus returning from the prompt) before its own come
            table.clear()
        # the header marks the column the rows are sorted by
        sort = place.sort or self.view.default_sort
        keys = {c.sort: f"c{i}" for i, c in enumerate(self.view.columns) if c.sort}
        table.show_sort(keys.get(sort.lstrip("-")), descending=sort.startswith("-"))
        self.items, self.total, self.token = [], None, None
        self._load(append=False)

    def _load(self, *, append: bool) -> None:
        if not append:
            self.generation += 1
        self.loading = True
        self._draw_title()
        view, generation = self.view, self.generation
        place = replace(self.place, query=view.scoped(self.scope, self.place.query))
        token = self.token if append else None
        month = self._month_text()
        self.pages.run(
            lambda: self.run_worker(
                lambda: self._fetch(view, place, token, generation, append, month),
                thread=True,
                group="load",
            )
        )

    def _fetch(self, view: View, place: Place, token: str | None, generation: int,
               append: bool, month: str) -> None:  # fmt: skip
        """In a thread: one page from the facade, posted back as a message."""
        if generation != self.generation:  # left while it waited: not worth a query
            self.post_message(PageLoaded(generation, Page(items=()), append))
            return
        try:
            page = view.fetch(self.door, place.query or None, place.sort, token, PAGE, month)
        except GovcloudError as exc:
            self.post_message(LoadFailed(generation, exc.describe(self.lang)))
            return
        self.post_message(PageLoaded(generation, page, append))

    @on(PageLoaded)
    def _loaded(self, message: PageLoaded) -> None:
        self.pages.done()
        if message.generation != self.generation:
            return  # an answer for a place we have left
        table = self.table
        keep = None if message.append else table.cursor_row
        if not message.append:
            table.clear()
            self.items = []
        keys = [self.view.key(item) for item in message.page.items]
        table.add_rows(
            [self._row(item, key) for item, key in zip(message.page.items, keys, strict=True)],
            keys=keys,
        )
        self.items.extend(message.page.items)
        self.token = message.page.continue_token
        if message.page.total is not None or not message.append:
            self.total = message.page.total
        if self.total is None and not message.append and self.view.count is not None:
            query = self.view.scoped(self.scope, self.place.query)
            self._count(self.view.count, query or None, message.generation)
        self.loading = False
        self.failed = None
        self.as_of = self.clock()
        if keep is not None and self.items:
            table.move_cursor(row=min(keep, len(self.items) - 1))
        self._draw_title()
        self._draw_header()

    def _count(self, count: Callable[[Door, str | None], int | None], query: str | None,
               generation: int) -> None:  # fmt: skip
        def work() -> None:
            total = None
            # a refused count leaves the total unknown: the title shows "?"
            with suppress(GovcloudError):
                if generation == self.generation:  # still wanted after waiting its turn
                    total = count(self.door, query)
            self.post_message(CountLoaded(generation, total))

        self.counts.run(lambda: self.run_worker(work, thread=True, group="count"))

    @on(CountLoaded)
    def _counted(self, message: CountLoaded) -> None:
        self.counts.done()
        if message.generation == self.generation:
            self.total = message.total
            self._draw_title()

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self.pages.done()
        if message.generation != self.generation:
            return
        self.loading = False
        self.failed = message.error
        self.notify(message.error, severity="error")
        self._draw_title()
        self._draw_header()

    def _cell(self, column: Any, item: Any) -> Text | str:
        # the table shows a ``str`` as written (never parsed as markup: a name with ``[``
        # in it shows as it is), a status as a styled ``Text``
        value = column.get(item)
        if value is None:
            return "—"
        if column.status:
            return status_text(str(value))
        if isinstance(value, bool):
            return self._word("yes" if value else "no")
        if isinstance(value, datetime):
            return f"{value:%Y-%m-%d %H:%M}"
        return str(value)

    def _row(self, item: Any, key: str) -> list[Text | str]:
        mark = "*" if key in self.marks else " "
        return [mark, *(self._cell(c, item) for c in self.view.columns)]

    @on(Table.RowHighlighted)
    def _near_end(self, event: Table.RowHighlighted) -> None:
        if (self.token is not None and not self.loading
                and event.cursor_row >= len(self.items) - PREFETCH):  # fmt: skip
            self._load(append=True)

    def _tick(self) -> None:
        if not self.paused and not self.loading:
            self.token = None
            self._load(append=False)
            self._read_clouds()

    # ---- navigation ----------------------------------------------------------------

    def action_command(self) -> None:
        self._open_bar("command", ":")

    def action_filter(self) -> None:
        self._open_bar("filter", "/")

    def _open_bar(self, mode: str, prompt: str) -> None:
        bar = self.bar
        bar.mode = mode
        bar.placeholder = prompt + (" " + self._word("tui.help.filter") if mode == "filter"
                                    else " " + ", ".join(sorted(self.views)))  # fmt: skip
        bar.value = self.place.query if mode == "filter" else ""
        bar.display = True
        self.screen.set_focus(bar)  # now: the keys typed next are the prompt's

    @on(Input.Submitted, "#bar")
    def _submitted(self, event: Input.Submitted) -> None:
        bar = self.bar
        text = event.value.strip()
        bar.display = False
        bar.value = ""
        self.table.focus()
        if bar.mode == "filter":
            self.go(replace(self.place, query=text))
            return
        if text in ("q", "quit", "q!"):
            self.exit()
            return
        word, _, argument = text.partition(" ")
        name = resolve_view(word)
        month = argument.strip() or None
        if month is not None and not _is_month(month):
            self.notify(self._word("tui.bad_month").format(month=month), severity="warning")
            return
        if name is None or name not in self.views:
            self.notify(self._word("tui.unknown_view").format(name=text), severity="warning")
            return
        if not self._may_read(self.views[name]):
            self.notify(self._word("tui.view_forbidden").format(name=name), severity="warning")
            return
        self.go(Place(name, month=month))

    def action_go_back(self) -> None:
        if len(self.history) > 1:
            self.history.pop()
            self.go(self.history[-1], push=False)

    def action_sort(self) -> None:
        """Sort by the next sortable column (ascending)."""
        fields = [c.sort for c in self.view.columns if c.sort]
        if not fields:
            return
        current = (self.place.sort or self.view.default_sort).lstrip("-")
        nxt = fields[(fields.index(current) + 1) % len(fields)] if current in fields else fields[0]
        self.go(replace(self.place, sort=nxt), push=False)

    def action_reverse(self) -> None:
        current = self.place.sort or self.view.default_sort
        if current:
            flipped = current[1:] if current.startswith("-") else f"-{current}"
            self.go(replace(self.place, sort=flipped), push=False)

    def action_pause(self) -> None:
        self.paused = not self.paused
        self._draw_header()

    def action_reload(self) -> None:
        self._load(append=False)

    def _current(self) -> Any | None:
        table = self.table
        if not self.items or table.cursor_row >= len(self.items):
            return None
        return self.items[table.cursor_row]

    @on(Table.RowSelected)
    def _drill(self, event: Table.RowSelected) -> None:
        item = self._current()
        if item is None:
            return
        if self.place.view == "statements":
            title = f"{self._word('tui.statements')} {self.view.key(item)}"
            self.push_screen(DescribeScreen(title, statement_lines(item, self.lang), self.lang))
            return
        target = self.view.drill(item)
        if target is None:
            self.action_describe()
        else:
            # a month chosen with ``:overview YYYY-MM`` stays with the figures drilled from it
            month = self.place.month if target[0] in _MONTHLY else None
            self.go(Place(target[0], target[1], month=month))

    def action_describe(self) -> None:
        item = self._current()
        if item is None:
            return
        title = f"{self._word(self.view.word)} {self.view.key(item)}"
        if self.place.view == "requests":
            self.run_worker(lambda: self._describe_request(item.id, title), thread=True)
            return
        lines = render_value(dict(record_fields(item)))
        self.push_screen(DescribeScreen(title, lines, self.lang))

    def action_raw(self) -> None:
        """The selected record as YAML, every field as stored (a resource: the
        provider's own attributes under ``spec``)."""
        item = self._current()
        if item is None:
            return
        title = f"{self._word(self.view.word)} {self.view.key(item)} (YAML)"
        text = yaml.safe_dump(_yaml_safe(plain(item)), allow_unicode=True, sort_keys=False)
        self.push_screen(DescribeScreen(title, text.splitlines(), self.lang))

    def action_scope(self, slot: int) -> None:
        """``0``: every tenant and provider; ``1``–``9``: the scope pinned there."""
        scope = None if slot == 0 else self.pins.get(slot)
        if slot != 0 and scope is None:
            return
        self.scope = scope
        self.go(self.place, push=False)

    def action_pin(self) -> None:
        """Pin the selected tenant or provider to the next key 1–9."""
        item = self._current()
        if item is None:
            return
        scope = f"tenant:{item.code}" if self.place.view == "tenants" else f"provider:{item.name}"
        slot = self.pins.pin(scope)
        self.notify(self._word("tui.pinned").format(scope=scope, slot=slot))
        self.refresh_bindings()

    def _describe_request(self, request_id: int, title: str) -> None:
        try:
            detail = self.door.request(request_id)
        except GovcloudError as exc:
            self.post_message(DescribeReady(title, [exc.describe(self.lang)]))
            return
        self.post_message(DescribeReady(title, render_value(dict(record_fields(detail)))))

    @on(DescribeReady)
    def _show_description(self, message: DescribeReady) -> None:
        self.push_screen(DescribeScreen(message.title, message.lines, self.lang))

    def action_help(self) -> None:
        lines = [f"{self._word('tui.help.views')}:"]
        for view in self.views.values():
            if not self._may_read(view):
                continue
            lines.append(f"  :{view.name:<11} {', '.join(view.aliases)}  {self._word(view.word)}")
        lines += ["", self._word("tui.help.filter"), ""]
        for _key, active in sorted(self.active_bindings.items()):
            binding = active.binding
            if active.enabled and binding.description:
                lines.append(f"  {self.get_key_display(binding):<8} {binding.description}")
        self.push_screen(HelpScreen(self._word("tui.help.title"), lines))

    # ---- acting --------------------------------------------------------------------

    def action_toggle_write(self) -> None:
        if not self._writes():
            self.notify(self._word("tui.no_writes"), severity="warning")
            return
        self.writable = not self.writable
        self._draw_header()

    def action_mark(self) -> None:
        item = self._current()
        if item is None:
            return
        key = self.view.key(item)
        self.marks.symmetric_difference_update({key})
        table = self.table
        table.update_cell(key, "mark", "*" if key in self.marks else " ")
        table.move_cursor(row=min(table.cursor_row + 1, len(self.items) - 1))
        self._draw_title()

    def _targets(self) -> list[Any]:
        if self.marks:
            return [i for i in self.items if self.view.key(i) in self.marks]
        item = self._current()
        return [] if item is None else [item]

    def _act(self, name: str, call: Callable[[Any, str], object], *, reason: bool = False,
             describe: Callable[[Any], str] | None = None, ask: str | None = None,
             details: Callable[[list[Any]], list[str]] | None = None,
             targets: list[Any] | None = None) -> None:  # fmt: skip
        """Confirm ``name`` on the marked rows (or the selected one, or ``targets``), then
        ``call`` each in a thread; ``details`` (read in a thread) adds what each would do
        to the confirmation, ``ask`` asks for a text (a reason, a file path)."""
        if not self.check_action(name, ()):
            return  # a key the role or the view does not offer
        if not self.writable:
            self.notify(self._word("tui.read_only_refused"), severity="warning")
            return
        targets = self._targets() if targets is None else targets
        if not targets:
            return
        if len(targets) > BULK_LIMIT:
            self.notify(self._word("tui.confirm.limit").format(limit=BULK_LIMIT),
                        severity="warning")  # fmt: skip
            return
        label = self._word(f"tui.key.{name}")
        names = [describe(t) if describe else self.view.key(t) for t in targets]

        def answered(answer: str | None) -> None:
            if answer is None:
                return
            self.run_worker(lambda: self._apply(label, call, targets, answer), thread=True)

        def ask_now(lines: Sequence[str]) -> None:
            screen = ConfirmScreen(label, names, self.lang, reason=reason, ask=ask, details=lines)
            self.push_screen(screen, answered)

        if details is None:
            ask_now(())
            return

        def read() -> None:
            try:
                lines = details(targets)
            except GovcloudError as exc:
                lines = [f"✗ {exc.describe(self.lang)}"]
            self.post_message(ConfirmReady(ask_now, lines))

        self.run_worker(read, thread=True, group="confirm")

    @on(ConfirmReady)
    def _confirm_ready(self, message: ConfirmReady) -> None:
        message.ask(message.details)

    def _apply(self, label: str, call: Callable[[Any, str], object], targets: list[Any],
               reason: str) -> None:  # fmt: skip
        """In a thread: the action on each target; one message with what happened."""
        errors: list[str] = []
        for target in targets:
            try:
                call(target, reason)
            except GovcloudError as exc:
                errors.append(exc.describe(self.lang))
        ok = len(targets) - len(errors)
        summary = self._word("tui.done").format(action=label, ok=ok, failed=len(errors))
        self.post_message(ActionDone(summary, errors))

    @on(ActionDone)
    def _acted(self, message: ActionDone) -> None:
        self.notify(message.summary, severity="error" if message.errors else "information")
        for error in message.errors[:5]:
            self.notify(error, severity="error")
        self.marks.clear()
        self._load(append=False)

    def _request_name(self, r: Any) -> str:
        return f"#{r.id} {r.tenant}/{r.system_name} ({r.action}, {r.state})"

    def action_approve(self) -> None:
        if self.place.view == "waivers":
            self._act("approve", lambda w, _r: self.door.approve_waiver(w.id),
                      describe=lambda w: f"#{w.id} {w.rule_id} {w.scope}:{w.target}")  # fmt: skip
        else:
            self._act("approve", lambda r, why: self.door.approve(r.id, reason=why or None),
                      describe=self._request_name, details=self._plans)  # fmt: skip

    def _plans(self, targets: list[Any]) -> list[str]:
        """In a thread: each request's plan — changes, monthly price, policy verdicts."""
        lines: list[str] = []
        for r in targets:
            detail = self.door.request(r.id)
            lines.extend(plan_lines(self._request_name(r), detail.plan, self.lang))
        return lines

    def action_provision(self) -> None:
        self._act("provision", lambda r, _r: self.door.provision(r.id),
                  describe=self._request_name)  # fmt: skip

    def action_retry(self) -> None:
        """Provision again the requests whose provisioning failed (it resumes)."""
        targets = [r for r in self._targets() if r.state == "Failed"]
        if not targets:
            self.notify(self._word("tui.retry_none"), severity="warning")
            return
        self._act("retry", lambda r, _r: self.door.provision(r.id), describe=self._request_name,
                  targets=targets)  # fmt: skip

    def action_waiver(self) -> None:
        """Ask for a waiver of each selected violation's rule on its subject (the
        system, or the resource), for :data:`WAIVER_DAYS`; another principal approves."""
        from controlplane.facade import WaiverScope

        expires = self.clock() + timedelta(days=WAIVER_DAYS)

        def ask(v: Any, why: str) -> object:
            scope, target = ((WaiverScope.SYSTEM, str(v.system)) if v.subject_kind == "system"
                             else (WaiverScope.RESOURCE, str(v.subject_id)))  # fmt: skip
            return self.door.request_waiver(rule_id=v.rule_id, scope=scope, target=target,
                                            reason=why, expires_at=expires)  # fmt: skip

        self._act("waiver", ask, reason=True,
                  describe=lambda v: f"#{v.id} {v.rule_id} {v.subject_kind}:{v.subject_id} "
                                     f"→ {expires:%Y-%m-%d}")  # fmt: skip

    def action_gaps(self) -> None:
        """Acknowledge this month's open metering gaps of the selected providers."""
        month = Month.parse(self._month_text())
        self._act("gaps", lambda p, why: self.door.acknowledge_month(month, p.name, reason=why),
                  reason=True, describe=lambda p: f"{p.name} {month}")  # fmt: skip

    def action_confirm(self) -> None:
        month = Month.parse(self._month_text())
        self._act("confirm", lambda v, _r: self.door.confirm_bills(month, tenant=v.statement.tenant),
                  describe=lambda v: f"{v.statement.tenant} {month} ({v.state})")  # fmt: skip

    def action_finalize(self) -> None:
        """Finalize the whole month (every statement: a finalized bill never changes)."""
        if not self.items:
            return
        month = Month.parse(self._month_text())
        self._act("finalize", lambda _m, _r: self.door.finalize_bills(month),
                  describe=lambda _m: f"{month} ({len(self.items)} {self._word('tui.statements')})",
                  targets=[month])  # fmt: skip

    def action_export(self) -> None:
        """Write the month's statements (the selected tenants', or all) to a file; its
        suffix says the format (csv, xlsx, pdf, json)."""
        if not self.items:
            return
        month = Month.parse(self._month_text())
        tenants = [v.statement.tenant for v in self._targets()] if self.marks else [None]

        def export(tenant: str | None, path: str) -> object:
            out = Path(path).expanduser()
            fmt = out.suffix.lstrip(".").lower()
            if fmt not in ("csv", "xlsx", "pdf", "json"):
                from controlplane.facade import InvalidInput

                raise InvalidInput(f"文件后缀须为 csv、xlsx、pdf 或 json：{out}",
                                   f"the file must end in .csv, .xlsx, .pdf or .json: {out}")  # fmt: skip
            if tenant is not None and len(tenants) > 1:
                out = out.with_name(f"{out.stem}-{tenant}{out.suffix}")
            return self.door.export_bills(month, fmt, out, tenant=tenant, lang=self.lang)

        self._act("export", export, ask=self._word("tui.export_path"), targets=tenants,
                  describe=lambda t: f"{month} {t or self._word('tui.all_tenants')}")  # fmt: skip

    def action_reject(self) -> None:
        self._act("reject", lambda r, why: self.door.reject(r.id, reason=why), reason=True,
                  describe=self._request_name)  # fmt: skip

    def action_sync(self) -> None:
        self._act("sync", lambda p, _r: self.door.sync_provider(p.name))


def _yaml_safe(value: object) -> object:
    """Plain values YAML can write as they read: times as ISO-8601, money as text."""
    if isinstance(value, dict):
        return {str(k): _yaml_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_yaml_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _is_month(text: str) -> bool:
    try:
        Month.parse(text)
    except ValueError:
        return False
    return True
