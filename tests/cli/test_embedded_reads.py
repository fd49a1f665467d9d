"""The embedded read path gives what the facade gives, for every principal and filter.

``provider list`` and ``get resources`` read a local SQLite home through
:class:`~controlplane.facade.embedded.EmbeddedReads` (stdlib ``sqlite3``) instead of
:class:`~controlplane.facade.Govcloud`. Cases, on a copy of the tiny demo made varied
(deleted, unmanaged and unowned rows, a wide name, open and resolved drift, a later
completed sync, a provider without platform and one with a three-place SLA target,
department/auditor/finance/mixed/undeclared-role principals):
- every page of every filter combination, walked by continue tokens: the same items,
  tokens and totals; the same refusals (unknown principal, another tenant, a bad token,
  a limit out of range) with the same messages;
- the provider rows carry exactly the read model's fields and values;
- the bootstrap rule (no principal declared: only ``local-operator``, as operator);
- :meth:`EmbeddedReads.open` declines (``None``) what the facade must handle: no
  database yet, another schema revision, a non-SQLite URL, an in-memory database.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from controlplane.app import App
from controlplane.config import Settings
from controlplane.errors import GovcloudError
from controlplane.facade import Govcloud
from controlplane.facade.embedded import EmbeddedReads, ProviderRow, database_path
from controlplane.facade.models import ProviderInfo

_VARIED = """
insert into principal values ('dept-lj', '["department"]', 'linjiang-culture');
insert into principal values ('aud', '["auditor"]', NULL);
insert into principal values ('fin', '["finance"]', NULL);
insert into principal values ('mixed', '["department", "auditor"]', 'police');
insert into principal values ('ghost', '["nosuchrole"]', NULL);
update resource set deleted_at = '2026-03-01 08:00:00.000000' where id in (3, 50, 120);
update resource set managed = 0, tenant_id = NULL, system_id = NULL, tenant_code = '',
    system_name = '', name = '未管理-主机-一号' where id in (7, 8);
update resource set managed = 0 where id = 9;
update resource set observed_at = '2026-02-01 00:00:00.000000' where id in (20, 21, 22);
insert into sync_run (provider_id, stamp, started_at, finished_at, state, counts)
    values (1, '2026-03-10 01:02:03.000004', '2026-03-10 01:02:03.000004',
            '2026-03-10 01:05:00.000000', 'done', '{}');
insert into sync_run (provider_id, stamp, started_at, finished_at, state, counts)
    values (2, '2026-03-12 01:02:03.000000', '2026-03-12 01:02:03.000000', NULL,
            'failed', '{}');
insert into drift (provider_id, kind, resource_id, name, tenant_id, system_id, drift,
                   detail, first_seen, last_seen, resolved_at)
    select provider_id, kind, resource_id, name, tenant_id, system_id, d.drift, '{}',
           '2026-03-01 00:00:00.000000', '2026-03-01 00:00:00.000000', d.resolved
    from resource join (select 20 as rid, 'changed' as drift, NULL as resolved
                        union all select 30, 'changed', NULL
                        union all select 7, 'changed', NULL
                        union all select 7, 'unmanaged', NULL
                        union all select 31, 'missing', '2026-03-02 00:00:00.000000') d
    on resource.id = d.rid;
