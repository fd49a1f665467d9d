"""Lists over HTTP filter (``q``), sort and skip counting exactly as in-process: a
:class:`RemoteGovcloud` against a real server returns the facade's own pages, page by
page, and a malformed filter or sort is the facade's ``InvalidInput`` as problem+json."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from controlplane.app import App
from controlplane.errors import InvalidInput
from controlplane.facade import Govcloud, Page
from controlplane.remote import RemoteGovcloud
from tests.api.conftest import Server
from tests.tui.support import PER_PROVIDER, populate

Read = Callable[[Any, str | None], Page[Any]]

#: (list, filter, sort): every list the console reads, with a filter and a sort each
CASES: list[tuple[str, str, str]] = [
    ("resources", "provider:city-a kind:volume !vm-000", "-name"),
    ("resources", "ERROR", "status"),
    ("providers", "tier:city", "-name"),
    ("tenants", "!hrss", "name"),
    ("requests", "state:pending", "-tenant"),
    ("drift", "", "-first_seen"),
    ("violations", "", "-id"),
    ("waivers", "", "-id"),
    ("systems", "!city-a", "-name"),
    ("audit_log", "action:request !estate", "seq"),
    ("audit_log", "", "-seq"),
    ("job_list", "sync", "-name"),
    ("job_runs", "", "-due_at"),
]


def _pages(door: Any, name: str, query: str, sort: str, limit: int) -> list[Page[Any]]:
    pages: list[Page[Any]] = []
    token: str | None = None
    while True:
        page = getattr(door, name)(query=query or None, sort=sort, limit=limit,
                                   continue_token=token)  # fmt: skip
        pages.append(page)
        token = page.continue_token
        if token is None or len(pages) > 50:
            return pages


def _rows(page: Page[Any]) -> list[Any]:
    return [item.model_dump() if hasattr(item, "model_dump") else item for item in page.items]


@pytest.mark.parametrize(("name", "query", "sort"), CASES)
def test_http_list_pages_equal_the_in_process_ones(
    app: App, server: Server, name: str, query: str, sort: str
) -> None:
    populate(app)
    local = Govcloud.acting_as(app, "ops-li")
    remote = RemoteGovcloud(server.url, server.token("ops-li"))
    try:
        here = _pages(local, name, query, sort, 37)
        there = _pages(remote, name, query, sort, 37)
    finally:
        remote.close()
    assert [p.total for p in there] == [p.total for p in here]
    assert [p.continue_token for p in there] == [p.continue_token for p in here]
    assert [_rows(p) for p in there] == [_rows(p) for p in here]
    if name == "resources" and query.startswith("provider"):
        expected = sum(1 for i in range(PER_PROVIDER) if i % 3 == 0 and i >= 10)
        assert sum(len(p.items) for p in there) == expected > 37  # more than one page
        names = [r.name for p in there for r in p.items]
        assert names == sorted(names, reverse=True)


def test_resources_count_false_skips_the_total(app: App, server: Server) -> None:
    populate(app)
    remote = RemoteGovcloud(server.url, server.token("ops-li"))
    try:
        assert remote.resources(limit=5, count=False).total is None
        assert remote.resources(limit=5).total == 2 * PER_PROVIDER
    finally:
        remote.close()


@pytest.mark.parametrize("params", [{"q": "colour:red"}, {"sort": "colour"}, {"q": "x" * 1001}])
def test_a_bad_filter_or_sort_is_problem_json(
    app: App, server: Server, params: dict[str, str]
) -> None:
    populate(app)
    with server.client(server.token("ops-li")) as http:
        answer = http.get("/resources", params=params)
    assert answer.status_code in (400, 422), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["code"] == "invalid" and body["message_zh"] and body["message_en"], body


def test_remote_raises_the_facade_error_for_a_bad_filter(app: App, server: Server) -> None:
    populate(app)
    remote = RemoteGovcloud(server.url, server.token("ops-li"))
    try:
        with pytest.raises(InvalidInput) as caught:
            remote.tenants(query="colour:red")
    finally:
        remote.close()
    with pytest.raises(InvalidInput) as local:
        Govcloud.acting_as(app, "ops-li").tenants(query="colour:red")
    assert caught.value.message_en == local.value.message_en
    assert caught.value.http_status == local.value.http_status
