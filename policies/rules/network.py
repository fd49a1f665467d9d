"""Rules of catalogue §1.2: boundary and network access control.

Imports only :mod:`policies` internals.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Annotated

from pydantic import Field

from policies.params import NoParams, Params, Tighten
from policies.registry import Finding, Rule, attr, fail, need, not_applicable, rule
from policies.rules._common import INGRESS_KINDS, plan_ingress, port_findings, resource_ingress
from policies.verdicts import RuleMode, Severity
from policies.views import IngressRule, PlanView, ResourceView, SystemFacts

GROUP = "network"

DEFAULT_RISKY_PORTS = frozenset(
    {22, 23, 3389, 5900, 2375, 2376, 6443, 10250, 3306, 5432, 1521, 1433, 6379, 27017, 9200, 11211}
)
DEFAULT_PLAINTEXT_PORTS = frozenset({21, 23, 512, 513, 514, 5900})


def _ingress(view: PlanView | ResourceView) -> list[tuple[str, IngressRule]]:
    if isinstance(view, PlanView):
        return list(plan_ingress(view))
    return list(resource_ingress(view))


@rule(
    "MLPS-L1-NET-01",
    title=("边界访问控制默认拒绝", "Border access rules deny by default"),
    group=GROUP,
    clause="8.1.3.2 a",
    units=("L3-ABS1-05",),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=INGRESS_KINDS,
    remediation=(
        "删除对 0.0.0.0/0 开放全部端口或全部协议的入方向规则，只开放业务需要的端口。",
        "Remove ingress rules opening every port or protocol to 0.0.0.0/0; open only what "
        "the service needs.",
    ),
)
class DenyByDefault(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        return self._scan(_ingress(view))

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        return self._scan(_ingress(view))

    def _scan(self, items: Iterable[tuple[str, IngressRule]]) -> Iterator[Finding]:
        for path, item in items:
            if item.from_internet and item.all_ports:
                yield fail(
                    f"{path}.port",
                    "对互联网开放全部端口/协议",
                    "opens every port or protocol to the internet",
                )


class RiskyPortParams(Params):
    risky_ports: Annotated[frozenset[int], Tighten.SUPERSET] = DEFAULT_RISKY_PORTS
    management_ports: Annotated[frozenset[int], Tighten.SUPERSET] = frozenset({22, 3389})
    # by default management may come from the bastion or internal (RFC 1918) ranges only
    management_sources: Annotated[frozenset[str], Tighten.SUBSET] = frozenset(
        {"bastion", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}
    )


@functools.lru_cache(maxsize=4096)
def _within(source: str, allowed: frozenset[str]) -> bool:
    """``source`` is an allowed tag or a CIDR inside one of the allowed CIDRs (answered
    once per pair: a batch asks about the same few sources again and again)."""
    if source in allowed:
        return True
    try:
        net = ipaddress.ip_network(source, strict=False)
    except ValueError:
        return False
    for entry in allowed:
        try:
            parent = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        if net.version == parent.version and net.subnet_of(parent):  # type: ignore[arg-type]
            return True
    return False


@rule(
    "MLPS-L1-NET-02",
    title=("关闭高危端口，限制管理终端地址", "Close high-risk ports; restrict management sources"),
    group=GROUP,
    clause="8.1.4.4 b, c",
    units=("L3-CES1-18", "L3-CES1-19"),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    high_risk=True,
    kinds=INGRESS_KINDS,
    params=RiskyPortParams,
    remediation=(
        "不要对互联网开放高危端口；管理端口只对堡垒机或登记的管理网段开放。",
        "Do not open high-risk ports to the internet; open management ports only to the "
        "bastion or the registered management ranges.",
    ),
)
class RiskyPorts(Rule[RiskyPortParams]):
    def plan(self, view: PlanView, params: RiskyPortParams) -> Iterator[Finding]:
        return self._scan(_ingress(view), params, view.system.level)

    def resource(
        self, view: ResourceView, params: RiskyPortParams, now: datetime
    ) -> Iterator[Finding]:
        level = view.system.level if view.system else None
        return self._scan(_ingress(view), params, level)

    def _scan(
        self, items: list[tuple[str, IngressRule]], params: RiskyPortParams, level: int | None
    ) -> Iterator[Finding]:
        yield from port_findings(
            items,
            params.risky_ports,
            internet_only=True,
            zh="对互联网开放高危端口",
            en="opens high-risk ports to the internet",
        )
        if need(level, "system level") < 2:
            return
        for path, item in items:
            if item.from_internet:
                continue  # already reported above
            hit = [p for p in params.management_ports if item.covers(p)]
            if hit and not _within(item.source, params.management_sources):
                yield fail(
                    f"{path}.from",
                    f"管理端口 {sorted(hit)} 对非管理地址 {item.source} 开放",
                    f"management ports {sorted(hit)} open to {item.source}, "
                    "which is not a registered management source",
                )


class PlaintextPortParams(Params):
    plaintext_ports: Annotated[frozenset[int], Tighten.SUPERSET] = DEFAULT_PLAINTEXT_PORTS


@rule(
    "MLPS-L2-NET-07",
    title=("远程管理防止鉴别信息明文传输", "Remote management never sends credentials in clear"),
    group=GROUP,
    clause="8.1.4.1 c",
    units=("L3-CES1-03",),
    levels=(2, 3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    high_risk=True,
    kinds=INGRESS_KINDS,
    params=PlaintextPortParams,
    remediation=(
        "关闭 telnet/ftp/r 系列/VNC 等明文管理端口，改用 SSH 或经堡垒机的加密通道。",
        "Close telnet, ftp, r-services and plain VNC; use SSH or the bastion's encrypted channel.",
    ),
)
class PlaintextManagement(Rule[PlaintextPortParams]):
    def plan(self, view: PlanView, params: PlaintextPortParams) -> Iterator[Finding]:
        return self._scan(_ingress(view), params)

    def resource(
        self, view: ResourceView, params: PlaintextPortParams, now: datetime
    ) -> Iterator[Finding]:
        return self._scan(_ingress(view), params)

    def _scan(
        self, items: list[tuple[str, IngressRule]], params: PlaintextPortParams
    ) -> Iterator[Finding]:
        return port_findings(
            items,
            params.plaintext_ports,
            internet_only=False,
            zh="开放明文远程管理端口",
            en="opens a plaintext remote-management port",
        )


class RuleHygieneParams(Params):
    max_port_range: Annotated[int, Tighten.LOWER, Field(ge=1)] = 1000


@rule(
    "MLPS-L1-NET-04",
    title=("删除多余或无效的访问控制规则", "Remove redundant or invalid access rules"),
    group=GROUP,
    clause="8.1.3.2 b",
    units=("L3-ABS1-06",),
    mode=RuleMode.AUDIT,
    severity=Severity.LOW,
    kinds=("security_group",),
    params=RuleHygieneParams,
    remediation=(
        "删除未绑定端口的安全组、重复规则和过宽的端口范围。",
        "Delete unattached security groups, duplicate rules and over-wide port ranges.",
    ),
)
class RuleHygiene(Rule[RuleHygieneParams]):
    def resource(
        self, view: ResourceView, params: RuleHygieneParams, now: datetime
    ) -> Iterator[Finding]:
        if attr(view, "attached_ports", int) == 0:
            yield fail(
                "security_group.attached_ports",
                "安全组未绑定任何端口",
                "security group is attached to no port",
            )
        seen: set[IngressRule] = set()
        for path, item in resource_ingress(view):
            if item in seen:
                yield fail(path, "重复的规则", "duplicate rule")
            seen.add(item)
            if not item.all_ports and item.width > params.max_port_range:
                yield fail(
                    f"{path}.port",
                    f"端口范围 {item.width} 个，超过 {params.max_port_range}",
                    f"port range spans {item.width} ports, over {params.max_port_range}",
                )


@rule(
    "MLPS-L1-NET-05",
    title=("跨边界访问经受控接口", "Traffic crossing the border uses controlled interfaces"),
    group=GROUP,
    clause="8.1.3.1 a",
    units=("L3-ABS1-01",),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=("system",),
    remediation=(
        "互联网暴露须在系统登记中声明面向互联网，并登记 WAF/边界防护审批号。",
        "Internet exposure needs the system registered as internet-facing with a WAF/boundary "
        "approval id.",
    ),
    paperwork=True,
)
class ControlledInterfaces(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        exposed = [path for path, item in plan_ingress(view) if item.from_internet]
        if not exposed:
            return
        system = view.system
        if not need(system.internet_facing, "system.internetFacing"):
            yield fail(
                f"{exposed[0]}.from",
                "系统未登记为面向互联网，却开放互联网访问",
                "opens internet access but the system is not registered as internet-facing",
            )
        yield from _boundary_approval(system)

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        system = need(view.system, "system record")
        if not need(system.internet_facing, "system.internetFacing"):
            yield not_applicable("系统不面向互联网", "the system is not internet-facing")
            return
        yield from _boundary_approval(system)


def _boundary_approval(system: SystemFacts) -> Iterator[Finding]:
    if system.boundary_approval is None:
        yield fail(
            "spec.records.boundaryApproval",
            "互联网暴露没有登记边界防护（WAF）审批号",
            "internet exposure has no registered boundary (WAF) approval",
        )


class TransitParams(Params):
    allowed_transit: Annotated[frozenset[str], Tighten.SUBSET] = frozenset({"tls", "tlcp"})
    plaintext_app_ports: Annotated[frozenset[int], Tighten.SUPERSET] = frozenset({80, 8080})
    allowed_tls: Annotated[frozenset[str], Tighten.SUBSET] = frozenset(
        {"TLSv1.2", "TLSv1.3", "TLCP"}
    )


@rule(
    "MLPS-L3-NET-06",
    title=("通信传输保密性", "Confidentiality in transit by cryptography"),
    group=GROUP,
    clause="8.1.2.2 c, 8.1.4.8 a",
    units=("L3-CNS1-07", "L3-CES1-27"),
    levels=(3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=("load_balancer",),
    params=TransitParams,
    remediation=(
        "传输加密选 tls 或 tlcp；对外只开放 HTTPS，HTTP 仅做跳转；TLS 版本不低于 1.2。",
        "Use tls or tlcp in transit; expose HTTPS only (HTTP only as a redirect); TLS ≥ 1.2.",
    ),
)
class TransitConfidentiality(Rule[TransitParams]):
    def plan(self, view: PlanView, params: TransitParams) -> Iterator[Finding]:
        encryption = need(view.encryption, "spec.encryption")
        transit = need(encryption.in_transit, "spec.encryption.inTransit")
        if transit not in params.allowed_transit:
            yield fail(
                "spec.encryption.inTransit",
                f"传输加密 {transit} 不在允许的 {sorted(params.allowed_transit)} 中",
                f"transit encryption {transit} is not one of {sorted(params.allowed_transit)}",
            )
        yield from port_findings(
            plan_ingress(view),
            params.plaintext_app_ports,
            internet_only=True,
            zh="对互联网开放明文业务端口",
            en="exposes a plaintext application port to the internet",
        )

    def resource(
        self, view: ResourceView, params: TransitParams, now: datetime
    ) -> Iterator[Finding]:
        protocol = attr(view, "protocol", str).upper()
        if protocol not in ("HTTPS", "TERMINATED_HTTPS") and view.attrs.get("redirect") is not True:
            yield fail(
                "load_balancer.protocol",
                f"监听协议 {protocol} 不加密",
                f"listener protocol {protocol} is not encrypted",
            )
        versions = view.attrs.get("tls_versions")
        if isinstance(versions, list | tuple):
            bad = sorted(set(map(str, versions)) - params.allowed_tls)
            if bad:
                yield fail(
                    "load_balancer.tls_versions",
                    f"允许了过时的协议版本 {bad}",
                    f"allows outdated protocol versions {bad}",
                )


@rule(
    "MLPS-L2-NET-08",
    title=("关键节点入侵检测与告警", "Network intrusion detection at key nodes"),
    group=GROUP,
    clause="8.1.3.3, 8.2.3.2",
    units=("L3-ABS1-10", "L3-ABS2-03"),
    levels=(2, 3, 4),
    mode=RuleMode.AUDIT,
    severity=Severity.MEDIUM,
    kinds=("floating_ip", "load_balancer", "network"),
    remediation=(
        "面向互联网的地址置于登记的 IDS/IPS/WAF 之后；三级系统网络开启流日志。",
        "Put internet-facing addresses behind a registered IDS/IPS/WAF; enable flow logs on "
        "level-3 networks.",
    ),
)
class IntrusionDetection(Rule[NoParams]):
    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        if view.kind == "network":
            level = need(view.system.level if view.system else None, "system level")
            if level >= 3 and not attr(view, "flow_logs", bool):
                yield fail("network.flow_logs", "三级系统网络未开启流日志", "flow logs are off")
            return
        if view.kind == "load_balancer" and view.attrs.get("external") is not True:
            return
        if not attr(view, "protected_by", list):
            yield fail(
                f"{view.kind}.protected_by",
                "互联网入口没有登记的 IDS/IPS/WAF",
                "internet entry point has no registered IDS/IPS/WAF",
            )
