"""The records an 等保 assessor asks for, as data a manifest or an estate carries.

``spec.records`` of a :class:`~tenants.request.SystemRequest` holds the system's
paperwork: the police filing number (备案号), the grading (定级) evidence, the last
assessment (测评: date, agency, conclusion), the boundary/interconnection approval, the
data-security officer and the last data-security risk assessment. A provider's own
assessment and cloud-service security certificate sit in the estate
(:class:`ProviderAssessment`). Everything is optional here — a system under
construction has no filing number yet — and the policy rules decide what is missing;
what is written must be well-formed and dated no later than today (Asia/Shanghai).
Imports nothing internal outside :mod:`tenants`.
"""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, StringConstraints

from tenants.validation import StrictModel, ValueModel, schema_error

__all__ = [
    "Assessment",
    "AssessmentConclusion",
    "ProviderAssessment",
    "SystemRecords",
]

_SHANGHAI = ZoneInfo("Asia/Shanghai")

# 公通字〔2007〕43号 filing certificates: 11 digits (unit code) - 5 digits (serial)
FILING_NUMBER = r"^\d{11}-\d{5}$"

# the 2025 report template's three-way conclusion (公网安〔2025〕1001号)
AssessmentConclusion = Literal["符合", "基本符合", "不符合"]


def _not_future(value: date) -> date:
    today = datetime.now(_SHANGHAI).date()
    if value > today:
        raise schema_error(
            "a record date cannot be in the future",
            expected=f"{today.isoformat()} or earlier",
            found=value.isoformat(),
        )
    return value


PastDate = Annotated[date, AfterValidator(_not_future)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=128)]


class Assessment(ValueModel):
    """The last 等级测评 of the system."""

    date: PastDate
    agency: Reference  # the 测评机构
    conclusion: AssessmentConclusion
    report: Reference | None = None  # report number


class SystemRecords(ValueModel):
    """``spec.records``: the system's 等保 and data-security paperwork."""

    filing_number: str | None = Field(default=None, pattern=FILING_NUMBER, alias="filingNumber")
    grading_evidence: Reference | None = Field(default=None, alias="gradingEvidence")
    assessment: Assessment | None = None
    boundary_approval: Reference | None = Field(default=None, alias="boundaryApproval")
    data_security_officer: Reference | None = Field(default=None, alias="dataSecurityOfficer")
    risk_assessed_on: PastDate | None = Field(default=None, alias="riskAssessedOn")

    def stored(self) -> dict[str, Any]:
        """The JSON kept with the system (aliases, ISO dates, absent facts left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ProviderAssessment(StrictModel):
    """A provider's own 等保 assessment and 云计算服务安全评估 certificate (estate)."""

    date: PastDate
    agency: Reference
    conclusion: AssessmentConclusion
    certificate: Reference | None = None  # 云计算服务安全评估 certificate number
    valid_until: dt.date | None = Field(default=None, alias="validUntil")
    # the 商用密码产品认证 certificate of the cloud's KMS (密评 needs certified key storage)
    kms_certificate: Reference | None = Field(default=None, alias="kmsCertificate")
