"""Every implemented rule, on a passing and on a failing fixture.

Cases: for each rule of the catalogue whose inputs govcloud holds, at least one pair
(plan for admission rules, resource for audit rules, both where the rule does both);
the passing subject yields only pass/not-applicable verdicts, the failing subject a
fail verdict whose field is the offending manifest/attribute path and whose message
names the rule id, the clause and that field (in Chinese and English). Also: the nine
rules awaiting inputs report not_evaluable naming them, a missing input never passes,
and the level gate marks rules of other levels not applicable. A plan's located
ingress rules belong to that plan alone, however the views alternate.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from policy_fixtures import NOW, make_plan, make_provider, make_system

from policies import (
    BoundRule,
    Enforcement,
    IngressRule,
    Outcome,
    PlanView,
    ResourceView,
    SiteFacts,
    Verdict,
    catalog,
    evaluate_plan,
    evaluate_resource,
    get_rule,
)
from policies.rules._common import plan_ingress

SITE = SiteFacts("CN", "GD", "gz", "az1", "gz-dc1", "ceph-ssd")
PLAN = make_plan()
PROV = make_provider()
SYS = make_system()


def res(kind: str, level: int | None = 3, site: SiteFacts = SITE, **attrs: Any) -> ResourceView:
    system = make_system(level) if level is not None else None
    return ResourceView(
        kind=kind,
        id=f"{kind}-1",
        name=f"{kind}-1",
        tenant="hrss",
        system=system,
        provider=PROV,
        site=site,
        attrs=attrs,
        created_at=NOW - timedelta(days=400),
    )


def sg(*rules: IngressRule, **attrs: Any) -> ResourceView:
    return replace(res("security_group", **{"attached_ports": 1, **attrs}), ingress=rules)


def plan_with(**changes: Any) -> PlanView:
    return replace(PLAN, **changes)


def with_ingress(*extra: IngressRule) -> PlanView:
    return plan_with(ingress=(*PLAN.ingress, *extra))


def sysplan(**changes: Any) -> PlanView:
    return plan_with(system=replace(SYS, **changes))


def provplan(**changes: Any) -> PlanView:
    return plan_with(provider=replace(PROV, **changes))


def image_plan(**changes: Any) -> PlanView:
    item = PLAN.compute[0]
    return plan_with(compute=(replace(item, image=replace(item.image, **changes)),))


def item_plan(**changes: Any) -> PlanView:
    return plan_with(compute=(replace(PLAN.compute[0], **changes),))


ok_user = {"human": True, "mfa_enabled": True, "mfa_methods": ["password", "totp"]}
ok_backup = {
    "backup_policy": True,
    "last_backup_at": NOW - timedelta(hours=3),
    "restore_tested_on": date(2026, 4, 1),
}
ok_sink = {"retention_days": 180, "worm": True, "tenant_deletable": False, "backup": True}
L4 = make_plan(4)

# (rule id, passing subject, failing subject, field of the failure)
CASES: list[tuple[str, PlanView | ResourceView, PlanView | ResourceView, str]] = [
    ("MLPS-L1-LOC-01", PLAN, provplan(country="SG"), "spec.placement.provider"),
    (
        "MLPS-L1-LOC-01",
        res("server"),
        res("server", site=replace(SITE, country="US")),
        "site.country",
    ),
    ("MLPS-L2-PLT-01", PLAN, provplan(certified_level=2), "spec.classifiedProtection"),
    (
        "MLPS-L4-PLT-02",
        L4,
        replace(L4, provider=replace(PROV, dedicated_l4_pool=False)),
        "spec.placement.provider",
    ),
    (
        "MLPS-L2-ISO-01",
        PLAN,
        plan_with(kubernetes=replace(PLAN.kubernetes, default_deny=False)),
        "spec.kubernetes.defaultDeny",
    ),
    (
        "MLPS-L2-ISO-01",
        PLAN,
        with_ingress(IngressRule("tenant:edu", 8080)),
        "spec.network.ingress[2].from",
    ),
    ("MLPS-L2-ISO-01", res("network", shared=False), res("network", shared=True), "network.shared"),
    ("MLPS-L2-ISO-01", res("pod"), res("pod", privileged=True), "pod.privileged"),
    (
        "MLPS-L2-ISO-02",
        PLAN,
        with_ingress(IngressRule("system:x", 443, source_level=2)),
        "spec.network.ingress[2].from",
    ),
    (
        "MLPS-L2-ISO-02",
        res("router", zone_levels=[3, 3]),
        res("router", zone_levels=[2, 3]),
        "router.zone_levels",
    ),
    ("MLPS-L2-ISO-03", PLAN, plan_with(port_security=False), "spec.network.portSecurity"),
    (
        "MLPS-L2-ISO-03",
        res("port", port_security_enabled=True, security_groups=["sg"]),
        res("port", port_security_enabled=False, security_groups=["sg"]),
        "port.port_security_enabled",
    ),
    ("MLPS-L3-NET-03", PLAN, item_plan(networks=("mgmt-net",)), "spec.compute[0].networks[0]"),
    (
        "MLPS-L3-NET-03",
        res("port", network_tags=["tenant"]),
        res("port", network_tags=["mgmt"]),
        "port.network_tags",
    ),
    ("GOV-NONCLS-01", PLAN, sysplan(classified=True), "spec.classified"),
    (
        "MLPS-L1-NET-01",
        PLAN,
        with_ingress(IngressRule("0.0.0.0/0", None, protocol="any")),
        "spec.network.ingress[2].port",
    ),
    (
        "MLPS-L1-NET-01",
        sg(IngressRule("internet", 443)),
        sg(IngressRule("::/0", 1, 65535)),
        "security_group/security_group-1.ingress[0].port",
    ),
    (
        "MLPS-L1-NET-02",
        PLAN,
        with_ingress(IngressRule("internet", 3389)),
        "spec.network.ingress[2].port",
    ),
    (
        "MLPS-L1-NET-02",
        PLAN,
        with_ingress(IngressRule("100.64.0.0/10", 22)),
        "spec.network.ingress[2].from",
    ),
    (
        "MLPS-L1-NET-02",
        sg(IngressRule("internet", 443)),
        sg(IngressRule("internet", 6370, 6380)),
        "security_group/security_group-1.ingress[0].port",
    ),
    (
        "MLPS-L2-NET-07",
        PLAN,
        with_ingress(IngressRule("10.0.0.0/8", 23)),
        "spec.network.ingress[2].port",
    ),
    (
        "MLPS-L1-NET-04",
        sg(IngressRule("internet", 443)),
        sg(IngressRule("internet", 443), attached_ports=0),
        "security_group.attached_ports",
    ),
    (
        "MLPS-L1-NET-04",
        sg(IngressRule("internet", 443)),
        sg(IngressRule("10.0.0.0/8", 1000, 9000)),
        "security_group/security_group-1.ingress[0].port",
    ),
    ("MLPS-L1-NET-05", PLAN, sysplan(internet_facing=False), "spec.network.ingress[0].from"),
    ("MLPS-L1-NET-05", PLAN, sysplan(boundary_approval=None), "spec.records.boundaryApproval"),
    (
        "MLPS-L3-NET-06",
        PLAN,
        plan_with(encryption=replace(PLAN.encryption, in_transit="none")),
        "spec.encryption.inTransit",
    ),
    (
        "MLPS-L3-NET-06",
        res("load_balancer", protocol="HTTPS", tls_versions=["TLSv1.2"]),
        res("load_balancer", protocol="HTTP"),
        "load_balancer.protocol",
    ),
    (
        "MLPS-L2-NET-08",
        res("floating_ip", protected_by=["waf-1"]),
        res("floating_ip", protected_by=[]),
        "floating_ip.protected_by",
    ),
    (
        "MLPS-L2-NET-08",
        res("network", flow_logs=True),
        res("network", flow_logs=False),
        "network.flow_logs",
    ),
    (
        "MLPS-L3-IAM-01",
        res("user", **ok_user),
        res("user", **{**ok_user, "mfa_enabled": False}),
        "user.mfa_enabled",
    ),
    (
        "MLPS-L1-IAM-04",
        res("user", enabled=True, last_login=NOW - timedelta(days=10)),
        res("user", enabled=True, last_login=NOW - timedelta(days=200)),
        "user.last_login",
    ),
    (
        "MLPS-L1-IAM-04",
        res("app_credential", expires_at=NOW),
        res("app_credential"),
        "app_credential.expires_at",
    ),
    (
        "MLPS-L2-IAM-05",
        res("role_assignment", principal_type="department", role="member"),
        res("role_assignment", principal_type="department", role="admin"),
        "role_assignment.role",
    ),
    (
        "MLPS-L2-IAM-05",
        res("user", duties=["sysadmin"]),
        res("user", duties=["sysadmin", "auditor"]),
        "user.duties",
    ),
    ("MLPS-L1-IAM-06", PLAN, image_plan(hardened=False), "spec.compute[0].image"),
    (
        "MLPS-L1-IAM-06",
        res("server", image_hardened=True),
        res("server", image_hardened=False),
        "server.image_hardened",
    ),
    (
        "MLPS-L2-DAT-02",
        res(
            "role_assignment",
            principal_type="operator",
            authorization_expires=NOW + timedelta(days=30),
        ),
        res(
            "role_assignment",
            principal_type="operator",
            authorization_expires=NOW - timedelta(days=1),
        ),
        "role_assignment.authorization_expires",
    ),
    (
        "CSL-LOG-01",
        PLAN,
        plan_with(logging=replace(PLAN.logging, retention_days=90)),
        "spec.logging.retentionDays",
    ),
    (
        "CSL-LOG-01",
        res("log_sink", **ok_sink),
        res("log_sink", **{**ok_sink, "retention_days": 90}),
        "log_sink.retention_days",
    ),
    (
        "MLPS-L2-AUD-01",
        res("project", audit_enabled=True),
        res("project", audit_enabled=False),
        "project.audit_enabled",
    ),
    (
        "MLPS-L2-AUD-03",
        PLAN,
        plan_with(logging=replace(PLAN.logging, immutable=False)),
        "spec.logging.immutable",
    ),
    (
        "MLPS-L2-AUD-03",
        res("log_sink", **ok_sink),
        res("log_sink", **{**ok_sink, "tenant_deletable": True}),
        "log_sink.tenant_deletable",
    ),
    ("MLPS-L2-VUL-01", PLAN, image_plan(patched_on=date(2025, 1, 1)), "spec.compute[0].image"),
    (
        "MLPS-L2-VUL-01",
        res("image", patched_on=date(2026, 5, 1)),
        res("image", patched_on=date(2025, 5, 1)),
        "image.patched_on",
    ),
    ("MLPS-L3-IDS-01", res("server", request_id="req-1"), res("server"), "server.request_id"),
    (
        "MLPS-L3-IDS-02",
        PLAN,
        plan_with(kubernetes=replace(PLAN.kubernetes, privileged=True)),
        "spec.kubernetes.privileged",
    ),
    ("MLPS-L3-IDS-02", res("pod", host_pid=False), res("pod", host_pid=True), "pod.host_pid"),
    ("MLPS-L2-IMG-01", PLAN, image_plan(in_catalog=False), "spec.compute[0].image"),
    ("MLPS-L2-IMG-02", PLAN, image_plan(checksum=None), "spec.compute[0].image"),
    (
        "MLPS-L2-IMG-02",
        res("image", os_hash_value="ab12", signed=True),
        res("image", os_hash_value="ab12", signed=False),
        "image.signed",
    ),
    (
        "MLPS-L3-IMG-03",
        PLAN,
        item_plan(volumes=(replace(PLAN.compute[0].volumes[0], encrypted=False),)),
        "spec.compute[0].volumes[0].encrypted",
    ),
    (
        "MLPS-L3-IMG-03",
        res("snapshot", visibility="private"),
        res("snapshot", visibility="public"),
        "snapshot.visibility",
    ),
    ("MLPS-L2-DAT-01", PLAN, provplan(country="US"), "spec.placement.provider"),
    (
        "MLPS-L2-DAT-01",
        res("volume"),
        res("volume", replication_target_country="SG"),
        "volume.replication_target_country",
    ),
    ("DATA-CLS-01", PLAN, sysplan(data_grade=None), "spec.dataClassification"),
    (
        "DATA-CLS-01",
        res("volume"),
        replace(res("volume"), system=replace(SYS, data_grade=None)),
        "data.grade",
    ),
    ("DATA-IMP-01", PLAN, provplan(province="HN"), "spec.placement.provider"),
    (
        "DATA-IMP-02",
        PLAN,
        plan_with(backup=replace(PLAN.backup, offsite=False)),
        "spec.backup.offsite",
    ),
    (
        "DATA-IMP-02",
        res("bucket", encrypted=True, public_access=False, versioning=True),
        res("bucket", encrypted=True, public_access=True, versioning=True),
        "bucket.public_access",
    ),
    (
        "DATA-IMP-03",
        res("system"),
        replace(res("system"), system=replace(SYS, data_security_officer=None)),
        "spec.records.dataSecurityOfficer",
    ),
    ("DATA-IMP-03", PLAN, sysplan(data_security_officer=None), "spec.records.dataSecurityOfficer"),
    ("DATA-IMP-03", PLAN, sysplan(risk_assessed_on=None), "spec.records.riskAssessedOn"),
    (
        "DATA-IMP-03",
        PLAN,
        sysplan(risk_assessed_on=date(2025, 1, 2)),
        "spec.records.riskAssessedOn",
    ),
    (
        "MLPS-L3-KMS-01",
        PLAN,
        plan_with(encryption=replace(PLAN.encryption, customer_managed_key=False)),
        "spec.encryption.customerManagedKey",
    ),
    (
        "MLPS-L3-KMS-01",
        res("volume", encrypted=True, key_owner="tenant"),
        res("volume", encrypted=True, key_owner="platform"),
        "volume.key_owner",
    ),
    ("MLPS-L1-BAK-01", PLAN, plan_with(backup=None), "spec.backup.enabled"),
    (
        "MLPS-L1-BAK-01",
        res("volume", **ok_backup),
        res("volume", **{**ok_backup, "last_backup_at": NOW - timedelta(hours=72)}),
        "volume.last_backup_at",
    ),
    (
        "MLPS-L3-BAK-02",
        PLAN,
        plan_with(backup=replace(PLAN.backup, offsite=False)),
        "spec.backup.offsite",
    ),
    (
        "MLPS-L3-BAK-02",
        res("backup", target_site="sz-dc2"),
        res("backup", target_site="gz-dc1"),
        "backup.target_site",
    ),
    (
        "MLPS-L2-BAK-03",
        res("system"),
        replace(res("system"), system=replace(SYS, local_export_on=None)),
        "system.localExportOn",
    ),
    ("MLPS-L2-BAK-04", res("volume"), res("volume", site=replace(SITE, az=None)), "site.az"),
    (
        "MLPS-L3-BAK-05",
        res("volume", replica_count=3),
        res("volume", replica_count=1),
        "volume.replica_count",
    ),
    ("MLPS-L3-HA-01", PLAN, item_plan(count=1), "spec.compute[0].count"),
    ("MLPS-L2-CSP-01", PLAN, provplan(csa_valid_until=date(2026, 1, 1)), "spec.placement.provider"),
    ("MLPS-L2-CSP-01", PLAN, provplan(assessment_conclusion="不符合"), "spec.placement.provider"),
    ("CII-XC-01", PLAN, provplan(cpu_vendor="intel"), "spec.xinchuang"),
    ("CII-XC-01", PLAN, image_plan(os_family="ubuntu"), "spec.compute[0].image"),
    ("MLPS-L2-GOV-01", PLAN, sysplan(filing_number=None), "spec.records.filingNumber"),
    ("MLPS-L2-GOV-01", PLAN, sysplan(grading_evidence=None), "spec.records.gradingEvidence"),
    (
        "MLPS-L2-GOV-01",
        res("system"),
        replace(res("system"), system=replace(SYS, filing_number=None)),
        "spec.records.filingNumber",
    ),
    ("MLPS-L2-GOV-01", res("server"), res("server", level=None), "system"),
    (
        "MLPS-L3-GOV-02",
        res("system"),
        replace(res("system"), system=replace(SYS, assessed_on=date(2024, 1, 1))),
        "spec.records.assessment.date",
    ),
    ("MLPS-L3-GOV-02", PLAN, sysplan(assessed_on=None), "spec.records.assessment"),
    (
        "MLPS-L3-GOV-02",
        PLAN,
        sysplan(assessment_conclusion="不符合"),
        "spec.records.assessment.conclusion",
    ),
    (
        "MLPS-L1-NET-05",
        res("system"),
        replace(res("system"), system=replace(SYS, boundary_approval=None)),
        "spec.records.boundaryApproval",
    ),
    (
        "MLPS-L3-CHG-01",
        plan_with(is_update=True, change_ticket="CHG-1"),
        plan_with(is_update=True),
        "metadata.annotations.changeTicket",
    ),
    (
        "CRYPT-L3-01",
        PLAN,
        plan_with(encryption=replace(PLAN.encryption, at_rest="aes-256")),
        "spec.encryption.atRest",
    ),
    (
        "CRYPT-L3-01",
        res("volume", cipher="sm4", kms_gm_certified=True),
        res("volume", cipher="aes-256", kms_gm_certified=True),
        "volume.cipher",
    ),
    (
        "CRYPT-L3-02",
        PLAN,
        with_ingress(IngressRule("internet", 22)),
        "spec.network.ingress[2].port",
    ),
    (
        "CRYPT-L3-02",
        sg(IngressRule("10.0.0.0/8", 22)),
        sg(IngressRule("10.0.0.0/8", 5900)),
        "security_group/security_group-1.ingress[0].port",
    ),
]


def run(rule_id: str, subject: PlanView | ResourceView) -> list[Verdict]:
    rule = get_rule(rule_id)
    bound = BoundRule(rule, Enforcement.ENFORCE, rule.spec.default_params())
    if isinstance(subject, PlanView):
        assert rule.spec.mode.admission, f"{rule_id} has no admission check"
        return evaluate_plan(bound, subject)
    assert rule.spec.mode.audit and subject.kind in rule.spec.kinds, (rule_id, subject.kind)
    return evaluate_resource(bound, subject, NOW)


def _case_id(case: tuple[str, Any, Any, str]) -> str:
    return f"{case[0]}:{case[3]}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_passing_fixture_passes(case: tuple[str, Any, Any, str]) -> None:
    rule_id, good, _, _ = case
    verdicts = run(rule_id, good)
    assert verdicts
    assert {v.outcome for v in verdicts} <= {Outcome.PASS, Outcome.NOT_APPLICABLE}, verdicts
    assert any(v.outcome is Outcome.PASS for v in verdicts)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_failing_fixture_fails_naming_clause_and_field(case: tuple[str, Any, Any, str]) -> None:
    rule_id, _, bad, field = case
    spec = get_rule(rule_id).spec
    failures = [v for v in run(rule_id, bad) if v.outcome is Outcome.FAIL]
    assert failures, f"{rule_id} did not fail"
    hit = [v for v in failures if v.field == field]
    assert hit, [v.field for v in failures]
    verdict = hit[0]
    for message in (verdict.message_zh, verdict.message_en):
        assert rule_id in message
        assert spec.clause in message
        assert field in message
    assert verdict.remediation_zh and verdict.remediation_en
    # paperwork (filing, approvals, provenance) only warns at admission, until go-live
    deferred = spec.paperwork and isinstance(bad, PlanView)
    assert verdict.deferred is deferred
    assert verdict.blocking is not deferred


def test_every_implemented_rule_has_fixtures() -> None:
    covered = {case[0] for case in CASES}
    implemented = {spec.id for spec in catalog() if spec.implemented}
    assert implemented <= covered, sorted(implemented - covered)
    assert len(implemented) >= 45


def test_catalogue_is_complete_and_pending_rules_name_their_inputs() -> None:
    specs = catalog()
    assert len(specs) == 57
    pending = [s for s in specs if not s.implemented]
    assert len(pending) == 9
    for spec in pending:
        bound = BoundRule(get_rule(spec.id), Enforcement.ENFORCE, spec.default_params())
        level = max(spec.levels)
        (verdict,) = evaluate_resource(bound, res("system", level=level), NOW)
        assert verdict.outcome is Outcome.NOT_EVALUABLE
        assert verdict.missing == "; ".join(spec.pending_inputs)
        assert spec.summary()["implemented"] is False


def test_missing_input_is_not_evaluable_never_pass() -> None:
    verdicts = run("MLPS-L2-PLT-01", plan_with(provider=None))
    assert [v.outcome for v in verdicts] == [Outcome.NOT_EVALUABLE]
    assert verdicts[0].missing == "placement decision (provider)"
    (verdict,) = run("MLPS-L2-ISO-03", res("port"))
    assert verdict.outcome is Outcome.NOT_EVALUABLE
    assert verdict.missing == "port.port_security_enabled"


def test_level_gate_marks_other_levels_not_applicable() -> None:
    (verdict,) = run("MLPS-L3-NET-03", make_plan(2))
    assert verdict.outcome is Outcome.NOT_APPLICABLE
    (verdict,) = run("MLPS-L3-NET-03", sysplan(level=None))
    assert verdict.outcome is Outcome.NOT_EVALUABLE


def test_resource_without_system_is_not_evaluable_for_level_rules() -> None:
    (verdict,) = run("MLPS-L3-BAK-05", res("volume", level=None, replica_count=3))
    assert verdict.outcome is Outcome.NOT_EVALUABLE
    assert verdict.missing == "system binding of the resource"


def test_high_risk_flag_only_on_failures_of_high_risk_rules() -> None:
    (bad,) = [v for v in run("CSL-LOG-01", plan_with(logging=None)) if v.outcome is Outcome.FAIL]
    assert bad.high_risk
    assert not any(v.high_risk for v in run("CSL-LOG-01", PLAN))
    assert not any(v.high_risk for v in run("MLPS-L1-NET-04", sg(attached_ports=0)))


def test_verdict_records_round_trip() -> None:
    (verdict,) = run("MLPS-L3-BAK-05", res("volume", replica_count=1))
    assert Verdict.from_record(verdict.to_record()) == verdict
    assert verdict.evaluated_at == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def test_each_plan_scans_its_own_ingress_rules() -> None:
    risky, quiet = with_ingress(IngressRule("internet", 3389)), PLAN
    for view, fails in [(risky, True), (quiet, False), (risky, True), (replace(risky), True)]:
        failed = [v for v in run("MLPS-L1-NET-02", view) if v.outcome is Outcome.FAIL]
        assert bool(failed) is fails
    assert plan_ingress(risky) == tuple(
        (f"spec.network.ingress[{i}]", item) for i, item in enumerate(risky.ingress)
    )
