"""Waivers: an accepted, time-limited exception to one rule in one scope.

A waiver names the rule, a scope (system, resource or tenant) and its target, a reason,
the requester and the approver, and a mandatory expiry. :func:`grant_waiver` refuses
waivers of critical (non-waivable) rules, self-approval, approvers without the approver
role (the role check is a callable the control plane passes in), and missing or past
expiries. :class:`WaiverBook` applies active waivers to failing verdicts, which then read
``waived`` and still show in reports; after expiry the failure shows again.
Imports only :mod:`policies` internals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from policies.verdicts import Outcome, Severity, Verdict

__all__ = ["Waiver", "WaiverBook", "WaiverRefused", "WaiverScope", "grant_waiver"]

MAX_WAIVER_DAYS = 366


class WaiverScope(StrEnum):
    SYSTEM = "system"
    RESOURCE = "resource"
    TENANT = "tenant"


@dataclass(frozen=True, slots=True)
class Waiver:
    id: str
    rule_id: str
    scope: WaiverScope
    target: str
    reason: str
    requester: str
    approver: str
    granted_at: datetime
    expires_at: datetime

    def active(self, now: datetime) -> bool:
        return self.granted_at <= now < self.expires_at

    def covers(self, verdict: Verdict) -> bool:
        if verdict.rule_id != self.rule_id:
            return False
        if self.scope is WaiverScope.RESOURCE:
            return verdict.subject_id == self.target
        if self.scope is WaiverScope.SYSTEM:
            return verdict.system == self.target
        return verdict.tenant == self.target


class WaiverRefused(ValueError):
    """A waiver that may not be granted, with the reasons in Chinese and English."""

    def __init__(self, reasons: list[tuple[str, str]]) -> None:
        self.reasons = tuple(reasons)
        super().__init__("; ".join(f"{zh} / {en}" for zh, en in reasons))


def grant_waiver(
    *,
    waiver_id: str,
    rule_id: str,
    scope: WaiverScope,
    target: str,
    reason: str,
    requester: str,
    approver: str,
    expires_at: datetime | None,
    now: datetime,
    is_approver: Callable[[str], bool],
) -> Waiver:
    """A granted waiver, or :class:`WaiverRefused` naming every reason it is refused."""
    from policies.registry import get_rule

    reasons: list[tuple[str, str]] = []
    try:
        spec = get_rule(rule_id).spec
    except KeyError:
        reasons.append((f"没有规则 {rule_id}", f"no rule {rule_id}"))
    else:
        if not spec.waivable:
            reasons.append(
                (
                    f"{rule_id} 为{spec.severity.zh}级规则，不可豁免",
                    f"{rule_id} is {spec.severity} and cannot be waived",
                )
            )
    if not reason.strip():
        reasons.append(("须说明豁免理由", "a reason is required"))
    if requester == approver:
        reasons.append(
            ("申请人不能批准自己的豁免", "the requester cannot approve their own waiver")
        )
    if not is_approver(approver):
        reasons.append(
            (f"{approver} 没有审批人角色", f"{approver} does not hold the approver role")
        )
    if expires_at is None:
        reasons.append(("必须设置到期时间", "an expiry is mandatory"))
    elif expires_at.tzinfo is None:
        reasons.append(("到期时间须带时区", "the expiry must carry a time zone"))
    elif expires_at <= now:
        reasons.append(("到期时间已过", "the expiry is in the past"))
    elif expires_at - now > timedelta(days=MAX_WAIVER_DAYS):
        reasons.append(
            (f"豁免期不得超过 {MAX_WAIVER_DAYS} 天", f"waivers last at most {MAX_WAIVER_DAYS} days")
        )
    if reasons or expires_at is None:
        raise WaiverRefused(reasons)
    return Waiver(waiver_id, rule_id, scope, target, reason, requester, approver, now, expires_at)


class WaiverBook:
    """Waivers indexed by rule, to apply to verdicts as they stream out of an audit."""

    def __init__(self, waivers: Iterable[Waiver]) -> None:
        self.waivers = tuple(waivers)
        self._by_rule: dict[str, list[Waiver]] = {}
        for waiver in self.waivers:
            self._by_rule.setdefault(waiver.rule_id, []).append(waiver)

    def apply(self, verdict: Verdict, now: datetime) -> Verdict:
        """``verdict`` as waived if an active waiver covers its failure, else unchanged."""
        # critical rules are never waived, even by a waiver that bypassed grant_waiver
        if verdict.outcome is not Outcome.FAIL or verdict.severity is Severity.CRITICAL:
            return verdict
        for waiver in self._by_rule.get(verdict.rule_id, ()):
            if waiver.active(now) and waiver.covers(verdict):
                return verdict.waived(waiver.id)
        return verdict

    def open_waivers(self, now: datetime) -> tuple[Waiver, ...]:
        return tuple(w for w in self.waivers if w.active(now))
