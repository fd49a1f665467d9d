"""The 等保 floor: the packs a system's declared level binds whatever the estate says.

等保 2.0 is not optional for a government system (网络安全法 第二十一条/第二十三条), and
the level a department declares (``spec.classifiedProtection``) already says which
baseline applies. So every system is admitted and audited against
``gov-cloud-baseline`` plus the MLPS pack of its level, in the packs' own modes; an
estate's ``policies:`` section binds more on top (the stricter setting wins). Two laws
bind every level too: 数据安全法 (``data-classification``: important data encrypted and
kept in-province) and 网络安全法's six-month logs (``csl-log-retention``); from level 3
on, 密评 is part of the assessment (GB/T 22239 8.1.9.7), so ``crypto-gbt39786`` joins.

Relaxing the floor is possible only by an explicit, documented opt-out
(``spec.policies.levelBaseline: {mode: advisory, reason, reference}``): the floor's
rules then only warn, and the opt-out travels with every outcome so plans and audit
reports repeat it. Imports only :mod:`policies` internals.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from pydantic import Field

from policies.binding import BoundPacks, BoundRule
from policies.packs import bind_packs
from policies.verdicts import Enforcement
from tenants import StrictModel

__all__ = [
    "LEVEL_PACKS",
    "BaselineOptOut",
    "LevelBaselineSpec",
    "floor_for",
    "floor_rule_ids",
]

# mlps-l2 holds the level-1 rules too (each rule gates on the system's own level), so a
# level-1 system is checked by the level-1 rules of mlps-l2 and nothing above.
_LAWS = ("gov-cloud-baseline", "data-classification", "csl-log-retention")
LEVEL_PACKS: dict[int, tuple[str, ...]] = {
    1: (*_LAWS, "mlps-l2"),
    2: (*_LAWS, "mlps-l2"),
    3: (*_LAWS, "mlps-l3", "crypto-gbt39786"),
    4: (*_LAWS, "mlps-l4", "crypto-gbt39786"),
}


class LevelBaselineSpec(StrictModel):
    """``spec.policies.levelBaseline`` as written in the estate."""

    mode: Literal["enforce", "advisory"] = "enforce"
    reason: str | None = Field(default=None, min_length=4, max_length=500)
    reference: str | None = Field(default=None, min_length=2, max_length=128)  # 文号


@dataclass(frozen=True)
class BaselineOptOut:
    """An estate's documented decision to let the level floor only warn."""

    reason: str
    reference: str

    @property
    def warning_zh(self) -> str:
        return (
            f"等保基线已降为仅告警（依据 {self.reference}：{self.reason}）；"
            "按系统等级应强制执行的规则不会拒绝请求"
        )

    @property
    def warning_en(self) -> str:
        return (
            f"the 等保 level baseline is advisory only (per {self.reference}: {self.reason}); "
            "rules the system's level would enforce do not deny"
        )

    def to_record(self) -> dict[str, str]:
        return {
            "reason": self.reason,
            "reference": self.reference,
            "zh": self.warning_zh,
            "en": self.warning_en,
        }


@cache
def floor_for(level: int | None, advisory: bool = False) -> BoundPacks:
    """The floor of a level-``level`` system; advisory turns its enforced rules into warn.

    A system without a level gets the packs of every level: each rule's own level gate
    then reports it not evaluable rather than letting it pass.
    """
    names = LEVEL_PACKS.get(level, ()) if level is not None else _all_packs()
    bound = bind_packs(names)
    if not advisory:
        return bound
    return BoundPacks.of(
        names,
        (BoundRule(b.rule, Enforcement.WARN, b.params, b.packs) for b in bound.rules.values()),
    )


def _all_packs() -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for names in LEVEL_PACKS.values() for name in names))


@cache
def floor_rule_ids() -> frozenset[str]:
    """Rules some level's floor enforces: an estate may not weaken them without opt-out."""
    return frozenset(
        rule_id
        for level in LEVEL_PACKS
        for rule_id, bound in floor_for(level).rules.items()
        if bound.enforcement is Enforcement.ENFORCE
    )