update provider set platform = NULL, availability_target = NULL where name = 'tax-cloud';
update provider set availability_target = '99.950' where name = 'prov-main';
"""

PRINCIPALS = ["local-operator", "dept-lj", "aud", "fin", "mixed", "bdb-approver", "ghost", "x"]


def _copy(province: Path, into: Path, sql: str) -> Path:
    home = into / "home"
    shutil.copytree(province, home)
    with sqlite3.connect(home / "govcloud.db") as db:
        db.executescript(sql)
    return home


@pytest.fixture(scope="module")
def varied(province: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    app = App(Settings.for_home(_copy(province, tmp_path_factory.mktemp("varied"), _VARIED)))
    app.ready()
    yield app
    app.close()


def _outcome(call: Callable[..., Any], **arguments: Any) -> Any:
    try:
        return call(**arguments)
    except GovcloudError as exc:
        return (type(exc).__name__, exc.message_zh, exc.message_en, exc.details)


def _doors(app: App, who: str) -> tuple[Any, Any]:
    full = _outcome(Govcloud.acting_as, app=app, principal=who)
    lite = _outcome(EmbeddedReads.open, database_url=app.settings.database_url, principal=who)
    return full, lite


def _walk(read: Callable[..., Any], limit: int, **filters: Any) -> list[Any]:
    """Every page of a list, as (items, token, total) or the refusal."""
    pages: list[Any] = []
    token = None
    for _ in range(300):
        page = _outcome(read, limit=limit, continue_token=token, **filters)
        if isinstance(page, tuple):
            return [*pages, page]
        items = [dataclasses.asdict(i) if isinstance(i, ProviderRow) else i for i in page.items]
        items = [i.model_dump() if isinstance(i, ProviderInfo) else i for i in items]
        pages.append((items, page.continue_token, page.total))
        token = page.continue_token
        if token is None:
            return pages
    raise AssertionError("the pages never end")


@pytest.mark.parametrize("who", PRINCIPALS)
def test_every_page_of_every_filter_is_the_facades(varied: App, who: str) -> None:
    full, lite = _doors(varied, who)
    if not isinstance(full, Govcloud):
        assert lite == full  # the same refusal of the principal
        return
    assert isinstance(lite, EmbeddedReads)
    try:
        assert lite.identity == full.identity
        for tier, limit in itertools.product([None, "municipal", "sector", "nosuch"], [1, 2, 200]):
            assert _walk(lite.providers, limit, tier=tier) == _walk(
                full.providers, limit, tier=tier
            )
        for tenant, provider, kind, managed, deleted, limit in itertools.product(
            [None, "police", "linjiang-culture", "nosuch"],
            [None, "linjiang-cloud"],
            [None, "server"],
            [None, True, False],
            [False, True],
            [7, 1000],
        ):
            filters = {"tenant": tenant, "provider": provider, "kind": kind,
                       "managed": managed, "include_deleted": deleted}  # fmt: skip
            assert _walk(lite.resources, limit, **filters) == _walk(
                full.resources, limit, **filters
            ), filters
    finally:
        lite.close()


def test_refusals_of_tokens_and_limits_are_the_facades(varied: App) -> None:
    full = Govcloud.acting_as(varied, "local-operator")
    lite = EmbeddedReads.open(varied.settings.database_url, "local-operator")
    assert lite is not None
    other = full.resources(limit=2).continue_token
    try:
        for limit, token in [(0, None), (1001, None), (5, "garbage"), (5, "eyJ9"), (5, other)]:
            for name in ("providers", "resources"):
                read = functools.partial(_outcome, limit=limit, continue_token=token)
                mine, theirs = read(getattr(lite, name)), read(getattr(full, name))
                if isinstance(theirs, tuple):
                    assert mine == theirs, (name, limit, token)
                else:
                    assert not isinstance(mine, tuple)
                    assert (mine.items, mine.continue_token) == (
                        tuple(theirs.items)
                        if name == "resources"
                        else tuple(ProviderRow(**p.model_dump()) for p in theirs.items),
                        theirs.continue_token,
                    )
    finally:
        lite.close()


def test_provider_rows_carry_the_read_models_fields() -> None:
    assert [f.name for f in dataclasses.fields(ProviderRow)] == list(ProviderInfo.model_fields)


def test_the_bootstrap_operator_when_nobody_is_declared(province: Path, tmp_path: Path) -> None:
    home = _copy(province, tmp_path, "delete from principal;")
    app = App(Settings.for_home(home))
    try:
        for who in ("local-operator", "someone"):
            full, lite = _doors(app, who)
            if isinstance(full, Govcloud):
                assert isinstance(lite, EmbeddedReads)
                assert lite.identity == full.identity
                lite.close()
            else:
                assert lite == full
    finally:
        app.close()


def test_open_declines_what_the_facade_must_handle(province: Path, tmp_path: Path) -> None:
    stale = _copy(province, tmp_path, "update alembic_version set version_num = 'older';")
    url = Settings.for_home(stale).database_url
    assert EmbeddedReads.open(url, "local-operator") is None
    assert EmbeddedReads.open(f"sqlite:///{tmp_path / 'nothing' / 'govcloud.db'}", "x") is None
    assert not (tmp_path / "nothing").exists()
    for other in ("postgresql+psycopg://u@h/db", "sqlite://", "sqlite:///:memory:",
                  f"sqlite:///{stale}/govcloud.db?mode=ro"):  # fmt: skip
        assert database_path(other) is None
    reads = EmbeddedReads.open(Settings.for_home(province).database_url, "local-operator")
    assert reads is not None
    reads.close()
