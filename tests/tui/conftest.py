"""The console's tests run on SQLite (the facade's engines are covered elsewhere)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from controlplane.app import App
from controlplane.config import Settings
from tests.conftest import FakeClock
from tests.tui.support import populate


@pytest.fixture
def province(tmp_path: Path) -> Iterator[tuple[App, dict[str, int]]]:
    home = tmp_path / "home"
    app = App(Settings(home=home, database_url=f"sqlite:///{home / 'govcloud.db'}"),
              clock=FakeClock())  # fmt: skip
    app.init()
    try:
        yield app, populate(app)
    finally:
        app.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
