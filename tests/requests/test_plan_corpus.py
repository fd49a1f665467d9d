"""``govcloud plan -f`` over the manifest corpus, on SQLite and PostgreSQL.

Cases:
- every ``manifests/*.yaml`` (35 estate-dependent cases) is planned through
  ``main(["plan", "-f", …])`` against ``estates/province.yaml`` and gives the exit
  code its ``# expect:`` line states: 0 placed (on the named provider), 1 denied by the
  named policy rule, 1 unplaced with the named provider excluded by the named filter,
  2 located at the named ``line:col path`` pairs;
- every invalid manifest of the tenants corpus (``tests/tenants/manifests/invalid``)
  exits 2 through ``plan`` with each of its located problems on stderr;
- no plan, admitted, denied or invalid, changes one row of the database (snapshot);
- the corpus holds at least 40 manifests in all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from controlplane.app import App
from controlplane.cli.main import main
from controlplane.config import Settings
from controlplane.estate.schema import parse_estate
from tenants import load_yaml_file
from tests.controlplane.dbdump import snapshot

HERE = Path(__file__).parent
ESTATE = HERE / "estates" / "province.yaml"
CORPUS = sorted((HERE / "manifests").glob("*.yaml"))
TENANT_INVALID = sorted((HERE.parent / "tenants" / "manifests" / "invalid").glob("*.yaml"))
_EXPECT = re.compile(r"^# expect: (.+)$", re.MULTILINE)


def _expect(path: Path) -> str:
    match = _EXPECT.search(path.read_bytes().decode("utf-8", errors="replace"))
    assert match, f"{path.name} has no '# expect:' line"
    return match[1].strip()


@pytest.fixture
def estate_app(app: App, monkeypatch: pytest.MonkeyPatch) -> App:
    app.estate.apply(parse_estate(load_yaml_file(str(ESTATE)), str(ESTATE)), actor="ops")
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    monkeypatch.setenv("GOVCLOUD_HOME", str(app.settings.home))
    return app


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 35
    assert len(CORPUS) + len(TENANT_INVALID) >= 40
    kinds = {_expect(p).split()[1] for p in CORPUS}
    assert kinds == {"0", "1", "2"}


def _plan_json(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    code = main(["plan", "-f", str(path), "-o", "json"])
    captured = capsys.readouterr()
    data = json.loads(captured.out) if captured.out.strip() else {}
    return code, data, captured.err


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_manifest_plans_as_expected(
    path: Path, estate_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(estate_app.engine)
    code, data, err = _plan_json(path, capsys)
    expect = _expect(path).split()
    assert code == int(expect[1]), (
        err,
        data.get("plans", [{}])[-1].get("policy", {}).get("denials"),
    )
    plans = data.get("plans", [])
    if expect[1] == "0":
        assert plans and all(p["admitted"] and p["placement"]["provider"] for p in plans)
        if len(expect) > 2 and expect[2] == "placed":
            assert plans[-1]["placement"]["provider"] == expect[3]
        assert all(_fen_text(p["price"]["monthly"]) for p in plans)
    elif expect[2] == "deny":
        denied = {
            v["rule_id"]
            for p in plans
            for v in p["policy"]["verdicts"]
            if v["outcome"] == "fail" and v["enforcement"] == "enforce"
        }
        assert expect[3] in denied
        failing = [
            v
            for p in plans
            for v in p["policy"]["verdicts"]
            if v["rule_id"] == expect[3] and v["outcome"] == "fail"
        ]
        assert all(v["field"] and v["remediation_en"] and v["message_zh"] for v in failing)
    elif expect[2] == "unplaced":
        provider, filter_name = expect[3].split("=")
        last = plans[-1]
        assert last["placement"]["provider"] is None and not last["admitted"]
        reasons = {e["provider"]: e for e in last["placement"]["excluded"]}
        assert reasons[provider]["filter"] == filter_name
        assert reasons[provider]["reason"]["zh"] and reasons[provider]["reason"]["en"]
        assert len(reasons) == 6  # every provider of the estate is explained
    else:
        wanted = " ".join(expect[3:]).split(";")
        for item in wanted:
            position, field = item.strip().split(" ", 1)
            assert f"{path}:{position}: {field}:" in err
    assert snapshot(estate_app.engine) == before


def _fen_text(value: str | None) -> bool:
    return value is not None and re.fullmatch(r"\d+\.\d{2}", value) is not None


@pytest.fixture(scope="module")
def sqlite_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """One SQLite estate for the schema-error cases: they never reach the database."""
    home = tmp_path_factory.mktemp("plan-schema")
    app = App(Settings(home=home, database_url=f"sqlite:///{home / 'g.db'}"))
    app.init()
    app.estate.apply(parse_estate(load_yaml_file(str(ESTATE)), str(ESTATE)), actor="ops")
    try:
        yield app
    finally:
        app.close()


@pytest.mark.parametrize("path", TENANT_INVALID, ids=lambda p: p.stem)
def test_schema_errors_exit_2_located(
    path: Path,
    sqlite_home: App,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", sqlite_home.settings.database_url)
    monkeypatch.setenv("GOVCLOUD_HOME", str(sqlite_home.settings.home))
    before = snapshot(sqlite_home.engine)
    code, _, err = _plan_json(path, capsys)
    assert code == 2
    for item in _expect(path).split(";"):
        position = item.strip().split(" ", 1)[0]
        assert f"{path}:{position}:" in err
    assert snapshot(sqlite_home.engine) == before


@pytest.fixture(scope="module")
def plan_context(sqlite_home: App, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A client configuration whose context points at a uvicorn server over ``sqlite_home``."""
    from controlplane.cli.config_file import ClientConfig, Context, save_config
    from tests.api.conftest import run_server

    for server in run_server(sqlite_home, max_body=4 * 1024 * 1024):
        path = tmp_path_factory.mktemp("plan-client") / "config.yaml"
        token = server.token("local-operator")
        save_config(ClientConfig(path, (Context("corpus", server.url, token),), "corpus"))
        yield path


def _without_as_of(printed: str) -> str:
    """A plan's JSON without the moment each process planned at (``as_of``, and each
    verdict's ``evaluated_at``, which is that moment)."""
    if not printed.strip():
        return printed
    data = json.loads(printed)
    for plan in data.get("plans", []):
        at = plan.pop("as_of", None)
        for verdict in plan["policy"]["verdicts"]:
            assert verdict["evaluated_at"] in (at, None)
            verdict.pop("evaluated_at")
    return json.dumps(data, ensure_ascii=False)


@pytest.mark.slow
@pytest.mark.parametrize("path", CORPUS + TENANT_INVALID, ids=lambda p: p.stem)
def test_plans_through_a_context_print_the_same(
    path: Path,
    sqlite_home: App,
    plan_context: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The corpus again through a running server: admitted, denied, unplaced and
    located-invalid plans print exactly what they print locally, in both languages."""
    monkeypatch.setenv("GOVCLOUD_HOME", str(sqlite_home.settings.home))
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", sqlite_home.settings.database_url)
    monkeypatch.setenv("GOVCLOUD_CONFIG", str(plan_context))
    monkeypatch.delenv("COLUMNS", raising=False)
    for lang, fmt in (("en", "table"), ("zh", "table"), ("zh", "json")):
        printed = []
        for where in ("", "corpus"):
            capsys.readouterr()
            code = main(["--context", where, "--lang", lang, "plan", "-f", str(path), "-o", fmt])
            out, err = capsys.readouterr()
            printed.append((code, _without_as_of(out) if fmt == "json" else out, err))
        assert printed[0] == printed[1], (lang, fmt)
