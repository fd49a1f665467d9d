"""Compliance tables: audit runs, every stored policy result, violations and waivers.

``policy_result`` holds every (rule, subject, finding) result of every audit run, passes
included, so compliance percentages and history per system and per 等保 control are
queries. A row holds from the run that first produced it (``run_id``) until the run that
replaced it (``superseded_run_id``, ``NULL`` while current): a subject whose results did
not change since the last run is not written again (``policy_subject_digest`` tells),
so the results of run N are the rows with ``run_id <= N`` not superseded by N. ``policy_violation`` is the lifecycle derived from successive runs (open,
waived, resolved). ``policy_waiver`` holds waiver requests and their approval. Systems
and tenants are recorded by name and code, not by foreign key, so history outlives the
inventory it describes. Table models only; the service is :mod:`controlplane.compliance`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, text
from sqlmodel import Field, SQLModel

from controlplane.db.types import UTCDateTime

__all__ = ["AuditRun", "PolicyResult", "PolicySubjectDigest", "PolicyViolation", "PolicyWaiver"]


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_type=UTCDateTime(), nullable=nullable, index=index)


class AuditRun(SQLModel, table=True):
    """One continuous-audit run over the inventory, with its totals."""

    __tablename__ = "policy_audit_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = _ts(index=True)
    finished_at: datetime | None = _ts(nullable=True)
    actor: str = Field(max_length=128)
    resources: int = 0
    rules_bound: int = 0
    results: int = 0
    passed: int = 0
    failed: int = 0
    waived: int = 0
    not_applicable: int = 0
    not_evaluable: int = 0
    opened: int = 0
    resolved: int = 0


_CURRENT = "superseded_run_id IS NULL"


class PolicyResult(SQLModel, table=True):
    """One rule's result on one subject, from the run that produced it until the run that
    replaced it (passes included).

    The messages of a pass are the rule's fixed pass text and are not stored; readers
    rebuild them from the rule (see ``controlplane.compliance.store``). ``evaluated_at``
    is when the result was first produced; a run's reader reports the run's own time.
    """

    __tablename__ = "policy_result"
    __table_args__ = (
        Index("ix_policy_result_system_run", "system", "run_id"),
        # the current results of a subject, found when a run replaces them
        Index(
            "ix_policy_result_current",
            "subject_kind",
            "subject_id",
            sqlite_where=text(_CURRENT),
            postgresql_where=text(_CURRENT),
        ),
    )

    # a province produces ~5 results per resource per run: 64-bit ids on PostgreSQL;
    # SQLite only autoincrements a column declared INTEGER
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    )
    run_id: int = Field(
        sa_column=Column(ForeignKey("policy_audit_run.id", ondelete="CASCADE"), nullable=False)
    )
    evaluated_at: datetime = _ts()
    rule_id: str = Field(max_length=32)
    subject_kind: str = Field(max_length=32)
    subject_id: str = Field(max_length=128)
    system: str | None = Field(default=None, max_length=63)
    tenant: str | None = Field(default=None, max_length=63)
    outcome: str = Field(max_length=16)
    severity: str = Field(max_length=8)
    enforcement: str = Field(max_length=8)
    field: str | None = Field(default=None, max_length=255)
    message_zh: str | None = None
    message_en: str | None = None
    missing: str | None = Field(default=None, max_length=255)
    high_risk: bool = False
    waiver_id: str | None = Field(default=None, max_length=32)
    # a paperwork failure within the grace period after go-live: shown, not a violation
    deferred: bool = False
    # the first run whose results of this subject differ (no foreign key: a run's rows
    # are kept while later runs still read them)
    superseded_run_id: int | None = None


class PolicySubjectDigest(SQLModel, table=True):
    """The digest of one subject's current results, so an unchanged subject is not
    written again; ``run_id`` is the run that last wrote them."""

    __tablename__ = "policy_subject_digest"

    subject_kind: str = Field(sa_column=Column(String(32), primary_key=True))
    subject_id: str = Field(sa_column=Column(String(128), primary_key=True))
    digest: str = Field(max_length=32)
    run_id: int


class PolicyViolation(SQLModel, table=True):
    """A failing (rule, subject, field) across runs: opened, still failing, waived, resolved.

    ``key`` identifies the finding; at most one row per key is active (``open`` or
    ``waived``) at a time. A finding that fails again after being resolved opens a new
    row, so the history of each episode is kept.
    """

    __tablename__ = "policy_violation"
    __table_args__ = (Index("ix_policy_violation_key_state", "key", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=512)
    rule_id: str = Field(max_length=32, index=True)
    subject_kind: str = Field(max_length=32)
    subject_id: str = Field(max_length=128)
    field: str | None = Field(default=None, max_length=255)
    system: str | None = Field(default=None, max_length=63, index=True)
    tenant: str | None = Field(default=None, max_length=63)
    severity: str = Field(max_length=8)
    high_risk: bool = False
    state: str = Field(max_length=12, index=True)  # open | waived | resolved
    resolution: str | None = Field(default=None, max_length=12)  # passed | absent
    waiver_id: str | None = Field(default=None, max_length=32)
    message_zh: str = ""
    message_en: str = ""
    opened_at: datetime = _ts()
    last_seen_at: datetime = _ts()
    resolved_at: datetime | None = _ts(nullable=True)
    opened_run_id: int = Field(foreign_key="policy_audit_run.id")
    last_run_id: int = Field(foreign_key="policy_audit_run.id")


class PolicyWaiver(SQLModel, table=True):
    """A waiver request and, once approved, the granted waiver (expiry mandatory)."""

    __tablename__ = "policy_waiver"

    id: int | None = Field(default=None, primary_key=True)
    rule_id: str = Field(max_length=32, index=True)
    scope: str = Field(max_length=16)  # system | resource | tenant
    target: str = Field(max_length=128)
    reason: str
    requester: str = Field(max_length=128)
    requested_at: datetime = _ts()
    expires_at: datetime = _ts()
    state: str = Field(max_length=12, index=True)  # requested | approved
    approver: str | None = Field(default=None, max_length=128)
    approved_at: datetime | None = _ts(nullable=True)
