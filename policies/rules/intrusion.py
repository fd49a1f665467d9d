"""Rules of catalogue §1.5: vulnerabilities, malware, unauthorised and escaping VMs.

Imports only :mod:`policies` internals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from policies.params import NoParams, Params, Tighten
from policies.registry import Finding, Rule, attr, fail, need, rule
from policies.rules._common import age_days
from policies.verdicts import RuleMode, Severity
from policies.views import PlanView, ResourceView

GROUP = "intrusion"


class PatchParams(Params):
    max_patch_age_days: Annotated[int, Tighten.LOWER, Field(ge=1)] = 90


@rule(
    "MLPS-L2-VUL-01",
    title=("及时发现并修补已知漏洞", "Known vulnerabilities are found and patched in time"),
    group=GROUP,
    clause="8.1.4.4 e",
    units=("L3-CES1-21",),
    levels=(2, 3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=("image", "server"),
    params=PatchParams,
    remediation=(
        "使用服务目录中近期打过补丁的镜像版本。",
        "Use a catalogue image version patched recently.",
    ),
)
class PatchAge(Rule[PatchParams]):
    def plan(self, view: PlanView, params: PatchParams) -> Iterator[Finding]:
        for i, item in enumerate(view.compute):
            patched = need(item.image.patched_on, f"image {item.image.name} patch date")
            age = age_days(patched, view.as_of)
            if age > params.max_patch_age_days:
                yield fail(
                    f"spec.compute[{i}].image",
                    f"镜像 {item.image.name} 补丁已 {age} 天（上限 {params.max_patch_age_days}）",
                    f"image {item.image.name} last patched {age} days ago "
                    f"(limit {params.max_patch_age_days})",
                )

    def resource(self, view: ResourceView, params: PatchParams, now: datetime) -> Iterator[Finding]:
        age = age_days(attr(view, "patched_on", date), now)
        if age > params.max_patch_age_days:
            yield fail(
                f"{view.kind}.patched_on",
                f"补丁已 {age} 天未更新（上限 {params.max_patch_age_days}）",
                f"last patched {age} days ago (limit {params.max_patch_age_days})",
            )


@rule(
    "MLPS-L1-MAL-01",
    title=("恶意代码防范", "Malicious-code protection"),
    group=GROUP,
    clause="8.1.4.5, 8.2.4.3 c",
    units=("L3-CES1-23", "L3-CES2-06"),
    mode=RuleMode.AUDIT,
    severity=Severity.HIGH,
    pending_inputs=("HIDS/anti-malware agent heartbeat and signature age per server",),
    remediation=(
        "每台主机安装防恶意代码/HIDS 代理并保持特征库 7 天内更新。",
        "Install an anti-malware/HIDS agent on every server; keep signatures under 7 days old.",
    ),
)
class AntiMalware(Rule[NoParams]):
    """Declared only: reported not evaluable, naming its ``pending_inputs``."""


@rule(
    "MLPS-L3-IDS-01",
    title=("检测非授权新建或重启虚拟机", "Detect unauthorised creation or re-enabling of VMs"),
    group=GROUP,
    clause="8.2.4.3 b",
    units=("L3-CES2-05",),
    levels=(3, 4),
    mode=RuleMode.AUDIT,
    severity=Severity.MEDIUM,
    kinds=("server", "pod"),
    # a server made by hand belongs to no system: that is exactly what this rule flags
    needs_system=False,
    remediation=(
        "所有云主机须由控制面中已批准的申请创建；清理或补登孤儿资源。",
        "Every server must come from an approved request; remove or adopt orphans.",
    ),
)
class UnauthorisedVms(Rule[NoParams]):
    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        if not view.attrs.get("request_id"):
            yield fail(
                f"{view.kind}.request_id",
                "资源不对应任何已批准的申请（控制面外创建）",
                "resource maps to no approved request (created outside the control plane)",
            )


@rule(
    "MLPS-L3-IDS-02",
    title=("检测虚拟机之间的资源隔离失效", "Detect failures of isolation between VMs"),
    group=GROUP,
    clause="8.2.4.3 a",
    units=("L3-CES2-04",),
    levels=(3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.MEDIUM,
    kinds=("pod", "server"),
    remediation=(
        "不运行特权/hostPID/hostNetwork 容器；PCI 直通须经审批。",
        "Run no privileged, hostPID or hostNetwork pods; PCI passthrough needs approval.",
    ),
)
class IsolationEscape(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        if view.kubernetes is not None and view.kubernetes.privileged:
            yield fail(
                "spec.kubernetes.privileged",
                "申请允许特权容器",
                "asks to allow privileged pods",
            )

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        if view.kind == "server":
            if view.attrs.get("pci_passthrough") is True and not view.attrs.get("pci_approval"):
                yield fail(
                    "server.pci_passthrough",
                    "未经审批使用 PCI 直通",
                    "uses PCI passthrough without approval",
                )
            return
        for key in ("privileged", "host_pid", "host_network"):
            if view.attrs.get(key) is True:
                yield fail(f"pod.{key}", f"容器启用了 {key}", f"pod uses {key}")
