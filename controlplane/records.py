"""等保 records between the manifest, the database and the policies' views, in one place.

A system's ``spec.records`` is stored as JSON with the system (``System.records``,
plus ``internetFacing`` derived from its ingress so the audit can tell whether a
boundary approval is needed); a provider's own assessment as JSON with the provider.
Planning, provisioning and the continuous audit all read them through these
functions, so a fact has one spelling from the manifest to the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from policies.views import INTERNET_SOURCES
from tenants import SystemRequestSpec, source_text

__all__ = [
    "kms_certified",
    "planned_record_facts",
    "provider_assessment_facts",
    "stored_records",
    "system_record_facts",
]


def _internet_facing(spec: SystemRequestSpec) -> bool:
    return any(source_text(rule.source) in INTERNET_SOURCES for rule in spec.network.ingress)


def stored_records(spec: SystemRequestSpec) -> dict[str, Any]:
    """What is kept with the system: its records and whether it faces the internet."""
    return {**spec.records.stored(), "internetFacing": _internet_facing(spec)}


def planned_record_facts(spec: SystemRequestSpec) -> dict[str, Any]:
    """``system_record_facts(stored_records(spec))``, read off the validated records
    rather than their JSON (a plan's policy view asks it of every request): the same
    texts, the same dates (ISO text read back is the date written), absent as ``None``."""
    records = spec.records
    assessment = records.assessment
    return {
        "filing_number": records.filing_number or None,
        "grading_evidence": records.grading_evidence or None,
        "boundary_approval": records.boundary_approval or None,
        "data_security_officer": records.data_security_officer or None,
        "risk_assessed_on": records.risk_assessed_on,
        "assessed_on": None if assessment is None else assessment.date,
        "assessment_agency": None if assessment is None else assessment.agency or None,
        "assessment_conclusion": None if assessment is None else assessment.conclusion or None,
        "internet_facing": _internet_facing(spec),
    }


def _day(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def system_record_facts(records: Mapping[str, Any]) -> dict[str, Any]:
    """``SystemFacts`` keyword arguments from a system's stored (or planned) records."""
    assessment = records.get("assessment")
    assessed = assessment if isinstance(assessment, Mapping) else {}
    facing = records.get("internetFacing")
    return {
        "filing_number": _text(records.get("filingNumber")),
        "grading_evidence": _text(records.get("gradingEvidence")),
        "boundary_approval": _text(records.get("boundaryApproval")),
        "data_security_officer": _text(records.get("dataSecurityOfficer")),
        "risk_assessed_on": _day(records.get("riskAssessedOn")),
        "assessed_on": _day(assessed.get("date")),
        "assessment_agency": _text(assessed.get("agency")),
        "assessment_conclusion": _text(assessed.get("conclusion")),
        "internet_facing": facing if isinstance(facing, bool) else None,
    }


def provider_assessment_facts(assessment: Mapping[str, Any] | None) -> dict[str, Any]:
    """``ProviderFacts`` keyword arguments from a provider's stored assessment."""
    stored = assessment or {}
    return {
        "assessment_conclusion": _text(stored.get("conclusion")),
        "assessment_date": _day(stored.get("date")),
        "csa_valid_until": _day(stored.get("validUntil")),
    }


def kms_certified(assessment: Mapping[str, Any] | None) -> bool | None:
    """Whether the provider's KMS holds a 商用密码 certificate (None: not recorded)."""
    if not assessment:
        return None
    return _text(assessment.get("kmsCertificate")) is not None
