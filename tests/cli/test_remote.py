"""The CLI as a client: the same commands, locally and through a context, print the same.

Cases:
- every list and show of the golden tests, plans of the request corpus (admitted,
  denied, unplaced) and the located errors of the invalid corpora, bills (show, JSON
  export byte for byte), refusals (unknown names, a bad month): in English and Chinese,
  as tables and JSON, run once on the local home and once through a context pointing
  at a uvicorn server over the same home — exit code, stdout and stderr identical;
- the client configuration: ``config set-context`` writes the file 0600 and never
  prints the token; ``get-contexts`` shows no token; ``use-context`` and
  ``--context``/``GOVCLOUD_CONTEXT`` choose; an unknown context is refused; a malformed
  file is reported as ``file:line:col`` (exit 2), never a traceback;
- ``jobs run`` through a context queues the firing in the server's database;
- commands that work on a local home only (``init``, ``demo``, ``serve``) refuse with a
  context; a token the server does not know gets its 401 as an error, exit 1.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from controlplane.cli.main import main

from .conftest import MONTH, Run

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
CORPUS = sorted((HERE.parent / "requests" / "manifests").glob("*.yaml"))
INVALID = sorted((HERE.parent / "tenants" / "manifests" / "invalid").glob("*.yaml"))

COMMANDS: list[list[str]] = [
    ["provider", "list"],
    ["provider", "show", "prov-main"],
    ["provider", "show", "nowhere"],
    ["tenant", "list"],
    ["tenant", "show", "police"],
    ["tenant", "show", "nobody"],
    ["request", "list"],
    ["request", "list", "--limit", "3"],
    ["request", "show", "1"],
    ["request", "show", "9999"],
    ["get", "resources", "--limit", "50"],
    ["get", "resources", "--limit", "1000", "-o", "wide"],
    ["get", "resources", "--kind", "server", "--limit", "20"],
    ["get", "drift"],
    ["get", "drift", "--tier", "municipal"],
    ["policy", "list"],
    ["policy", "violations"],
    ["policy", "waiver", "list"],
    ["bill", "show", "--month", MONTH],
    ["bill", "show", "--month", MONTH, "--tenant", "police"],
    ["bill", "show", "--month", "2026-13"],
    ["bill", "finalize", "--month", "2099-01"],
    ["meter", "gaps", "--month", MONTH],
    ["estate", "show"],
    ["audit", "verify"],
    ["budget", "alerts"],
    ["budget", "alerts", "--tenant", "police", "--year", "2026"],
    ["jobs", "list"],
    ["jobs", "show", "health"],
    ["jobs", "show", "health", "--limit", "1"],
    ["jobs", "show", "no-such-job"],
    ["jobs", "run", "no-such-job"],
]


def _same(both: tuple[Run, Run], argv: list[str], lang: str) -> None:
    local, remote = both
    here, there = local(*argv, lang=lang), remote(*argv, lang=lang)
    assert (there.code, there.out, there.err) == (here.code, here.out, here.err), argv


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_commands_print_the_same(both: tuple[Run, Run], argv: list[str], lang: str) -> None:
    _same(both, argv, lang)
    if argv[-1] not in ("wide",):
        _same(both, [*argv, "-o", "json"], lang)


@pytest.mark.parametrize("path", CORPUS + INVALID, ids=lambda p: p.stem)
def test_plans_and_located_errors_print_the_same(both: tuple[Run, Run], path: Path) -> None:
    _same(both, ["plan", "-f", str(path)], "en")
    _same(both, ["plan", "-f", str(path), "-o", "json"], "zh")


def test_bill_exports_are_byte_identical(both: tuple[Run, Run], tmp_path: Path) -> None:
    local, remote = both
    for fmt in ("json", "csv"):
        here, there = tmp_path / f"local.{fmt}", tmp_path / f"remote.{fmt}"
        a = local("bill", "export", "--month", MONTH, "--format", fmt, "--output-file", str(here))
        b = remote("bill", "export", "--month", MONTH, "--format", fmt, "--output-file", str(there))
        assert (a.code, b.code) == (0, 0), (a.err, b.err)
        assert here.read_bytes() == there.read_bytes()
        assert a.out.replace(str(here), "F") == b.out.replace(str(there), "F")


def test_config_file_is_private_and_never_shows_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cfg" / "config.yaml"
    monkeypatch.setenv("GOVCLOUD_CONFIG", str(path))
    secret = "gct_very-secret-token-value"
    assert main(["config", "set-context", "a", "--server", "https://a.example:8443",
                 "--token", secret]) == 0  # fmt: skip
    assert main(["config", "set-context", "b", "--server", "http://127.0.0.1:1",
                 "--token", secret]) == 0  # fmt: skip
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret not in "".join(capsys.readouterr())
    assert main(["config", "current-context"]) == 0
    assert capsys.readouterr().out == "a\n"  # the first context set becomes the current one
    assert main(["config", "get-contexts"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["CURRENT", "NAME", "SERVER", "CA"]
    assert table[1].split()[:2] == ["*", "a"] and table[2].split()[:2] == ["-", "b"]
    assert main(["config", "get-contexts", "-o", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in listed] == ["a", "b"] and "token" not in listed[0]
    assert main(["config", "use-context", "b"]) == 0
    assert main(["config", "current-context"]) == 0
    printed = capsys.readouterr()
    assert secret not in printed.out + printed.err
    assert printed.out.rstrip().endswith("b")
    assert secret in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert main(["config", "use-context", "nope"]) == 1
    assert "nope" in capsys.readouterr().err
    # b's server listens nowhere: the command says so, exit 1, no traceback
    assert main(["provider", "list"]) == 1
    assert "127.0.0.1:1" in capsys.readouterr().err
    # --context and GOVCLOUD_CONTEXT choose another; '' is the local home
    assert main(["--context", "missing", "provider", "list"]) == 1
    monkeypatch.setenv("GOVCLOUD_CONTEXT", "missing")
    assert main(["provider", "list"]) == 1
    assert "missing" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("contexts: [\n  {name: a, server: x}\n", "3:1"),
        (
            "contexts:\n  - {name: a, server: http://x, token: t}\n  - {name: a, server: http://y, token: t}\n",
            "3:5",
        ),
        ("contexts:\n  - name: a\n    server: ftp://x\n    token: t\n", "3:13"),
        ("contexts:\n  - name: a\n    server: http://x\n", "2:5"),
        ("contexts:\n  - name: a\n    server: http://x\n    token: t\n    colour: red\n", "5:5"),
        ("current-context: [a]\n", "1:18"),
        ("- 1\n", "1:1"),
    ],
)
def test_a_bad_config_file_is_located(
    text: str, where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("GOVCLOUD_CONFIG", str(path))
    assert main(["provider", "list"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:{where}:" in err, err
    assert "Traceback" not in err


def test_jobs_run_through_a_context_queues_on_the_server(both: tuple[Run, Run]) -> None:
    """``jobs run`` over the API queues a firing in the server's database, as the
    context's principal; ``jobs show`` then prints it the same both ways."""
    local, remote = both
    queued = remote.json("jobs", "run", "audit-verify")
    assert (queued["job"], queued["state"]) == ("audit-verify", "queued")
    assert queued["requested_by"] == "local-operator"
    shown = local.json("jobs", "show", "audit-verify")
    assert queued["id"] in [r["id"] for r in shown["recent"]]
    assert shown["next_due"] is not None
    _same(both, ["jobs", "show", "audit-verify", "-o", "json"], "en")
    _same(both, ["jobs", "list", "-o", "json"], "zh")


@pytest.mark.parametrize(
    "argv", [["init"], ["demo", "--scale", "tiny"], ["serve"]], ids=lambda a: a[0]
)
def test_local_only_commands_refuse_with_a_context(both: tuple[Run, Run], argv: list[str]) -> None:
    _, remote = both
    printed = remote(*argv)
    assert printed.code == 1
    assert "local home only" in printed.err and "province" in printed.err


def test_an_unknown_token_is_refused(
    province_server: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    url = getattr(province_server, "url")  # noqa: B009
    monkeypatch.setenv("GOVCLOUD_CONFIG", str(tmp_path / "c.yaml"))
    assert main(["config", "set-context", "x", "--server", url, "--token", "gct_nope"]) == 0
    capsys.readouterr()
    assert main(["--lang", "en", "provider", "list", "-o", "json"]) == 1
    err = capsys.readouterr().err
    assert "unauthenticated" in err and "Traceback" not in err
