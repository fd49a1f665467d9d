"""Status cells: a glyph and a word, colour only as a third cue (never the only one)."""

from __future__ import annotations

from rich.text import Text

__all__ = ["GLYPHS", "status_text", "tone_of"]

_TONES: dict[str, frozenset[str]] = {
    "ok": frozenset({
        "active", "ready", "approved", "confirmed", "finalized", "resolved", "available",
        "in-use", "running", "bound", "succeeded", "low", "waived", "ok", "passed",
    }),
    "wait": frozenset({
        "pending", "requested", "draft", "provisioning", "build", "creating", "planned",
        "submitted", "queued", "deleting",
    }),
    "bad": frozenset({
        "error", "failed", "rejected", "denied", "expired", "critical", "high", "down",
        "unreachable", "shutoff",
    }),
    "warn": frozenset({
        "open", "medium", "missing", "changed", "unmanaged", "spec_changed", "status_changed",
        "stale", "overrun",
    }),
}  # fmt: skip

#: glyph and style of each tone; the glyph alone tells them apart on a monochrome screen
GLYPHS: dict[str, tuple[str, str]] = {
    "ok": ("✓", "green"),
    "wait": ("…", "yellow"),
    "bad": ("✗", "bold red"),
    "warn": ("!", "dark_orange"),
    "other": ("·", ""),
}


_STEMS = (("fail", "bad"), ("error", "bad"), ("reject", "bad"), ("denied", "bad"),
          ("pending", "wait"), ("progress", "wait"), ("ready", "ok"), ("approved", "ok"))  # fmt: skip


def tone_of(status: str) -> str:
    word = status.lower()
    for tone, words in _TONES.items():
        if word in words:
            return tone
    return next((tone for stem, tone in _STEMS if stem in word), "other")


def status_text(status: str) -> Text:
    """``✓ ready``, ``✗ failed``…: glyph, space, the status word."""
    glyph, style = GLYPHS[tone_of(status)]
    return Text(f"{glyph} {status}", style=style)
