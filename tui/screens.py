"""Modal screens: describe a record, confirm an action on named targets, key help."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from controlplane.i18n import Lang, tr

__all__ = ["ConfirmScreen", "DescribeScreen", "HelpScreen"]


class DescribeScreen(ModalScreen[None]):
    """A record's fields (``d``) or a provider's raw record, scrollable; esc/q closes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,d", "dismiss_screen", show=False)]

    def __init__(self, title: str, lines: Sequence[str], lang: Lang) -> None:
        super().__init__()
        self._title = title
        self._lines = list(lines)
        self._lang = lang

    def compose(self) -> ComposeResult:
        with Vertical(id="describe"):
            yield Static(self._title, id="describe-title")
            with VerticalScroll():
                yield Static("\n".join(self._lines), id="describe-body", markup=False)
            yield Static(tr("tui.describe.close", self._lang), classes="hint")

    def action_dismiss_screen(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[str | None]):
    """Names the action, the exact targets and their count (``details``: what each would
    do, e.g. a request's plan, price and verdicts); answers the text asked for (``ask``:
    its label, e.g. a reason or a file path; ``""`` when nothing is asked) or ``None``
    when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", show=False),
        Binding("n", "cancel", show=False),
        Binding("y", "confirm", show=False),
    ]

    def __init__(
        self,
        action: str,
        targets: Sequence[str],
        lang: Lang,
        *,
        reason: bool = False,
        ask: str | None = None,
        details: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self._action = action
        self._targets = list(targets)
        self._lang = lang
        self._ask = ask if ask is not None else (tr("tui.confirm.reason", lang) if reason else None)
        self._reason = self._ask is not None
        self._details = list(details)

    def compose(self) -> ComposeResult:
        lang = self._lang
        with Vertical(id="confirm"):
            yield Static(tr("tui.confirm.title", lang), id="confirm-title")
            body = tr("tui.confirm.body", lang).format(
                action=self._action, count=len(self._targets)
            )
            yield Static(body, id="confirm-body")
            with VerticalScroll(id="confirm-list"):
                yield Static("\n".join(f"  • {t}" for t in self._targets), id="confirm-targets",
                             markup=False)  # fmt: skip
                if self._details:
                    yield Static("\n".join(self._details), id="confirm-details", markup=False)
            if self._reason:
                yield Input(placeholder=self._ask or "", id="confirm-reason")
            yield Button(tr("tui.confirm.yes", lang), id="yes", variant="error")
            yield Button(tr("tui.confirm.no", lang), id="no")

    def on_mount(self) -> None:
        if self._reason:
            self.query_one("#confirm-reason", Input).focus()
        else:
            self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "yes":
            self.action_confirm()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_confirm()

    def action_confirm(self) -> None:
        if not self._reason:
            self.dismiss("")
            return
        reason = self.query_one("#confirm-reason", Input).value.strip()
        if reason:
            self.dismiss(reason)
        else:
            self.notify(self._ask or "", severity="warning")

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """The keys, generated from the bindings active on the console when ``?`` was hit."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss_screen", show=False)
    ]

    def __init__(self, title: str, lines: Sequence[str]) -> None:
        super().__init__()
        self._title = title
        self._lines = list(lines)

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static(self._title, id="help-title")
            with VerticalScroll():
                yield Static("\n".join(self._lines), id="help-body", markup=False)

    def action_dismiss_screen(self) -> None:
        self.dismiss(None)
