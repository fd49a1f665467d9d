"""Rules of catalogue §1.7: data location, classification (GB/T 43697) and protection.

Imports only :mod:`policies` internals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from policies.params import NoParams, Params, Tighten
from policies.registry import Finding, Rule, attr, fail, need, not_applicable, rule
from policies.rules._common import DATA_KINDS, age_days
from policies.verdicts import RuleMode, Severity
from policies.views import DATA_GRADES, PlanView, ResourceView, SystemFacts, grade_rank

GROUP = "data"
DSL = ("数据安全法", "Data Security Law")
IMPORTANT = 1


@rule(
    "MLPS-L2-DAT-01",
    title=("客户数据和个人信息存储于境内", "Customer data and personal information stay in China"),
    group=GROUP,
    standard=(
        "GB/T 22239-2019；网络安全法第三十七条（修正后第三十九条）；数据安全法第三十一条",
        "GB/T 22239-2019; CSL Art. 37 (Art. 39 amended); DSL Art. 31",
    ),
    clause="8.2.4.5 a",
    units=("L3-CES2-10",),
    levels=(2, 3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.CRITICAL,
    kinds=DATA_KINDS,
    remediation=(
        "数据、备份和复制目标都只能在中国境内。",
        "Keep data, backups and replication targets in China.",
    ),
)
class DataInChina(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        provider = need(view.provider, "placement decision (provider)")
        country = need(provider.country, f"provider {provider.name} country")
        if country != "CN":
            yield fail(
                "spec.placement.provider",
                f"数据将存储在境外（{country}）",
                f"data would be stored outside China ({country})",
            )
        backup = view.backup
        if backup is not None and backup.target_country not in (None, "CN"):
            yield fail(
                "spec.backup.target",
                f"备份目标位于境外（{backup.target_country}）",
                f"backup target is outside China ({backup.target_country})",
            )

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        country = view.site.country or (view.provider.country if view.provider else None)
        if need(country, "site.country") != "CN":
            yield fail("site.country", f"数据位于境外（{country}）", f"data is in {country}")
        target = view.attrs.get("replication_target_country")
        if target is not None and target != "CN":
            yield fail(
                f"{view.kind}.replication_target_country",
                f"复制/备份目标位于境外（{target}）",
                f"replication or backup target is outside China ({target})",
            )


class ClassificationParams(Params):
    require_category: Annotated[bool, Tighten.HIGHER] = False


@rule(
    "DATA-CLS-01",
    title=("数据分类分级", "Data is classified and graded"),
    group=GROUP,
    standard=("数据安全法第二十一条；GB/T 43697-2024", "DSL Art. 21; GB/T 43697-2024"),
    clause="Art. 21",
    mode=RuleMode.BOTH,
    severity=Severity.MEDIUM,
    kinds=DATA_KINDS,
    params=ClassificationParams,
    remediation=(
        "为系统和数据资源标注数据级别（一般/重要/核心）及行业类别。",
        "Label the system and its data resources with a grade (general/important/core) and "
        "a category.",
    ),
)
class DataClassification(Rule[ClassificationParams]):
    def plan(self, view: PlanView, params: ClassificationParams) -> Iterator[Finding]:
        grade = view.system.data_grade
        if grade not in DATA_GRADES:
            yield fail(
                "spec.dataClassification",
                f"数据级别 {grade!r} 缺失或无效（应为 general/important/core）",
                f"data grade {grade!r} is missing or invalid (general/important/core)",
            )
        if params.require_category and not view.system.data_category:
            yield fail("spec.dataCategory", "未标注数据类别", "no data category")

    def resource(
        self, view: ResourceView, params: ClassificationParams, now: datetime
    ) -> Iterator[Finding]:
        if view.effective_grade not in DATA_GRADES:
            yield fail("data.grade", "数据资源没有数据级别标签", "data resource has no grade label")
        if params.require_category and not view.attrs.get("data_category"):
            yield fail("data.category", "数据资源没有类别标签", "data resource has no category")


class ProvinceParams(Params):
    province: Annotated[str | None, Tighten.FIXED] = None


@rule(
    "DATA-IMP-01",
    title=("重要/核心数据留在本省政务云", "Important or core data stays in the owning province"),
    group=GROUP,
    standard=("省级政务云/政务数据管理办法", "Provincial gov-cloud / gov-data measures"),
    clause="local policy",
    mode=RuleMode.ADMISSION,
    severity=Severity.HIGH,
    params=ProvinceParams,
    remediation=(
        "重要/核心数据只能放置在本省的云平台上。",
        "Place important or core data only on clouds in the owning province.",
    ),
)
class DataInProvince(Rule[ProvinceParams]):
    def plan(self, view: PlanView, params: ProvinceParams) -> Iterator[Finding]:
        if grade_rank(view.system.data_grade) < IMPORTANT:
            yield not_applicable("非重要数据", "not important data")
            return
        home = params.province or need(view.system.owner_province, "system.ownerProvince")
        provider = need(view.provider, "placement decision (provider)")
        where = need(provider.province, f"provider {provider.name} province")
        if where != home:
            yield fail(
                "spec.placement.provider",
                f"重要数据将放在省外（{where}，应为 {home}）",
                f"important data would leave the province ({where}, must be {home})",
            )


@rule(
    "DATA-IMP-02",
    title=("重要数据加强保护", "Extra protection for important data"),
    group=GROUP,
    standard=("数据安全法第二十七条；GB/T 22239-2019", "DSL Art. 27; GB/T 22239-2019"),
    clause="8.1.4.7 b, 8.1.4.8 b",
    units=("L3-CES1-26", "L3-CES1-28"),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=("volume", "bucket"),
    remediation=(
        "重要数据须加密存储、禁止公开访问、开启版本/不可变备份和异地备份，并记录访问日志。",
        "Important data needs encrypted storage, no public access, versioning or immutable "
        "backup, off-site backup and access logging.",
    ),
)
class ImportantDataProtection(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        if grade_rank(view.system.data_grade) < IMPORTANT:
            yield not_applicable("非重要数据", "not important data")
            return
        for path, volume in view.volumes:
            if not volume.encrypted:
                yield fail(
                    f"{path}.encrypted", "重要数据卷未加密", "important-data volume is plain"
                )
        backup = view.backup
        if backup is None or not backup.enabled:
            yield fail("spec.backup.enabled", "重要数据未开启备份", "important data has no backup")
        elif not backup.offsite:
            yield fail("spec.backup.offsite", "重要数据没有异地备份", "no off-site backup")
        if view.logging is None:
            yield fail("spec.logging", "重要数据没有访问日志", "important data has no access log")

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        if grade_rank(view.effective_grade) < IMPORTANT:
            yield not_applicable("非重要数据", "not important data")
            return
        if not attr(view, "encrypted", bool):
            yield fail(f"{view.kind}.encrypted", "重要数据未加密存储", "important data is plain")
        if view.kind == "bucket":
            if attr(view, "public_access", bool):
                yield fail("bucket.public_access", "存储桶允许公开访问", "bucket is public")
            if not attr(view, "versioning", bool):
                yield fail("bucket.versioning", "存储桶未开启版本控制", "bucket versioning is off")


class RiskAssessmentParams(Params):
    max_assessment_age_days: Annotated[int, Tighten.LOWER, Field(ge=1)] = 365


@rule(
    "DATA-IMP-03",
    title=("重要数据负责人与定期风险评估", "Data-security officer and yearly risk assessment"),
    group=GROUP,
    standard=("数据安全法第二十七条、第三十条", "DSL Art. 27, Art. 30"),
    clause="Art. 27, 30",
    mode=RuleMode.BOTH,
    severity=Severity.MEDIUM,
    kinds=("system",),
    params=RiskAssessmentParams,
    remediation=(
        "登记数据安全负责人，每年开展风险评估并上传报告编号。",
        "Name a data-security officer and record a yearly risk assessment.",
    ),
    paperwork=True,
)
class DataSecurityOfficer(Rule[RiskAssessmentParams]):
    def plan(self, view: PlanView, params: RiskAssessmentParams) -> Iterator[Finding]:
        return self._check(view.system, params, view.as_of)

    def resource(
        self, view: ResourceView, params: RiskAssessmentParams, now: datetime
    ) -> Iterator[Finding]:
        return self._check(need(view.system, "system record"), params, now)

    @staticmethod
    def _check(
        system: SystemFacts, params: RiskAssessmentParams, now: datetime
    ) -> Iterator[Finding]:
        if grade_rank(system.data_grade) < IMPORTANT:
            yield not_applicable("非重要数据", "not important data")
            return
        if not system.data_security_officer:
            yield fail(
                "spec.records.dataSecurityOfficer", "未登记数据安全负责人", "no officer named"
            )
        last: date | None = system.risk_assessed_on
        if last is None:
            yield fail(
                "spec.records.riskAssessedOn", "没有风险评估记录", "no risk assessment recorded"
            )
        elif age_days(last, now) > params.max_assessment_age_days:
            yield fail(
                "spec.records.riskAssessedOn",
                f"风险评估已 {age_days(last, now)} 天",
                f"last risk assessment {age_days(last, now)} days ago",
            )


@rule(
    "MLPS-L3-KMS-01",
    title=("云服务客户自行部署密钥管理", "Customers manage their own keys"),
    group=GROUP,
    clause="8.2.4.5 e",
    units=("L3-CES2-13",),
    levels=(3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=("volume", "bucket"),
    remediation=(
        "加密使用部门项目自有的密钥（spec.encryption.customerManagedKey: true）。",
        "Encrypt with a key owned by the department's project (customerManagedKey: true).",
    ),
)
class CustomerKeys(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        if not any(volume.encrypted for _, volume in view.volumes):
            yield not_applicable("没有加密卷", "no encrypted volume")
            return
        encryption = need(view.encryption, "spec.encryption")
        if not need(encryption.customer_managed_key, "spec.encryption.customerManagedKey"):
            yield fail(
                "spec.encryption.customerManagedKey",
                "加密卷使用平台默认密钥",
                "encrypted volumes use the platform default key",
            )

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        if not attr(view, "encrypted", bool):
            yield not_applicable("未加密", "not encrypted")
            return
        owner = attr(view, "key_owner", str)
        if owner != "tenant":
            yield fail(
                f"{view.kind}.key_owner",
                f"密钥属于 {owner}，不属于部门项目",
                f"key is owned by {owner}, not by the department's project",
            )


@rule(
    "MLPS-L2-RES-01",
    title=("剩余信息保护", "Residual information is cleared"),
    group=GROUP,
    clause="8.2.4.7 a, b; 8.1.4.10",
    units=("L3-CES2-18", "L3-CES2-19"),
    levels=(2, 3, 4),
    mode=RuleMode.AUDIT,
    severity=Severity.MEDIUM,
    pending_inputs=("cinder volume_clear setting per backend", "deletion records of tenants"),
    remediation=(
        "设置 cinder volume_clear=zero/shred；删除后不残留快照、备份和副本。",
        "Set cinder volume_clear to zero or shred; leave no snapshots, backups or replicas.",
    ),
)
class ResidualInformation(Rule[NoParams]):
    """Declared only: reported not evaluable, naming its ``pending_inputs``."""


@rule(
    "MLPS-L2-MIG-01",
    title=("虚拟机和数据迁移", "VM and data migration"),
    group=GROUP,
    clause="8.2.4.2 a; 8.2.4.5 c, d; 8.2.4.6 d",
    units=("L3-CES2-02", "L3-CES2-12", "L3-CES2-17"),
    levels=(2, 3, 4),
    mode=RuleMode.AUDIT,
    severity=Severity.MEDIUM,
    pending_inputs=(
        "nova live_migration_with_native_tls setting",
        "security-group bindings before/after each live migration",
        "exit-drill records",
    ),
    remediation=(
        "开启 live_migration_with_native_tls，迁移后核对安全组，定期开展退出演练。",
        "Enable live_migration_with_native_tls, verify security groups after migration and "
        "run exit drills.",
    ),
)
class Migration(Rule[NoParams]):
    """Declared only: reported not evaluable, naming its ``pending_inputs``."""
