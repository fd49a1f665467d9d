"""Hostile estates are refused located through ``estate apply`` and change nothing
(SQLite and PostgreSQL).

Cases (the estate reproducers of the reliability issue): ``vcpu: false``, a NUL byte in
``region``, rate-card version -2, capacities and a seed beyond 64 bits (once an
``OverflowError`` from SQLite at apply), capacities and budgets beyond the stated ranges,
a quota beyond its range, an empty file and a comments-only file (once printed without
a location) — each exits 2 with ``file:line:col``, the field and the limit, and the
database is unchanged row for row.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from controlplane.app import App
from controlplane.cli.main import main
from controlplane.estate.schema import parse_estate
from tenants import load_yaml_file

from .dbdump import snapshot

SMALL = Path(__file__).parent / "estates" / "valid" / "small.yaml"
TEXT = SMALL.read_text()


def _variant(old: str, new: str) -> str:
    assert old in TEXT
    return TEXT.replace(old, new, 1)


CASES = {
    "vcpu-false": (_variant("vcpu: 100", "vcpu: false"), "8:25: spec.providers[0].capacity.vcpu: wrong type"),
    "nul-in-region": (_variant("certifiedLevel: 4,", 'certifiedLevel: 4, region: "a\\0b",'),
                      "spec.providers[0].region: control character U+0000"),
    "version-minus-2": (_variant('version: "2026.1"', "version: -2"),
                        "14:14: spec.rateCard.version: a rate-card version starts with a letter or digit"),
    "capacity-65-bits": (_variant("vcpu: 100", "vcpu: 36893488147419103232"),
                         "8:25: spec.providers[0].capacity.vcpu: integer out of range"),
    "capacity-too-large": (_variant("storageGiB: 1000", "storageGiB: 99999999999999"),
                           "spec.providers[0].capacity.storageGiB: too large (expected at most 100000000000"),
    "seed-too-large": (_variant("certifiedLevel: 4,", "certifiedLevel: 4, seed: 9223372036854775808,"),
                       "spec.providers[0].seed: integer out of range"),
    "budget-too-large": (_variant('budget: "1000.00"', 'budget: "99999999999999.00"'),
                         "spec.tenants[0].budget: is too large"),
    "price-too-large": (_variant('provincial: "45.00"', 'provincial: "1000000000.00"'),
                        "spec.rateCard.rates[0].prices.provincial: is too large for a unit price"),
    "platform-not-a-label": (_variant("certifiedLevel: 4,", "certifiedLevel: 4, platform: Gov_Prov,"),
                             "spec.providers[0].platform: must be a DNS label"),
    "platform-too-long": (_variant("certifiedLevel: 4,", f"certifiedLevel: 4, platform: {'p' * 64},"),
                          "spec.providers[0].platform: must be a DNS label"),
    "level-true": (_variant("certifiedLevel: 4", "certifiedLevel: true"),
                   "spec.providers[0].certifiedLevel: wrong type"),
    "quota-too-large": (TEXT + "  quotas:\n    - {tenant: hrss, provider: prov-main, vcpu: 10000000000000}\n",
                        "spec.quotas[0].vcpu: too large"),
    "empty": ("", ":1:1: <document>: an estate file holds exactly one document"),
    "comments-only": ("# nothing here\n", ":1:1: <document>: an estate file holds exactly one document"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_estate_is_refused_located_and_changes_nothing(
    name: str,
    app: App,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text, expected = CASES[name]
    app.estate.apply(parse_estate(load_yaml_file(str(SMALL)), str(SMALL)), actor="ops")
    before = snapshot(app.engine)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    capsys.readouterr()
    code = main(["--home", str(app.settings.home), "estate", "apply", "-f", str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in err, err
    problems = [line for line in err.splitlines()[1:] if line.startswith("  ")]
    assert problems and all(line.startswith(f"  {path}:") for line in problems), err
    assert snapshot(app.engine) == before


def test_a_bad_limit_setting_stops_the_command(
    app: App, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    monkeypatch.setenv("GOVCLOUD_LIMIT_FILE_BYTES", "lots")
    before = snapshot(app.engine)
    assert main(["--home", str(app.settings.home), "estate", "apply", "-f", str(SMALL)]) == 1
    assert (
        "GOVCLOUD_LIMIT_FILE_BYTES='lots' is not a positive whole number" in capsys.readouterr().err
    )
    assert snapshot(app.engine) == before


def test_many_documents_are_refused_at_the_second(
    app: App, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the fuzzing run's slow shape: a stream just under the size limit, truncated in its
    # last document; reading used to walk all of it (16 s under load for 15 MB) to count
    # the documents and find the syntax error at the end
    path = tmp_path / "many.yaml"
    piece = "---\n" + TEXT + "# " + "x" * 1_000 + "\n"  # 15 MB is 9,000 documents
    path.write_text((piece * 10_000)[: 15 * 2**20 - 7])
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    before = snapshot(app.engine)
    began = time.process_time()  # CPU, not wall: the machine's load is not the input's
    assert main(["--home", str(app.settings.home), "estate", "apply", "-f", str(path)]) == 2
    assert time.process_time() - began < 3  # 16 s under load before; now well under 1 s
    err = capsys.readouterr().err
    second = piece.count("\n") + 3  # its "---", then the comment that opens TEXT
    assert f"{path}:{second}:1: <document>: an estate file holds exactly one document" in err
    assert "found more than 1" in err
    assert snapshot(app.engine) == before
