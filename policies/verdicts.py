"""What a rule says about one subject: outcomes, severities, modes and the ``Verdict``.

Owns the small vocabularies every other module of :mod:`policies` shares and the
``Verdict`` record the engine emits, which is also the plain record the control plane
stores and the report builder reads back. Imports nothing internal.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["Enforcement", "Outcome", "RuleMode", "Severity", "Verdict"]


class Outcome(StrEnum):
    """The result of one rule on one subject."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    NOT_EVALUABLE = "not_evaluable"
    WAIVED = "waived"

    @property
    def zh(self) -> str:
        return _OUTCOME_ZH[self]


_OUTCOME_ZH = {
    Outcome.PASS: "通过",
    Outcome.FAIL: "不通过",
    Outcome.NOT_APPLICABLE: "不适用",
    Outcome.NOT_EVALUABLE: "无法评估",
    Outcome.WAIVED: "已豁免",
}


class Severity(StrEnum):
    """critical = legal red line or invalid placement (never waivable)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @property
    def zh(self) -> str:
        return _SEVERITY_ZH[self]


_SEVERITY_RANK = {Severity.CRITICAL: 3, Severity.HIGH: 2, Severity.MEDIUM: 1, Severity.LOW: 0}
_SEVERITY_ZH = {
    Severity.CRITICAL: "严重",
    Severity.HIGH: "高",
    Severity.MEDIUM: "中",
    Severity.LOW: "低",
}


class RuleMode(StrEnum):
    """Where a rule runs: on a request's plan, on inventory, or both."""

    ADMISSION = "admission"
    AUDIT = "audit"
    BOTH = "both"

    @property
    def admission(self) -> bool:
        return self is not RuleMode.AUDIT

    @property
    def audit(self) -> bool:
        return self is not RuleMode.ADMISSION


class Enforcement(StrEnum):
    """How a pack binds a rule: a failing ``enforce`` rule denies, ``warn`` only warns."""

    ENFORCE = "enforce"
    WARN = "warn"

    @property
    def rank(self) -> int:
        return 1 if self is Enforcement.ENFORCE else 0


@dataclass(frozen=True, slots=True)
class Verdict:
    """One rule's result on one subject (a request's plan or an inventory resource).

    ``field`` is the offending path in the manifest (``spec.network.ingress[1].port``)
    or in the resource's recorded attributes; ``missing`` names the input that was
    absent when the outcome is ``not_evaluable``. ``high_risk`` marks a failure that
    the 测评 guidance treats as 高风险. ``waiver_id`` is set when ``outcome`` is
    ``waived``. ``deferred`` marks a paperwork finding that is not yet due (at
    admission, or within the grace period after go-live): reported, never blocking.
    """

    rule_id: str
    outcome: Outcome
    severity: Severity
    enforcement: Enforcement
    subject_kind: str
    subject_id: str
    system: str | None
    tenant: str | None
    field: str | None = None
    message_zh: str = ""
    message_en: str = ""
    remediation_zh: str = ""
    remediation_en: str = ""
    missing: str | None = None
    high_risk: bool = False
    evaluated_at: datetime | None = None
    waiver_id: str | None = None
    deferred: bool = False

    @property
    def blocking(self) -> bool:
        """A failure that denies admission (enforced, not waived, not deferred)."""
        return (
            self.outcome is Outcome.FAIL
            and self.enforcement is Enforcement.ENFORCE
            and not self.deferred
        )

    def waived(self, waiver_id: str) -> Verdict:
        return replace(self, outcome=Outcome.WAIVED, waiver_id=waiver_id)

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready plain record (enums as strings, time as ISO-8601)."""
        # every field is a scalar: a shallow dict is what ``asdict`` built, without its
        # recursive deep copy (a plan records dozens of verdicts, an audit hundreds of
        # thousands)
        record = {name: getattr(self, name) for name in _VERDICT_FIELDS}
        # the members' values: the same str objects in every record (``str()`` of a
        # StrEnum member makes a new one each time)
        record["outcome"] = self.outcome.value
        record["severity"] = self.severity.value
        record["enforcement"] = self.enforcement.value
        record["evaluated_at"] = _iso(self.evaluated_at)
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Verdict:
        """The inverse of :meth:`to_record`."""
        data = dict(record)
        data["outcome"] = Outcome(data["outcome"])
        data["severity"] = Severity(data["severity"])
        data["enforcement"] = Enforcement(data["enforcement"])
        at = data.get("evaluated_at")
        if isinstance(at, str):
            data["evaluated_at"] = datetime.fromisoformat(at)
        return cls(**data)


_VERDICT_FIELDS = tuple(f.name for f in fields(Verdict))

_last_iso: list[tuple[datetime, str]] = []


def _iso(at: datetime | None) -> str | None:
    """``at`` in ISO-8601, the same str for the same instant as the record before:
    a plan's or an audit's verdicts share one evaluation time, and records held by the
    thousand (``apply`` of a file returns every plan) need not each hold a copy."""
    if at is None:
        return None
    if _last_iso and _last_iso[0][0] == at and _last_iso[0][0].tzinfo == at.tzinfo:
        return _last_iso[0][1]
    text = at.isoformat()
    _last_iso[:] = [(at, text)]
    return text
