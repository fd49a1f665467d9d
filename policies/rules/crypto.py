"""Rules of catalogue §1.10: commercial cryptography (GB/T 39786-2021, 密评).

Kept as their own family so 密评 evidence stands alone, even where CRYPT-L3-02
overlaps MLPS-L2-NET-07. Imports only :mod:`policies` internals.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Annotated

from policies.params import Params, Tighten
from policies.registry import Finding, Rule, attr, fail, need, not_applicable, rule
from policies.rules._common import INGRESS_KINDS, plan_ingress, port_findings, resource_ingress
from policies.rules.network import DEFAULT_PLAINTEXT_PORTS
from policies.verdicts import RuleMode, Severity
from policies.views import IngressRule, PlanView, ResourceView, grade_rank

GROUP = "crypto"
STANDARD = ("GB/T 39786-2021", "GB/T 39786-2021")


class CipherParams(Params):
    allowed_at_rest: Annotated[frozenset[str], Tighten.SUBSET] = frozenset({"sm4"})
    allowed_internet_transit: Annotated[frozenset[str], Tighten.SUBSET] = frozenset({"tlcp"})
    require_gm_certified_kms: Annotated[bool, Tighten.HIGHER] = True


@rule(
    "CRYPT-L3-01",
    title=("三级系统重要数据的密码应用", "Cryptography for important data of level-3 systems"),
    group=GROUP,
    standard=STANDARD,
    clause="8.2, 8.3, 8.4 d/e",
    levels=(3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    high_risk=True,
    kinds=("volume", "bucket"),
    params=CipherParams,
    remediation=(
        "重要数据用 SM4 加密存储、密钥由国密认证的 KMS/HSM 保管；对互联网提供 TLCP（SM2 双证书）。",
        "Store important data with SM4 under a GM-certified KMS/HSM; offer TLCP (SM2 dual "
        "certificates) to the internet.",
    ),
)
class ImportantDataCrypto(Rule[CipherParams]):
    def plan(self, view: PlanView, params: CipherParams) -> Iterator[Finding]:
        if grade_rank(view.system.data_grade) < 1:
            yield not_applicable("非重要数据", "not important data")
            return
        encryption = need(view.encryption, "spec.encryption")
        at_rest = need(encryption.at_rest, "spec.encryption.atRest")
        if at_rest not in params.allowed_at_rest:
            yield fail(
                "spec.encryption.atRest",
                f"存储加密算法 {at_rest} 不是 {sorted(params.allowed_at_rest)}",
                f"at-rest cipher {at_rest} is not one of {sorted(params.allowed_at_rest)}",
            )
        if params.require_gm_certified_kms and not need(
            encryption.kms_gm_certified, "KMS gm_certified record"
        ):
            yield fail(
                "spec.encryption.atRest",
                "密钥管理未使用国密认证的密码模块",
                "keys are not held in a GM-certified crypto module",
            )
        if any(item.from_internet for item in view.ingress):
            transit = need(encryption.in_transit, "spec.encryption.inTransit")
            if transit not in params.allowed_internet_transit:
                yield fail(
                    "spec.encryption.inTransit",
                    f"面向互联网的传输使用 {transit}，未使用 TLCP/SM2",
                    f"internet-facing transit uses {transit}, not TLCP/SM2",
                )

    def resource(
        self, view: ResourceView, params: CipherParams, now: datetime
    ) -> Iterator[Finding]:
        if grade_rank(view.effective_grade) < 1:
            yield not_applicable("非重要数据", "not important data")
            return
        cipher = attr(view, "cipher", str)
        if cipher not in params.allowed_at_rest:
            yield fail(
                f"{view.kind}.cipher",
                f"加密算法 {cipher} 不是国密 SM4",
                f"cipher {cipher} is not SM4",
            )
        if params.require_gm_certified_kms and not attr(view, "kms_gm_certified", bool):
            yield fail(
                f"{view.kind}.kms_gm_certified",
                "密钥不在国密认证的密码模块中",
                "key is not in a GM-certified crypto module",
            )


class ChannelParams(Params):
    plaintext_ports: Annotated[frozenset[int], Tighten.SUPERSET] = DEFAULT_PLAINTEXT_PORTS
    management_ports: Annotated[frozenset[int], Tighten.SUPERSET] = frozenset({22, 3389})


@rule(
    "CRYPT-L3-02",
    title=("设备远程管理使用安全信道", "Secure channel for remote management"),
    group=GROUP,
    standard=STANDARD,
    clause="8.3 b",
    levels=(3, 4),
    mode=RuleMode.BOTH,
    severity=Severity.HIGH,
    kinds=INGRESS_KINDS,
    params=ChannelParams,
    remediation=(
        "远程管理只经堡垒机的 SSH/TLS 信道；不开放明文管理端口，管理端口不对互联网开放。",
        "Manage remotely only over the bastion's SSH/TLS channel; no plaintext management "
        "ports, no management port open to the internet.",
    ),
)
class SecureManagementChannel(Rule[ChannelParams]):
    def plan(self, view: PlanView, params: ChannelParams) -> Iterator[Finding]:
        return self._scan(list(plan_ingress(view)), params)

    def resource(
        self, view: ResourceView, params: ChannelParams, now: datetime
    ) -> Iterator[Finding]:
        return self._scan(list(resource_ingress(view)), params)

    def _scan(
        self, items: Iterable[tuple[str, IngressRule]], params: ChannelParams
    ) -> Iterator[Finding]:
        listed = list(items)
        yield from port_findings(
            listed,
            params.plaintext_ports,
            internet_only=False,
            zh="管理信道未加密",
            en="management channel is not encrypted",
        )
        yield from port_findings(
            listed,
            params.management_ports,
            internet_only=True,
            zh="管理端口绕过堡垒机直接对互联网开放",
            en="management port is open to the internet, bypassing the bastion",
        )
