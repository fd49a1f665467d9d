"""Rules of catalogue §1.8: backup, recovery, replicas and availability.

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
from policies.views import PlanView, ResourceView, SystemFacts, grade_rank

GROUP = "backup"


class BackupParams(Params):
    max_backup_age_hours: Annotated[int, Tighten.LOWER, Field(ge=1)] = 48
    max_backup_age_hours_l4: Annotated[int, Tighten.LOWER, Field(ge=1)] = 24
    max_restore_test_age_days: Annotated[int, Tighten.LOWER, Field(ge=1)] = 180


def _backup_required(system: SystemFacts, grade: str | None) -> bool:
    return (system.level or 0) >= 2 or grade_rank(grade) >= 1


@rule(
    "MLPS-L1-BAK-01",
    title=("重要数据本地备份与恢复", "Local backup and restore of important data"),
    group=GROUP,
    clause="8.1.4.9 a",
    units=("L3-CES1-29",),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=("volume", "database", "pvc"),
    params=BackupParams,
    remediation=(
        "开启备份（spec.backup.enabled: true），保持最近备份在 48 小时内并定期做恢复演练。",
        "Enable backup (spec.backup.enabled: true), keep the last backup within 48 h and "
        "test restores regularly.",
    ),
)
class LocalBackup(Rule[BackupParams]):
    def plan(self, view: PlanView, params: BackupParams) -> Iterator[Finding]:
        if not _backup_required(view.system, view.system.data_grade):
            yield not_applicable("一级且非重要数据", "level 1 without important data")
            return
        if view.backup is None or not view.backup.enabled:
            yield fail("spec.backup.enabled", "未开启备份", "backup is not enabled")

    def resource(
        self, view: ResourceView, params: BackupParams, now: datetime
    ) -> Iterator[Finding]:
        system = need(view.system, "system record")
        if not _backup_required(system, view.effective_grade):
            yield not_applicable("一级且非重要数据", "level 1 without important data")
            return
        if not attr(view, "backup_policy", bool):
            yield fail(f"{view.kind}.backup_policy", "没有备份策略", "no backup policy")
            return
        last = attr(view, "last_backup_at", datetime)
        hours = int((now - last).total_seconds() // 3600)
        limit = params.max_backup_age_hours_l4 if system.level == 4 else params.max_backup_age_hours
        if hours > limit:
            yield fail(
                f"{view.kind}.last_backup_at",
                f"最近一次成功备份在 {hours} 小时前",
                f"last successful backup was {hours} hours ago",
            )
        tested = view.attrs.get("restore_tested_on")
        if not isinstance(tested, date):
            yield fail(f"{view.kind}.restore_tested_on", "没有恢复演练记录", "no restore test")
        elif age_days(tested, now) > params.max_restore_test_age_days:
            yield fail(
                f"{view.kind}.restore_tested_on",
                f"恢复演练已 {age_days(tested, now)} 天",
                f"last restore test {age_days(tested, now)} days ago",
            )


@rule(
    "MLPS-L3-BAK-02",
    title=("异地实时备份", "Off-site backup"),
    group=GROUP,
    clause="8.1.4.9 b; 9.1.4.9 d",
    units=("L3-CES1-30",),
    levels=(3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=("backup",),
    remediation=(
        "开启异地备份（spec.backup.offsite: true），备份站点不同于主站点。",
        "Enable off-site backup (spec.backup.offsite: true) to a site other than the primary.",
    ),
)
class OffsiteBackup(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        if view.backup is None or not view.backup.offsite:
            yield fail("spec.backup.offsite", "没有异地备份", "no off-site backup")

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        target = attr(view, "target_site", str)
        primary = need(view.site.site, "site.site")
        if target == primary:
            yield fail(
                "backup.target_site",
                f"备份与主数据在同一站点 {primary}",
                f"backup is in the same site as the data ({primary})",
            )


class ExportParams(Params):
    max_export_age_days: Annotated[int, Tighten.LOWER, Field(ge=1)] = 365


@rule(
    "MLPS-L2-BAK-03",
    title=("云服务客户在本地保存业务数据备份", "Customer keeps a local backup of its data"),
    group=GROUP,
    clause="8.2.4.6 a",
    units=("L3-CES2-14",),
    levels=(2, 3, 4),
    mode=RuleMode.AUDIT,
    severity=Severity.MEDIUM,
    kinds=("system",),
    params=ExportParams,
    remediation=(
        "部门定期使用平台提供的导出功能在本地保存业务数据并登记。",
        "Departments export their data with the platform's export and record it.",
    ),
)
class LocalExport(Rule[ExportParams]):
    def resource(
        self, view: ResourceView, params: ExportParams, now: datetime
    ) -> Iterator[Finding]:
        system = need(view.system, "system record")
        if system.local_export_on is None:
            yield fail("system.localExportOn", "没有本地备份导出记录", "no local export recorded")
        elif age_days(system.local_export_on, now) > params.max_export_age_days:
            yield fail(
                "system.localExportOn",
                f"最近一次本地导出在 {age_days(system.local_export_on, now)} 天前",
                f"last local export {age_days(system.local_export_on, now)} days ago",
            )


_LOCATION_FIELDS = ("country", "province", "az", "site", "storage_backend")


@rule(
    "MLPS-L2-BAK-04",
    title=("可查询数据和备份的存储位置", "Provider can show where data and backups are stored"),
    group=GROUP,
    clause="8.2.4.6 b",
    units=("L3-CES2-15",),
    levels=(2, 3, 4),
    mode=RuleMode.AUDIT,
    severity=Severity.LOW,
    kinds=DATA_KINDS,
    remediation=(
        "在资产清单中补齐地域、可用区、站点和存储后端。",
        "Record region, AZ, site and storage backend for every data resource in inventory.",
    ),
)
class StorageLocationKnown(Rule[NoParams]):
    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        absent = [name for name in _LOCATION_FIELDS if getattr(view.site, name) is None]
        if absent:
            yield fail(
                f"site.{absent[0]}",
                f"未记录存储位置：{', '.join(absent)}",
                f"storage location not recorded: {', '.join(absent)}",
            )


class ReplicaParams(Params):
    min_replicas: Annotated[int, Tighten.HIGHER, Field(ge=2)] = 2


@rule(
    "MLPS-L3-BAK-05",
    title=("云存储中保存多个一致副本", "Several consistent replicas in cloud storage"),
    group=GROUP,
    clause="8.2.4.6 c",
    units=("L3-CES2-16",),
    levels=(3, 4),
    mode=RuleMode.AUDIT,
    severity=Severity.MEDIUM,
    kinds=("volume",),
    params=ReplicaParams,
    remediation=(
        "三级系统使用副本数不少于 2（或纠删码）的存储池。",
        "Level-3 systems use storage pools with ≥ 2 replicas or erasure coding.",
    ),
)
class Replicas(Rule[ReplicaParams]):
    def resource(
        self, view: ResourceView, params: ReplicaParams, now: datetime
    ) -> Iterator[Finding]:
        if view.attrs.get("erasure_coded") is True:
            return
        count = attr(view, "replica_count", int)
        if count < params.min_replicas:
            yield fail(
                "volume.replica_count",
                f"存储副本数 {count}，少于 {params.min_replicas}",
                f"storage keeps {count} replicas, fewer than {params.min_replicas}",
            )


class HaParams(Params):
    min_instances: Annotated[int, Tighten.HIGHER, Field(ge=2)] = 2


@rule(
    "MLPS-L3-HA-01",
    title=("重要数据处理系统热冗余", "Hot redundancy of important processing systems"),
    group=GROUP,
    clause="8.1.4.9 c, 8.1.2.1 c",
    units=("L3-CES1-31", "L3-CNS1-05"),
    levels=(3, 4),
    mode=RuleMode.ADMISSION,
    severity=Severity.MEDIUM,
    params=HaParams,
    remediation=(
        "关键负载至少 2 个实例，并设置反亲和（spec.compute[i].antiAffinity: true）。",
        "Run critical workloads with ≥ 2 instances and anti-affinity.",
    ),
)
class HotRedundancy(Rule[HaParams]):
    def plan(self, view: PlanView, params: HaParams) -> Iterator[Finding]:
        for i, item in enumerate(view.compute):
            if not item.critical:
                continue
            if item.count < params.min_instances:
                yield fail(
                    f"spec.compute[{i}].count",
                    f"关键负载 {item.name} 只有 {item.count} 个实例",
                    f"critical workload {item.name} has only {item.count} instance(s)",
                )
            if not item.anti_affinity:
                yield fail(
                    f"spec.compute[{i}].antiAffinity",
                    f"关键负载 {item.name} 未设置反亲和",
                    f"critical workload {item.name} has no anti-affinity",
                )
