"""tui — the operators' terminal UI (Textual): screens, widgets and ``.tcss``.

Talks to ``controlplane`` services only: no SQL, no drivers, no cloud SDKs. Nothing
below it may import it (or ``textual``).
"""
