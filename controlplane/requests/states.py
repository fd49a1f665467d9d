"""The states of a request and the transitions allowed between them.

Submitted → Admitted | Denied; Admitted → PendingApproval | Approved;
PendingApproval → Approved | Rejected; Approved → Provisioning | Deleting;
Provisioning → Ready | Failed; Deleting → Deleted | Failed; Failed → Provisioning |
Deleting (a retry). Denied, Rejected, Ready and Deleted are final.
"""

from __future__ import annotations

from typing import Literal

from controlplane.i18n import Lang

__all__ = ["FINAL", "REFUSED", "TRANSITIONS", "IllegalTransition", "State", "state_word"]

State = Literal[
    "Submitted",
    "Admitted",
    "Denied",
    "PendingApproval",
    "Approved",
    "Rejected",
    "Provisioning",
    "Ready",
    "Failed",
    "Deleting",
    "Deleted",
]

TRANSITIONS: dict[State | None, frozenset[State]] = {
    None: frozenset({"Submitted"}),
    "Submitted": frozenset({"Admitted", "Denied"}),
    "Admitted": frozenset({"PendingApproval", "Approved"}),
    "PendingApproval": frozenset({"Approved", "Rejected"}),
    "Approved": frozenset({"Provisioning", "Deleting"}),
    "Provisioning": frozenset({"Ready", "Failed"}),
    "Deleting": frozenset({"Deleted", "Failed"}),
    "Failed": frozenset({"Provisioning", "Deleting"}),
}
FINAL: frozenset[State] = frozenset({"Denied", "Rejected", "Ready", "Deleted"})
#: States of a request that never took effect (the system's spec is not this one).
REFUSED: frozenset[State] = frozenset({"Denied", "Rejected"})

_WORDS: dict[str, str] = {
    "Submitted": "已提交",
    "Admitted": "已准入",
    "Denied": "未准入",
    "PendingApproval": "待审批",
    "Approved": "已批准",
    "Rejected": "已驳回",
    "Provisioning": "开通中",
    "Ready": "已就绪",
    "Failed": "失败",
    "Deleting": "删除中",
    "Deleted": "已删除",
}


class IllegalTransition(Exception):
    """A request cannot move from its state to the one asked (e.g. approving a Ready one)."""

    def __init__(self, request_id: int, current: str, wanted: str) -> None:
        self.request_id = request_id
        self.current = current
        self.wanted = wanted
        super().__init__(f"request #{request_id} is {current}; it cannot become {wanted}")

    def describe(self, lang: Lang = "en") -> str:
        if lang == "zh":
            return (
                f"申请 #{self.request_id} 当前为{state_word(self.current, 'zh')}，"
                f"不能变为{state_word(self.wanted, 'zh')}"
            )
        return str(self)


def state_word(state: str, lang: Lang) -> str:
    return _WORDS.get(state, state) if lang == "zh" else state
