"""Plain builders for the policy tests: a compliant level-3 plan, its system and provider."""

from __future__ import annotations

from datetime import UTC, date, datetime

from policies.views import (
    BackupView,
    ComputeItem,
    EncryptionView,
    ImageFacts,
    IngressRule,
    KubernetesView,
    LoggingView,
    PlanView,
    ProviderFacts,
    SystemFacts,
    VolumeView,
)

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def make_provider() -> ProviderFacts:
    return ProviderFacts(
        name="prov-main",
        tier="provincial",
        country="CN",
        province="GD",
        site="gz-dc1",
        certified_level=4,
        xinchuang=True,
        arch="aarch64",
        cpu_vendor="kunpeng",
        dedicated_l4_pool=True,
        management_networks=frozenset({"mgmt-net"}),
        assessment_conclusion="符合",
        assessment_date=date(2026, 1, 10),
        csa_valid_until=date(2028, 1, 1),
    )


def make_system(level: int = 3) -> SystemFacts:
    return SystemFacts(
        name="social-security-portal",
        tenant="hrss",
        level=level,
        data_grade="important",
        data_category="social-security",
        filing_number="44010099999-00001",
        grading_evidence="定级报告 HRSS-DJ-2025-07（专家评审意见 2025-08-12）",
        xinchuang_required=True,
        classified=False,
        internet_facing=True,
        boundary_approval="WAF-2026-001",
        owner_province="GD",
        data_security_officer="张三",
        risk_assessed_on=date(2026, 3, 1),
        assessed_on=date(2026, 2, 1),
        assessment_agency="广东省网络安全等级测评中心",
        assessment_conclusion="符合",
        local_export_on=date(2026, 5, 1),
    )


def make_plan(level: int = 3) -> PlanView:
    image = ImageFacts(
        name="kylin-v10-sp3",
        hardened=True,
        xinchuang=True,
        os_family="kylin",
        arch=("aarch64", "x86_64"),
        patched_on=date(2026, 5, 1),
        checksum="sha512:abc",
        signed=True,
    )
    return PlanView(
        request="social-security-portal",
        tenant="hrss",
        system=make_system(level),
        as_of=NOW,
        provider=make_provider(),
        compute=(
            ComputeItem(
                name="web",
                flavor="c4m8",
                count=2,
                image=image,
                volumes=(VolumeView(100, "ssd", encrypted=True),),
                networks=("hrss-net",),
                critical=True,
                anti_affinity=True,
            ),
        ),
        kubernetes=KubernetesView(quota={"cpu": "16", "memory": "64Gi", "pods": "100"}),
        ingress=(
            IngressRule("internet", 443),
            IngressRule("10.20.0.0/16", 22),
        ),
        backup=BackupView(enabled=True, offsite=True, retention_days=30, target_country="CN"),
        logging=LoggingView(retention_days=180),
        encryption=EncryptionView(
            at_rest="sm4", in_transit="tlcp", customer_managed_key=True, kms_gm_certified=True
        ),
    )
