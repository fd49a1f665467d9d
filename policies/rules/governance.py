"""Rules of catalogue §1.9: provider selection, supply chain, O&M, grading, change control.

Imports only :mod:`policies` internals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from pydantic import Field

from policies.params import NoParams, Params, Tighten
from policies.registry import Finding, Rule, fail, need, not_applicable, rule
from policies.rules._common import age_days
from policies.verdicts import RuleMode, Severity
from policies.views import PlanView, ProviderFacts, ResourceView, SystemFacts

GROUP = "governance"
_GOOD_CONCLUSIONS = frozenset({"符合", "基本符合"})


class ProviderSelectionParams(Params):
    max_assessment_age_days: Annotated[int, Tighten.LOWER, Field(ge=1)] = 365


@rule(
    "MLPS-L2-CSP-01",
    title=("选择安全合规的云服务商", "Choose a compliant cloud provider"),
    group=GROUP,
    standard=(
        "GB/T 22239-2019；云计算服务安全评估办法（2019）",
        "GB/T 22239-2019; Cloud Service Security Assessment Measures (2019)",
    ),
    clause="8.2.6.1 a",
    levels=(2, 3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.CRITICAL,
    kinds=("system",),
    params=ProviderSelectionParams,
    remediation=(
        "选择备案等级足够、测评结论为符合/基本符合且云评估有效的云平台。",
        "Choose a cloud with a sufficient filing level, a 符合/基本符合 assessment and a "
        "valid cloud security assessment.",
    ),
    paperwork=True,
)
class CompliantProvider(Rule[ProviderSelectionParams]):
    """The hosting cloud's own filing, assessment and cloud security assessment.

    At admission the finding points at the placement; in the continuous audit it points
    at the estate's record of the cloud, because a certificate that lapses after go-live
    is fixed there (or by moving the system), not in the department's manifest.
    """

    def plan(self, view: PlanView, params: ProviderSelectionParams) -> Iterator[Finding]:
        level = need(view.system.level, "spec.classifiedProtection")
        provider = need(view.provider, "placement decision (provider)")
        for _, zh, en in _provider_gaps(provider, level, params, view.as_of):
            yield fail("spec.placement.provider", zh, en)

    def resource(
        self, view: ResourceView, params: ProviderSelectionParams, now: datetime
    ) -> Iterator[Finding]:
        system = need(view.system, "system record")
        level = need(system.level, "system level")
        if view.provider is None:
            yield not_applicable("系统尚未部署到云平台", "the system is not placed on a cloud yet")
            return
        for field, zh, en in _provider_gaps(view.provider, level, params, now):
            yield fail(f"providers[{view.provider.name}].{field}", zh, en)


def _provider_gaps(
    provider: ProviderFacts, level: int, params: ProviderSelectionParams, now: datetime
) -> Iterator[tuple[str, str, str]]:
    """(estate field, zh, en) for each way the cloud falls short of a level-``level`` system."""
    name = provider.name
    certified = need(provider.certified_level, f"provider {name} certifiedLevel")
    if certified < level:
        yield (
            "certifiedLevel",
            f"云平台 {name} 备案等级 {certified} 低于系统定级 {level}",
            f"provider {name} is filed at level {certified}, below {level}",
        )
    conclusion = need(provider.assessment_conclusion, f"provider {name} assessment result")
    if conclusion not in _GOOD_CONCLUSIONS:
        yield (
            "assessment.conclusion",
            f"云平台 {name} 等级测评结论为 {conclusion}",
            f"provider {name} assessment conclusion is {conclusion}",
        )
    if level >= 3:
        assessed = need(provider.assessment_date, f"provider {name} assessment date")
        age = age_days(assessed, now)
        if age > params.max_assessment_age_days:
            yield (
                "assessment.date",
                f"云平台 {name} 等级测评已 {age} 天",
                f"provider {name} was assessed {age} days ago",
            )
    valid = need(provider.csa_valid_until, f"provider {name} cloud assessment validity")
    if valid <= now.date():
        yield (
            "assessment.validUntil",
            f"云平台 {name} 云计算服务安全评估已于 {valid} 失效",
            f"provider {name} cloud security assessment expired on {valid}",
        )


@rule(
    "MLPS-L2-OPS-01",
    title=("云平台运维在境内", "Cloud O&M happens in China"),
    group=GROUP,
    clause="8.2.7.1; 8.1.10.6",
    units=("L3-MMS2-01",),
    levels=(2, 3, 4),
    mode=RuleMode.AUDIT,
    severity=Severity.HIGH,
    pending_inputs=("bastion session log with source location and approval ids",),
    remediation=(
        "运维只经境内堡垒机，远程运维通道须审批并及时关闭。",
        "Operate only through the in-country bastion; approve and close remote channels.",
    ),
)
class DomesticOperations(Rule[NoParams]):
    """Declared only: reported not evaluable, naming its ``pending_inputs``."""


@rule(
    "MLPS-L2-SUP-01",
    title=("供应链与安全产品合规", "Supply chain and security products comply"),
    group=GROUP,
    standard=(
        "GB/T 22239-2019；关键信息基础设施安全保护条例第十九条",
        "GB/T 22239-2019; CII Art. 19",
    ),
    clause="8.2.6.2 a; 8.1.9.3",
    levels=(2, 3, 4),
    mode=RuleMode.AUDIT,
    severity=Severity.MEDIUM,
    pending_inputs=("certification records of security appliances and crypto modules",),
    remediation=(
        "为安全设备和密码模块登记有效的认证证书及有效期。",
        "Record valid certificates with expiry for security appliances and crypto modules.",
    ),
)
class SupplyChain(Rule[NoParams]):
    """Declared only: reported not evaluable, naming its ``pending_inputs``."""


class XinchuangParams(Params):
    allowed_cpu_vendors: Annotated[frozenset[str], Tighten.SUBSET] = frozenset(
        {"kunpeng", "phytium", "hygon", "loongson", "zhaoxin"}
    )
    allowed_os: Annotated[frozenset[str], Tighten.SUBSET] = frozenset({"kylin", "openeuler", "uos"})


@rule(
    "CII-XC-01",
    title=("信创/安全可信放置", "信创 (trusted domestic stack) placement"),
    group=GROUP,
    standard=(
        "关键信息基础设施安全保护条例第十九条；省信创要求",
        "CII Art. 19; provincial 信创 rules",
    ),
    clause="local policy",
    mode=RuleMode.ADMISSION,
    severity=Severity.MEDIUM,
    params=XinchuangParams,
    remediation=(
        "信创系统放到国产 CPU 的信创资源池，并使用麒麟/openEuler/统信等国产操作系统镜像。",
        "Place 信创 systems on domestic-CPU capacity with a domestic OS image.",
    ),
)
class Xinchuang(Rule[XinchuangParams]):
    def plan(self, view: PlanView, params: XinchuangParams) -> Iterator[Finding]:
        if not view.system.xinchuang_required:
            yield not_applicable("系统无信创要求", "system has no 信创 requirement")
            return
        provider = need(view.provider, "placement decision (provider)")
        if not need(provider.xinchuang, f"provider {provider.name} xinchuang"):
            yield fail(
                "spec.xinchuang",
                f"云平台 {provider.name} 不是信创资源池",
                f"provider {provider.name} is not 信创 capacity",
            )
        vendor = need(provider.cpu_vendor, f"provider {provider.name} cpuVendor")
        if vendor not in params.allowed_cpu_vendors:
            yield fail(
                "spec.xinchuang",
                f"CPU 厂商 {vendor} 不在允许清单 {sorted(params.allowed_cpu_vendors)} 中",
                f"CPU vendor {vendor} is not one of {sorted(params.allowed_cpu_vendors)}",
            )
        for i, item in enumerate(view.compute):
            os_family = need(item.image.os_family, f"image {item.image.name} os")
            if os_family not in params.allowed_os:
                yield fail(
                    f"spec.compute[{i}].image",
                    f"操作系统 {os_family} 不在信创清单 {sorted(params.allowed_os)} 中",
                    f"OS {os_family} is not one of {sorted(params.allowed_os)}",
                )
            if provider.arch is not None and provider.arch not in item.image.arch:
                yield fail(
                    f"spec.compute[{i}].image",
                    f"镜像 {item.image.name} 不支持 {provider.arch} 架构",
                    f"image {item.image.name} does not support {provider.arch}",
                )


@rule(
    "MLPS-L2-GOV-01",
    title=("定级和备案", "Grading and filing"),
    group=GROUP,
    clause="8.1.9.1",
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    needs_system=False,
    kinds=("system", "server", "volume", "network", "security_group", "namespace", "bucket", "pod"),
    remediation=(
        "每个资源都须绑定已定级的信息系统；二级及以上须登记公安机关备案号。",
        "Bind every resource to a graded system; level 2+ needs the police filing number.",
    ),
    paperwork=True,
)
class GradingAndFiling(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        if view.system.level is None:
            yield fail("spec.classifiedProtection", "系统未定级", "the system is not graded")
        else:
            yield from _filing(view.system)

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        system = view.system
        if system is None:
            yield fail("system", "资源未绑定任何信息系统", "resource is bound to no system")
        elif system.level is None:
            yield fail("system.level", f"系统 {system.name} 未定级", f"{system.name} not graded")
        elif view.kind == "system":  # the paperwork once per system, not per resource
            yield from _filing(system)


def _filing(system: SystemFacts) -> Iterator[Finding]:
    """Level 2+ is filed with the police (备案) on the strength of its grading report."""
    level = system.level or 0
    if level < 2:
        return
    if not system.filing_number:
        yield fail(
            "spec.records.filingNumber",
            f"{level} 级系统 {system.name} 没有备案号",
            f"level-{level} system {system.name} has no filing number",
        )
    if not system.grading_evidence:
        yield fail(
            "spec.records.gradingEvidence",
            f"{level} 级系统 {system.name} 没有定级报告/专家评审意见",
            f"level-{level} system {system.name} has no grading evidence",
        )


class AssessmentParams(Params):
    max_age_days_l3: Annotated[int, Tighten.LOWER, Field(ge=1)] = 365
    max_age_days_l4: Annotated[int, Tighten.LOWER, Field(ge=1)] = 182


@rule(
    "MLPS-L3-GOV-02",
    title=("定期等级测评", "Regular classified-protection assessment"),
    group=GROUP,
    standard=("GB/T 22239-2019；公通字〔2007〕43号", "GB/T 22239-2019; 公通字[2007]43"),
    clause="8.1.9.9",
    levels=(3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.MEDIUM,
    kinds=("system",),
    params=AssessmentParams,
    remediation=(
        "三级系统每年、四级系统每半年测评一次；重大变更后重新测评。",
        "Assess level-3 systems yearly and level-4 half-yearly, and after major changes.",
    ),
    paperwork=True,
)
class RegularAssessment(Rule[AssessmentParams]):
    def plan(self, view: PlanView, params: AssessmentParams) -> Iterator[Finding]:
        return self._check(view.system, params, view.as_of)

    def resource(
        self, view: ResourceView, params: AssessmentParams, now: datetime
    ) -> Iterator[Finding]:
        return self._check(need(view.system, "system record"), params, now)

    @staticmethod
    def _check(system: SystemFacts, params: AssessmentParams, now: datetime) -> Iterator[Finding]:
        limit = params.max_age_days_l4 if system.level == 4 else params.max_age_days_l3
        if system.assessed_on is None:
            yield fail("spec.records.assessment", "没有等级测评记录", "no assessment recorded")
        elif age_days(system.assessed_on, now) > limit:
            yield fail(
                "spec.records.assessment.date",
                f"上次测评已 {age_days(system.assessed_on, now)} 天（上限 {limit}）",
                f"last assessed {age_days(system.assessed_on, now)} days ago (limit {limit})",
            )
        elif system.assessment_conclusion == "不符合":
            yield fail(
                "spec.records.assessment.conclusion",
                f"最近一次测评结论为不符合（{system.assessment_agency}）",
                f"the last assessment concluded 不符合 (non-compliant; {system.assessment_agency})",
            )
        if system.major_change_pending:
            yield fail(
                "system.majorChangePending",
                "发生重大变更后尚未重新测评",
                "a major change awaits re-assessment",
            )


@rule(
    "MLPS-L3-CHG-01",
    title=("变更管理", "Change management"),
    group=GROUP,
    clause="8.1.10.10",
    levels=(3, 4),
    mode=RuleMode.ADMISSION,
    severity=Severity.MEDIUM,
    remediation=(
        "变更已投产的三级系统须附已批准的变更单号（metadata.annotations.changeTicket）。",
        "Changes to a level-3 system in production need an approved change ticket.",
    ),
)
class ChangeTicket(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        if not view.is_update:
            yield not_applicable("新建系统", "a new system, not a change")
        elif not view.change_ticket:
            yield fail(
                "metadata.annotations.changeTicket",
                "变更没有已批准的变更单",
                "the change has no approved change ticket",
            )
