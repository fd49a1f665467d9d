"""Compliance reports and evidence: per-测评单元 conclusions and their renderers.

Pure: builds a report from stored results (plain :class:`~policies.verdicts.Verdict`
records) and renders Markdown, JSON or XLSX. Imports only :mod:`policies` and openpyxl.
"""

from policies.reports.model import ComplianceReport, Conclusion, ControlResult, build_report
from policies.reports.render import render_json, render_markdown, render_xlsx, report_data

__all__ = [
    "ComplianceReport",
    "Conclusion",
    "ControlResult",
    "build_report",
    "render_json",
    "render_markdown",
    "render_xlsx",
    "report_data",
]
