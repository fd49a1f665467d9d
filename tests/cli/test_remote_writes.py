"""Writes through a context: the request flow prints what it prints on a local home.

Two fresh homes get the same estate. One is driven by the CLI directly, the other
through contexts pointing at a real uvicorn server over it, one context (and token)
per principal — the department, another department, an approver and an operator. The
same walk runs on both: apply (auto-approved, then unchanged), a level-3 apply admitted
with the advisory level floor's warnings and waiting for the approval chain, another department's refused reads and approval, the approval,
provisioning on the simulator, a sync, the department's resource list, a deletion and
the request list, in English and Chinese. Each step's exit code, stdout and stderr are
identical; only instants (which the two homes reach at different moments) are masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from controlplane.app import App
from controlplane.cli.config_file import ClientConfig, Context, save_config
from controlplane.cli.main import main
from controlplane.config import Settings
from tests.api.conftest import run_server
from tests.governance.support import GOVERNED, manifest_text

pytestmark = pytest.mark.slow

PRINCIPALS = ("hrss-wang", "edu-liu", "bdb-zhang", "ops-li")

#: (principal, argv): the walk, in order; ``{portal}``/``{records}`` are manifest paths
WALK: list[tuple[str, list[str]]] = [
    ("hrss-wang", ["plan", "-f", "{portal}"]),
    ("hrss-wang", ["apply", "-f", "{portal}"]),
    ("hrss-wang", ["apply", "-f", "{portal}"]),
    ("hrss-wang", ["apply", "-f", "{records}"]),
    ("edu-liu", ["request", "list", "-o", "json"]),
    ("edu-liu", ["request", "show", "1"]),
    ("edu-liu", ["request", "approve", "2"]),
    ("bdb-zhang", ["request", "approve", "2"]),
    ("hrss-wang", ["request", "show", "2"]),
    ("ops-li", ["request", "provision", "1"]),
    ("ops-li", ["provider", "sync", "prov-sim"]),
    ("hrss-wang", ["get", "resources"]),
    ("edu-liu", ["get", "resources", "-o", "json"]),
    ("hrss-wang", ["delete", "-f", "{portal}"]),
    ("hrss-wang", ["request", "list"]),
    ("hrss-wang", ["request", "list", "-o", "json"]),
]

_INSTANT = re.compile(
    r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?|\b\d\d:\d\d:\d\d\b"
)
_DURATION = re.compile(r"\b\d+(\.\d+)?\s?(ms|s)\b")


def _masked(text: str) -> str:
    return _DURATION.sub("<duration>", _INSTANT.sub("<instant>", text))


#: the governed estate with its level floor made advisory, so that a level-3 request
#: with no 等保 records is admitted with warnings and waits for the approval chain
ADVISORY = """
  policies:
    levelBaseline: {mode: advisory, reason: 试运行期间仅告警, reference: 粤政数〔2026〕12号}
"""


def _home(root: Path) -> Path:
    home = root / "home"
    root.mkdir(parents=True)
    estate = root / "estate.yaml"
    estate.write_text(GOVERNED.read_text(encoding="utf-8") + ADVISORY, encoding="utf-8")
    assert main(["--home", str(home), "--context", "", "init"]) == 0
    assert main(["--home", str(home), "--context", "", "estate", "apply", "-f", str(estate)]) == 0
    return home


@pytest.fixture
def homes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[tuple[Path, Path]]:
    """The local home, and a config whose contexts reach a server over the other home."""
    for name in ("COLUMNS", "GOVCLOUD_DATABASE_URL", "GOVCLOUD_LANG", "GOVCLOUD_CONTEXT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("GOVCLOUD_HOME", raising=False)
    local = _home(tmp_path / "local")
    served = _home(tmp_path / "served")
    app = App(Settings.for_home(served))
    app.ready()
    try:
        for server in run_server(app, max_body=4 * 1024 * 1024):
            config = tmp_path / "client.yaml"
            contexts = tuple(Context(p, server.url, server.token(p)) for p in PRINCIPALS)
            save_config(ClientConfig(config, contexts))
            monkeypatch.setenv("GOVCLOUD_CONFIG", str(config))
            capsys.readouterr()
            yield local, tmp_path
    finally:
        app.close()


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    printed = capsys.readouterr()
    return code, _masked(printed.out), _masked(printed.err)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_request_flow_prints_the_same_through_a_context(
    homes: tuple[Path, Path], capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    local, root = homes
    files = {"portal": root / "portal.yaml", "records": root / "records.yaml"}
    files["portal"].write_text(manifest_text(), encoding="utf-8")
    files["records"].write_text(manifest_text("records", level=3), encoding="utf-8")
    seen: set[int] = set()
    transcript: list[str] = []
    for principal, template in WALK:
        argv = [part.format(**{k: str(v) for k, v in files.items()}) for part in template]
        here = _run(["--context", "", "--home", str(local), "--as", principal,
                     "--lang", lang, *argv], capsys)  # fmt: skip
        there = _run(["--context", principal, "--lang", lang, *argv], capsys)
        assert there == here, (principal, argv)
        seen.add(here[0])
        transcript.append(here[1] + here[2])
    # the walk is not vacuous: it is admitted, waits, is approved, provisioned and refused
    assert seen == {0, 1}
    assert "Pending" in transcript[3] or "待审批" in transcript[3], transcript[3]
    assert "edu-liu" in transcript[6] and "bdb-zhang" not in transcript[6]
    assert "Approved" in transcript[7] or "已批准" in transcript[7], transcript[7]
    assert "web-1" in transcript[9] and transcript[12].strip() == "[]"
