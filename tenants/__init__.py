"""tenants — the department-facing YAML schema and located manifest parsing.

Owns: loading YAML with source positions (:mod:`tenants.located`), located input errors
(:mod:`tenants.errors`), validation of pydantic schemas with ``file:line:col`` errors
(:mod:`tenants.validation`), and the request/tenant schemas built on them.

Must not import any other govcloud package (it is a leaf), nor any cloud SDK.
"""

from tenants.errors import Location, ManifestError, Problem, format_path
from tenants.located import LocatedDocument, load_yaml_documents, load_yaml_file
from tenants.validation import StrictModel, parse_model, problems_from_validation

__all__ = [
    "LocatedDocument",
    "Location",
    "ManifestError",
    "Problem",
    "StrictModel",
    "format_path",
    "load_yaml_documents",
    "load_yaml_file",
    "parse_model",
    "problems_from_validation",
]
