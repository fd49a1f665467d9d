"""The console's key line: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer recomposes (unmounts and mounts a widget per key, styles and renders
each) whenever the screen publishes that its bindings changed, and focus moving is such
a change: every ``/`` filter moved focus to the prompt and back, rebuilding ~20 keys
twice though none of them had changed. Here a change is acted on only when the shown
keys (key, action, description, enabled, tooltip, group) differ from the last built,
and not while a widget of ``hold_for`` (the console's prompt) has focus: Textual drops
the printable keys from the active bindings while text is typed, and the key line would
be rebuilt without them on the way in and with them on the way out. The line keeps
describing the list, where the keys act again once the prompt is closed.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

__all__ = ["KeyFooter"]

#: one shown key as the footer draws it
_Shown = tuple[str, str, str, bool, str, object]


class KeyFooter(Footer):
    _shown: tuple[_Shown, ...] | None = None

    def __init__(self, *, hold_for: tuple[type[Widget], ...] = ()) -> None:
        super().__init__()
        self.hold_for = hold_for

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if not (screen.app.app_focus and self.is_attached and screen is self.screen):
            super().bindings_changed(screen)  # nothing rebuilt now: nothing to remember
            return
        if self._bindings_ready and isinstance(screen.focused, self.hold_for):
            return
        shown = tuple(
            (b.key, b.action, b.description, enabled, tooltip or "", b.group)
            for _namespace, b, enabled, tooltip in screen.active_bindings.values()
            if b.show
        )
        if self._bindings_ready and shown == self._shown:
            return
        self._shown = shown
        super().bindings_changed(screen)
