"""tenants — the department-facing YAML schema and located manifest parsing.

Owns: loading YAML with source positions (:mod:`tenants.located`, scalars by
:mod:`tenants.scalars`) under input limits (:mod:`tenants.limits`, schema bounds in
:mod:`tenants.bounds`), located input errors
(:mod:`tenants.errors`), validation of pydantic schemas with ``file:line:col`` errors
(:mod:`tenants.validation`), Kubernetes-style quantities (:mod:`tenants.quantity`), the
``SystemRequest`` schema (:mod:`tenants.request`), manifest files
(:mod:`tenants.manifest`) and the ``Tenant`` value (:mod:`tenants.tenant`).

Must not import any other govcloud package (it is a leaf), nor any cloud SDK.
"""

from tenants.errors import Location, ManifestError, Problem, format_path
from tenants.fields import CatalogName, Days, DnsLabel, Money, PositiveInt, StrictBool
from tenants.frozen import quick_init
from tenants.located import (
    LocatedDocument,
    load_yaml_documents,
    load_yaml_file,
    without_cycle_collection,
)
from tenants.manifest import ParsedRequest, load_requests, parse_requests
from tenants.quantity import (
    ByteQuantity,
    CountQuantity,
    CpuQuantity,
    QuantityError,
    format_quantity,
    parse_quantity,
)
from tenants.request import (
    API_VERSION,
    KIND,
    BackupSpec,
    ComputeSpec,
    DataClassification,
    EncryptionSpec,
    IngressRule,
    IngressSource,
    KubernetesQuota,
    KubernetesSpec,
    LimitRange,
    LoggingSpec,
    NetworkSpec,
    Placement,
    PortRange,
    RequestMetadata,
    ResourceList,
    SystemRequest,
    SystemRequestSpec,
    Tier,
    Volume,
    source_text,
)
from tenants.tenant import (
    LocalizedName,
    Quota,
    QuotaExcess,
    ResourceAmounts,
    Tenant,
    TenantLevel,
)
from tenants.validation import StrictModel, parse_model, problems_from_validation, schema_error

__all__ = [
    "API_VERSION",
    "KIND",
    "BackupSpec",
    "ByteQuantity",
    "CatalogName",
    "ComputeSpec",
    "CountQuantity",
    "CpuQuantity",
    "DataClassification",
    "Days",
    "DnsLabel",
    "EncryptionSpec",
    "IngressRule",
    "IngressSource",
    "KubernetesQuota",
    "KubernetesSpec",
    "LimitRange",
    "LocalizedName",
    "LocatedDocument",
    "Location",
    "LoggingSpec",
    "ManifestError",
    "Money",
    "NetworkSpec",
    "ParsedRequest",
    "Placement",
    "PortRange",
    "PositiveInt",
    "Problem",
    "QuantityError",
    "Quota",
    "QuotaExcess",
    "RequestMetadata",
    "ResourceAmounts",
    "ResourceList",
    "StrictBool",
    "StrictModel",
    "SystemRequest",
    "SystemRequestSpec",
    "Tenant",
    "TenantLevel",
    "Tier",
    "Volume",
    "format_path",
    "format_quantity",
    "load_requests",
    "load_yaml_documents",
    "load_yaml_file",
    "parse_model",
    "parse_quantity",
    "parse_requests",
    "problems_from_validation",
    "quick_init",
    "schema_error",
    "source_text",
    "without_cycle_collection",
]
