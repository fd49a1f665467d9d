"""Rules of catalogue §1.1: placement, platform level, tenant and zone isolation.

Imports only :mod:`policies` internals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from policies.params import NoParams
from policies.registry import Finding, Rule, attr, fail, need, rule
from policies.rules._common import PLACED_KINDS, plan_ingress, resource_ingress
from policies.verdicts import RuleMode, Severity
from policies.views import PlanView, ResourceView

GROUP = "placement"
PROVIDER_FIELD = "spec.placement.provider"


@rule(
    "MLPS-L1-LOC-01",
    title=("云计算基础设施位于中国境内", "Cloud infrastructure is located in China"),
    group=GROUP,
    clause="8.2.1.1",
    units=("L3-PES2-01",),
    mode=RuleMode.BOTH,
    severity=Severity.CRITICAL,
    kinds=PLACED_KINDS,
    remediation=(
        "只选择登记国家代码为 CN 且登记了省份代码的云平台和站点。",
        "Place only on clouds and sites registered with country CN and a province code.",
    ),
)
class InfrastructureInChina(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        provider = need(view.provider, "placement decision (provider)")
        country = need(provider.country, f"provider {provider.name} country")
        if country != "CN":
            yield fail(
                PROVIDER_FIELD,
                f"云平台 {provider.name} 位于 {country}，不在中国境内",
                f"provider {provider.name} is in {country}, not in China",
            )
        need(provider.province, f"provider {provider.name} province")

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        fallback = view.provider
        country = view.site.country or (fallback.country if fallback else None)
        province = view.site.province or (fallback.province if fallback else None)
        if need(country, "site.country") != "CN":
            yield fail("site.country", f"资源位于 {country}", f"resource is located in {country}")
        if province is None:
            yield fail("site.province", "站点未登记省份代码", "site has no province code recorded")


@rule(
    "MLPS-L2-PLT-01",
    title=("云平台不承载高于其安全保护等级的业务系统", "Platform level caps the system level"),
    group=GROUP,
    clause="8.2.2.1 a",
    units=("L3-CNS2-01",),
    levels=(2, 3, 4),
    mode=RuleMode.ADMISSION,
    severity=Severity.CRITICAL,
    remediation=(
        "改投备案等级不低于系统定级的云平台（省级云为四级）。",
        "Place the system on a cloud certified at or above its level.",
    ),
)
class PlatformLevelCap(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        level = need(view.system.level, "spec.classifiedProtection")
        provider = need(view.provider, "placement decision (provider)")
        certified = need(provider.certified_level, f"provider {provider.name} certifiedLevel")
        if level > certified:
            yield fail(
                "spec.classifiedProtection",
                f"系统定级 {level} > 平台等级 {certified}（{provider.name}）",
                f"system level {level} > platform level {certified} ({provider.name})",
            )


@rule(
    "MLPS-L4-PLT-02",
    title=("四级系统使用独立资源池", "Level-4 systems get a dedicated resource pool"),
    group=GROUP,
    clause="9.2.2.1",
    levels=(4,),
    mode=RuleMode.ADMISSION,
    severity=Severity.HIGH,
    remediation=(
        "放置到为四级系统专用的主机聚合/可用区或专用集群。",
        "Place on a host aggregate, AZ or cluster dedicated to level-4 systems.",
    ),
)
class DedicatedL4Pool(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        provider = need(view.provider, "placement decision (provider)")
        if not need(provider.dedicated_l4_pool, f"provider {provider.name} dedicatedL4Pool"):
            yield fail(
                PROVIDER_FIELD,
                f"云平台 {provider.name} 没有四级专用资源池",
                f"provider {provider.name} has no pool dedicated to level-4 systems",
            )


@rule(
    "MLPS-L2-ISO-01",
    title=(
        "不同云服务客户虚拟网络之间隔离",
        "Virtual networks of different customers are isolated",
    ),
    group=GROUP,
    clause="8.2.2.1 b",
    units=("L3-CNS2-02",),
    levels=(2, 3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=("network", "namespace", "pod"),
    remediation=(
        "取消跨部门共享网络，命名空间设置默认拒绝的 NetworkPolicy，容器不得使用特权或主机命名空间。",
        "Stop sharing networks across departments, give namespaces a default-deny "
        "NetworkPolicy, and run no privileged or host-namespace pods.",
    ),
)
class TenantIsolation(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        k8s = view.kubernetes
        if k8s is not None and not k8s.default_deny:
            yield fail(
                "spec.kubernetes.defaultDeny",
                "命名空间未设置默认拒绝的网络策略",
                "the namespace has no default-deny network policy",
            )
        for path, item in plan_ingress(view):
            other = item.source.removeprefix("tenant:")
            if item.source.startswith("tenant:") and other != view.tenant:
                yield fail(
                    f"{path}.from",
                    f"允许其他部门 {other} 直接访问",
                    f"allows direct access from another department ({other})",
                )

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        if view.kind == "network":
            if attr(view, "shared", bool):
                yield fail("network.shared", "网络被共享给所有项目", "network is shared to all")
            shared_with = view.attrs.get("shared_with") or ()
            if isinstance(shared_with, list | tuple) and shared_with:
                yield fail(
                    "network.shared_with",
                    f"网络通过 RBAC 共享给 {', '.join(map(str, shared_with))}",
                    f"network shared by RBAC to {', '.join(map(str, shared_with))}",
                )
        elif view.kind == "namespace":
            if not attr(view, "default_deny", bool):
                yield fail(
                    "namespace.default_deny",
                    "命名空间没有默认拒绝的 NetworkPolicy",
                    "namespace has no default-deny NetworkPolicy",
                )
        else:
            for key in ("privileged", "host_network", "host_pid", "host_path"):
                if view.attrs.get(key) is True:
                    yield fail(f"pod.{key}", f"容器启用了 {key}", f"pod uses {key}")


@rule(
    "MLPS-L2-ISO-02",
    title=("不同等级网络区域边界访问控制", "Access control between zones of different levels"),
    group=GROUP,
    clause="8.2.3.1 b",
    units=("L3-ABS2-02",),
    levels=(2, 3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=("router", "security_group", "security_rule"),
    remediation=(
        "不同等级区域之间的访问须经登记的边界设备（防火墙）。",
        "Route traffic between zones of different levels through a registered boundary device.",
    ),
)
class ZoneBoundary(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        level = view.system.level
        for path, item in plan_ingress(view):
            crosses = item.source_level is not None and item.source_level != level
            if crosses and not item.via_boundary:
                yield fail(
                    f"{path}.from",
                    f"等级 {item.source_level} 区域直连等级 {level} 系统，未经边界设备",
                    f"level-{item.source_level} zone reaches a level-{level} system "
                    "without a boundary device",
                )

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        if view.kind == "router":
            levels = attr(view, "zone_levels", list)
            if len(set(levels)) > 1 and view.attrs.get("via_boundary") is not True:
                yield fail(
                    "router.zone_levels",
                    f"路由器直接连接等级 {sorted(set(levels))} 的区域",
                    f"router joins zones of levels {sorted(set(levels))} directly",
                )
            return
        level = view.system.level if view.system else None
        for path, item in resource_ingress(view):
            crosses = item.source_level is not None and item.source_level != level
            if crosses and not item.via_boundary:
                yield fail(
                    f"{path}.from",
                    f"等级 {item.source_level} 区域直连等级 {level} 区域",
                    f"level-{item.source_level} zone reaches level {level} directly",
                )


@rule(
    "MLPS-L2-ISO-03",
    title=("虚拟化网络边界访问控制机制", "Access control on the virtualised network border"),
    group=GROUP,
    clause="8.2.3.1 a",
    units=("L3-ABS2-01",),
    levels=(2, 3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=("port", "namespace"),
    remediation=(
        "开启端口安全并绑定至少一个安全组；命名空间须有 NetworkPolicy。",
        "Enable port security with at least one security group; namespaces need a NetworkPolicy.",
    ),
)
class BorderAccessControl(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        if view.compute and not view.port_security:
            yield fail(
                "spec.network.portSecurity",
                "云主机端口关闭了端口安全",
                "port security is disabled on the servers' ports",
            )

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        if view.kind == "namespace":
            if attr(view, "network_policy_count", int) < 1:
                yield fail(
                    "namespace.network_policy_count",
                    "命名空间没有 NetworkPolicy",
                    "namespace has no NetworkPolicy",
                )
            return
        if not attr(view, "port_security_enabled", bool):
            yield fail("port.port_security_enabled", "端口未开启端口安全", "port security is off")
        if len(attr(view, "security_groups", list)) < 1:
            yield fail("port.security_groups", "端口未绑定安全组", "port has no security group")


@rule(
    "MLPS-L3-NET-03",
    title=("云平台管理流量与业务流量分离", "Management traffic separated from customer traffic"),
    group=GROUP,
    clause="8.2.5.1 b",
    units=("L3-SMC2-02",),
    levels=(3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=("port",),
    remediation=(
        "租户云主机不得接入平台管理网或 provider 网络。",
        "Do not attach tenant servers to platform management or provider networks.",
    ),
)
class ManagementSeparation(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        provider = need(view.provider, "placement decision (provider)")
        for i, item in enumerate(view.compute):
            for j, net in enumerate(item.networks):
                if net in provider.management_networks:
                    yield fail(
                        f"spec.compute[{i}].networks[{j}]",
                        f"接入平台管理网 {net}",
                        f"attaches to the platform management network {net}",
                    )

    def resource(self, view: ResourceView, params: NoParams, now: datetime) -> Iterator[Finding]:
        tags = attr(view, "network_tags", list)
        if "mgmt" in tags:
            yield fail(
                "port.network_tags", "租户端口位于管理网段", "tenant port is on a mgmt segment"
            )


@rule(
    "GOV-NONCLS-01",
    title=("政务云仅承载非涉密系统", "The government cloud hosts only non-classified systems"),
    group=GROUP,
    standard=("政务云管理办法（如西双版纳州州级政务云管理办法第六条）", "Gov-cloud rules"),
    clause="Art. 6",
    mode=RuleMode.ADMISSION,
    severity=Severity.CRITICAL,
    remediation=(
        "涉密系统按分级保护要求建设，不得上政务云。",
        "Classified systems fall under 分级保护 and must not run on the government cloud.",
    ),
)
class NonClassified(Rule[NoParams]):
    def plan(self, view: PlanView, params: NoParams) -> Iterator[Finding]:
        if need(view.system.classified, "spec.classified"):
            yield fail("spec.classified", "系统为涉密系统", "the system is classified")
