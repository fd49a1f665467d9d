"""Rules of catalogue §1.6: image and snapshot protection (镜像和快照保护).

Imports only :mod:`policies` internals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from policies.params import NoParams
from policies.registry import Finding, Rule, attr, fail, need, rule
from policies.verdicts import RuleMode, Severity
from policies.views import PlanView, ResourceView

GROUP = "images"


@rule(
    "MLPS-L2-IMG-01",
    title=("提供加固的操作系统镜像", "Hardened OS images for important systems"),
    group=GROUP,
    clause="8.2.4.4 a",
    units=("L3-CES2-07",),
    levels=(2, 3, 4),
    mode=RuleMode.ADMISSION,
    severity=Severity.HIGH,
    remediation=(
        "选择服务目录中标记为 hardened 的镜像。",
        "Choose a catalogue image marked hardened.",
    ),
)
class HardenedImage(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        for i, item in enumerate(view.compute):
            image = item.image
            if not image.in_catalog:
                yield fail(
                    f"spec.compute[{i}].image",
                    f"镜像 {image.name} 不在平台加固镜像目录中",
                    f"image {image.name} is not in the platform's hardened catalogue",
                )
            elif not need(image.hardened, f"image {image.name} hardened attestation"):
                yield fail(
                    f"spec.compute[{i}].image",
                    f"镜像 {image.name} 未加固",
                    f"image {image.name} is not hardened",
                )


@rule(
    "MLPS-L2-IMG-02",
    title=("镜像和快照完整性校验", "Integrity check of images and snapshots"),
    group=GROUP,
    clause="8.2.4.4 b",
    units=("L3-CES2-08",),
    levels=(2, 3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=("image",),
    remediation=(
        "镜像登记校验值（os_hash_value）；三级及以上镜像须签名并开启签名校验。",
        "Record an image checksum (os_hash_value); level-3+ images must be signed and "
        "signature verification enabled.",
    ),
    paperwork=True,
)
class ImageIntegrity(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        level = need(view.system.level, "spec.classifiedProtection")
        for i, item in enumerate(view.compute):
            image = item.image
            if not image.checksum:
                yield fail(
                    f"spec.compute[{i}].image",
                    f"镜像 {image.name} 没有完整性校验值",
                    f"image {image.name} has no integrity checksum",
                )
            if level >= 3 and not need(image.signed, f"image {image.name} signature"):
                yield fail(
                    f"spec.compute[{i}].image",
                    f"三级系统使用未签名镜像 {image.name}",
                    f"level-{level} system uses unsigned image {image.name}",
                )

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        if not view.attrs.get("os_hash_value"):
            yield fail("image.os_hash_value", "镜像没有校验值", "image has no checksum")
        level = need(view.system.level if view.system else None, "system level")
        if level >= 3 and not attr(view, "signed", bool):
            yield fail("image.signed", "三级系统镜像未签名", "level-3+ image is not signed")


@rule(
    "MLPS-L3-IMG-03",
    title=("保护镜像和快照中的敏感资源", "Sensitive content in images and snapshots is protected"),
    group=GROUP,
    clause="8.2.4.4 c",
    units=("L3-CES2-09",),
    levels=(3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=("image", "snapshot", "backup"),
    remediation=(
        "三级系统的云硬盘使用加密卷；镜像、快照和备份只能私有。",
        "Level-3 volumes use encrypted types; images, snapshots and backups stay private.",
    ),
)
class SnapshotProtection(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        for path, volume in view.volumes:
            if not volume.encrypted:
                yield fail(
                    f"{path}.encrypted",
                    "三级系统的云硬盘未加密，其快照将含明文数据",
                    "volume of a level-3 system is not encrypted; its snapshots would be plain",
                )

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        visibility = attr(view, "visibility", str)
        shared_ok = visibility == "shared" and view.attrs.get("shared_within_system") is True
        if visibility != "private" and not shared_ok:
            yield fail(
                f"{view.kind}.visibility",
                f"可见性为 {visibility}，须为 private",
                f"visibility is {visibility}; must be private",
            )
        if view.attrs.get("source_encrypted") is True and view.attrs.get("encrypted") is not True:
            yield fail(
                f"{view.kind}.encrypted",
                "加密卷的快照/备份未加密",
                "snapshot or backup of an encrypted volume is not encrypted",
            )
