"""``get resources --limit N --continue TOKEN``: keyset pages over the inventory.

Cases (SQLite and PostgreSQL): following the printed tokens visits every resource once,
in the list's order, whatever the page size; resources without a tenant (unmanaged)
sort with the rest; a resource added before the last page shown does not shift the next
page; a token of another list, or garbage, is a usage error (exit 2).
"""

from __future__ import annotations

import json
import re

import pytest

from controlplane.cli.main import main
from providers import DesiredResource

from .conftest import World, server


def _page(
    cli: list[str], capsys: pytest.CaptureFixture[str], limit: int, token: str | None
) -> tuple[list[str], str | None]:
    capsys.readouterr()
    more = ["--continue", token] if token else []
    assert main([*cli, "get", "resources", "--limit", str(limit), *more, "-o", "json"]) == 0
    captured = capsys.readouterr()
    found = re.search(r"--continue (\S+)", captured.err)
    return [r["resource_id"] for r in json.loads(captured.out)], found and found.group(1)


def _all_pages(cli: list[str], capsys: pytest.CaptureFixture[str], limit: int) -> list[str]:
    seen: list[str] = []
    token: str | None = None
    while True:
        ids, token = _page(cli, capsys, limit, token)
        seen += ids
        if token is None:
            return seen


def test_pages_visit_every_resource_once_in_order(
    world: World, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    world.apply([server(f"web-{n}") for n in range(7)])
    world.sim.add_unmanaged([DesiredResource("server", "hand-made", {"vcpu": 1})])
    assert main([*cli, "provider", "sync", "sim-health"]) == 0
    capsys.readouterr()
    assert main([*cli, "get", "resources", "-o", "json"]) == 0
    everything = [r["resource_id"] for r in json.loads(capsys.readouterr().out)]
    assert len(everything) == 8
    for limit in (1, 3, 8, 50):
        assert _all_pages(cli, capsys, limit) == everything, limit

    _, token = _page(cli, capsys, 3, None)
    world.apply([server("aaa-added-later")])  # sorts before every web-N
    assert main([*cli, "provider", "sync", "sim-health"]) == 0
    following, _ = _page(cli, capsys, 3, token)
    assert following == everything[3:6]


@pytest.mark.parametrize("token", ["WyJ0ZW5hbnQgbGlzdCIsWyJocnNzIl1d", "not-a-token!"])
def test_a_foreign_or_broken_token_is_a_usage_error(
    cli: list[str], capsys: pytest.CaptureFixture[str], token: str
) -> None:
    assert main([*cli, "get", "resources", "--continue", token]) == 2
    assert "--continue" in capsys.readouterr().err
