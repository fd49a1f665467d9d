"""Estate apply and show, on SQLite and PostgreSQL.

Cases: apply/show round-trips every field; re-applying the same file is a no-op (the
whole database is compared row for row); formatting-only edits are no-ops too; a
changed price or capacity updates exactly that; removing a provider that hosts
resources is refused and writes nothing; dry runs write nothing; every invalid estate
of the corpus (tests/controlplane/estates/invalid) is refused with the location and
field path its first line declares, exit code 2, and the database unchanged; the audit
log records each effective apply and verifies.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from controlplane import audit
from controlplane.app import App
from controlplane.cli.main import main
from controlplane.db.models import AuditEvent, Provider, Resource
from controlplane.estate.schema import EstateDocument, parse_estate
from tenants import ManifestError, load_yaml_documents, load_yaml_file

from .dbdump import snapshot

ESTATES = Path(__file__).parent / "estates"
EXAMPLE = ESTATES / "valid" / "example.yaml"
INVALID = sorted((ESTATES / "invalid").glob("*.yaml"))


def _load(path: Path) -> EstateDocument:
    return parse_estate(load_yaml_file(str(path)), str(path))


def _from_text(text: str) -> EstateDocument:
    return parse_estate(load_yaml_documents(text, "edited.yaml"), "edited.yaml")


def test_apply_then_show_round_trips(app: App) -> None:
    result = app.estate.apply(_load(EXAMPLE), actor="ops")
    assert result.changed and result.revision == 1
    assert result.counts()["provider"]["create"] == 4

    providers = {p.name: p for p in app.estate.providers()}
    assert set(providers) == {"prov-main", "city-a", "water-k8s", "sim-health"}
    prov = providers["prov-main"]
    assert (prov.tier, prov.kind, prov.cloud, prov.certified_level) == (
        "provincial",
        "openstack",
        "prov-main",
        4,
    )
    assert (prov.xinchuang, prov.arch, prov.capacity_vcpu) == (True, "aarch64", 20000)
    assert providers["water-k8s"].context == "water"
    assert providers["sim-health"].availability_target == Decimal("99.95")
    assert providers["sim-health"].sla_deductions == [
        {"below": "99.95", "deduct": "3"},
        {"below": "99.5", "deduct": "10"},
    ]
    assert providers["sim-health"].created_at.tzinfo is not None

    tenants = {t.code: t for t in app.estate.tenants()}
    assert tenants["hrss"].name == "省人力资源和社会保障厅"
    assert tenants["hrss"].budget == Decimal("1200000.00")
    assert tenants["city-a-edu"].city == "city-a"

    cards = app.estate.rate_cards()
    assert [c.version for c, _ in cards] == ["2026.1", "2026.2"]
    first, rates = cards[0]
    assert first.approval_ref == "甲财预〔2026〕12号"
    prices = {(r.meter, r.tier): (r.price, r.proration) for r in rates}
    assert prices["storage.ssd", "municipal"] == (Decimal("0.70"), "hour")
    assert prices["network.public_ip", "sector"] == (Decimal("30.00"), "month")
    assert {f.name for f in app.estate.flavors()} == {"c2m4", "c4m8", "c8m32"}
    assert app.estate.images()[0].arches == ["aarch64", "x86_64"]


def test_reapply_is_a_no_op_row_for_row(app: App, clock: object) -> None:
    app.estate.apply(_load(EXAMPLE), actor="ops")
    before = snapshot(app.engine)
    again = app.estate.apply(_load(EXAMPLE), actor="ops")
    assert not again.changed and again.revision is None
    # reformatted and reordered, same content: still nothing to do
    text = EXAMPLE.read_text().replace(
        "certifiedLevel: 4, xinchuang: true", "xinchuang: true,  certifiedLevel: 4"
    )
    assert not app.estate.apply(_from_text("# a comment\n" + text), actor="ops").changed
    assert snapshot(app.engine) == before


def test_change_updates_only_what_changed(app: App) -> None:
    app.estate.apply(_load(EXAMPLE), actor="ops")
    text = EXAMPLE.read_text().replace(
        'storage.ssd,       unit: GiB,   prices: {provincial: "0.80"',
        'storage.ssd,       unit: GiB,   prices: {provincial: "0.85"',
    )
    text = text.replace("capacity: {vcpu: 4000,", "capacity: {vcpu: 4800,")
    result = app.estate.apply(_from_text(text), actor="ops")
    assert {(c.entity, c.key, c.action, c.fields) for c in result.changes} == {
        ("provider", "city-a", "update", ("capacity_vcpu",)),
        ("rate_card", "2026.1", "update", ("storage.ssd@provincial",)),
    }
    assert app.estate.provider("city-a").capacity_vcpu == 4800  # type: ignore[union-attr]


def test_removing_a_provider_that_hosts_resources_is_refused(app: App, clock: object) -> None:
    app.estate.apply(_load(EXAMPLE), actor="ops")
    with app.sessions() as session, session.begin():
        city = session.exec(select(Provider).where(Provider.name == "city-a")).one()
        now = datetime(2026, 3, 1, tzinfo=UTC)
        session.add(
            Resource(
                provider_id=city.id,
                provider_name="city-a",
                tenant_code="",
                system_name="",
                kind="server",
                resource_id="srv-1",
                name="web-1",
                status="ACTIVE",
                created_at=now,
                observed_at=now,
            )
        )
    before = snapshot(app.engine)
    lines = EXAMPLE.read_text().splitlines(keepends=True)
    start = next(i for i, ln in enumerate(lines) if "name: city-a," in ln)
    text = "".join(lines[:start] + lines[start + 3 :])
    with pytest.raises(
        ManifestError, match="'city-a' cannot be removed: it still hosts 1 resources"
    ):
        app.estate.apply(_from_text(text), actor="ops")
    assert snapshot(app.engine) == before


def test_policy_binding_is_stored_and_reapply_keeps_it(app: App) -> None:
    app.estate.apply(_load(EXAMPLE), actor="ops")
    stored = app.estate.policy_document()
    assert stored is not None
    assert stored["baseline"]["packs"] == ["gov-cloud-baseline", "mlps-l3", "csl-log-retention"]
    assert not app.estate.apply(_load(EXAMPLE), actor="ops").changed


def test_dry_run_writes_nothing(app: App) -> None:
    before = snapshot(app.engine)
    result = app.estate.apply(_load(EXAMPLE), actor="ops", dry_run=True)
    assert result.changed and result.revision is None
    assert snapshot(app.engine) == before


def test_effective_applies_are_audited_and_chain_verifies(app: App) -> None:
    app.estate.apply(_load(EXAMPLE), actor="ops")
    app.estate.apply(_load(EXAMPLE), actor="ops")  # no-op: no event
    with app.sessions() as session:
        events = session.exec(select(AuditEvent)).all()
        assert len(events) == 1
        assert events[0].action == "estate.apply" and events[0].actor == "ops"
        assert audit.verify(session) == []


def _expectation(path: Path) -> tuple[str, str]:
    match = re.match(r"# expect: (\d+:\d+) (\S+)", path.read_text().splitlines()[0])
    assert match, f"{path.name} must declare '# expect: LINE:COL PATH' on its first line"
    return match.group(1), match.group(2)


def test_invalid_corpus_is_large_enough() -> None:
    assert len(INVALID) >= 15


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_estate_is_located_and_changes_nothing(
    path: Path, app: App, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    where, field_path = _expectation(path)
    with pytest.raises(ManifestError) as info:
        _load(path)
    located = [
        f"{p.location.line}:{p.location.col} {p.path or '<document>'}"
        for p in info.value.problems
        if p.location
    ]
    assert f"{where} {field_path}" in located, info.value

    app.estate.apply(_load(ESTATES / "valid" / "small.yaml"), actor="ops")
    before = snapshot(app.engine)
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    capsys.readouterr()
    code = main(["--home", str(app.settings.home), "estate", "apply", "-f", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{path}:{where}: {field_path}" in err
    assert snapshot(app.engine) == before


def test_cli_apply_show_and_json(
    app: App, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    home = ["--home", str(app.settings.home)]
    assert main([*home, "estate", "apply", "-f", str(EXAMPLE)]) == 0
    assert "estate applied" in capsys.readouterr().out
    assert main([*home, "estate", "apply", "-f", str(EXAMPLE)]) == 0
    assert "re-apply is a no-op" in capsys.readouterr().out

    assert main([*home, "provider", "list", "-o", "json"]) == 0
    providers = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in providers] == ["city-a", "prov-main", "sim-health", "water-k8s"]
    assert providers[2]["availability_target"] == "99.95"

    assert main([*home, "--lang", "zh", "provider", "list"]) == 0
    table = capsys.readouterr().out
    assert "层级" in table and "provincial" in table  # headings translated, data not
    assert "health" in table and "健康" not in table  # the sector named health stays health
    assert max(len(line) for line in table.splitlines()) <= 80

    assert main([*home, "tenant", "show", "hrss", "-o", "yaml"]) == 0
    assert "budget: '1200000.00'" in capsys.readouterr().out
    assert main([*home, "tenant", "show", "nobody"]) == 1
    assert main([*home, "estate", "show", "-o", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["estate"] == "example-province" and shown["tenants"]["count"] == 3
    assert main([*home, "audit", "verify"]) == 0


@pytest.mark.parametrize(
    "argv",
    [["estate", "apply"], ["provider", "list", "-o", "xml"], ["no-such-command"], ["--bogus"]],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err


def test_department_sees_only_its_own_tenant(
    app: App, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = EXAMPLE.read_text() + (
        "  principals:\n"
        "    - {name: ops, roles: [operator]}\n"
        "    - {name: hrss-clerk, roles: [department], tenant: hrss}\n"
    )
    app.estate.apply(_from_text(text), actor="local-operator")
    monkeypatch.setenv("GOVCLOUD_DATABASE_URL", app.settings.database_url)
    home = ["--home", str(app.settings.home)]
    capsys.readouterr()
    assert main([*home, "--as", "hrss-clerk", "tenant", "list", "-o", "json"]) == 0
    assert [t["code"] for t in json.loads(capsys.readouterr().out)] == ["hrss"]
    assert main([*home, "--as", "hrss-clerk", "tenant", "show", "water-dept"]) == 1
    assert "water-dept" in capsys.readouterr().err
    assert main([*home, "--as", "ops", "tenant", "show", "water-dept", "-o", "json"]) == 0


def test_billing_uses_the_estates_sla_tiers(app: App) -> None:
    from controlplane.bills.inputs import load_inputs

    app.estate.apply(_load(EXAMPLE), actor="ops")
    with app.sessions() as session:
        rule = load_inputs(session).sla_rules["sim-health"]
    assert rule.deduction_percent(Decimal("99.96")) == 0
    assert rule.deduction_percent(Decimal("99.9")) == Decimal("3")
    assert rule.deduction_percent(Decimal("99.0")) == Decimal("10")


def test_discounts_are_stored_and_priced(app: App) -> None:
    from controlplane.bills.inputs import load_inputs

    app.estate.apply(_load(EXAMPLE), actor="ops")
    with app.sessions() as session:
        card = load_inputs(session).card
    during = card.discount_at("hrss", datetime(2026, 3, 1, tzinfo=UTC))
    assert during is not None
    assert during.percent == Decimal("5")
    assert during.reference == "省数管〔2026〕7号"
    assert card.discount_at("hrss", datetime(2026, 7, 1, tzinfo=UTC)) is None
    assert card.discount_at("water-dept", datetime(2026, 3, 1, tzinfo=UTC)) is None
