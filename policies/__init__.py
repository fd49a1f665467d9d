"""policies — the policy engine, the built-in 等保 2.0 / 数据安全 / 密码应用 / 信创 packs,
waivers and compliance reports.

Owns: rule registration and metadata (:mod:`policies.registry`), the plain views rules
evaluate (:mod:`policies.views`), admission and audit (:mod:`policies.engine`), packs
as YAML data (:mod:`policies.packs`), the estate's baseline and overlay bindings
(:mod:`policies.overlays`), waivers (:mod:`policies.waivers`) and per-测评单元
reports (:mod:`policies.reports`). Everything here is a pure function over plain data.

Must not import any govcloud package other than :mod:`tenants`, nor touch a database
or a cloud SDK.
"""

from policies.binding import BoundPacks, BoundRule
from policies.engine import (
    AdmissionResult,
    Assessment,
    AuditResult,
    admit,
    assess,
    audit,
    audit_results,
    evaluate_plan,
    evaluate_resource,
)
from policies.level_baseline import LEVEL_PACKS, BaselineOptOut
from policies.listing import list_rules
from policies.overlays import EstatePolicy, PolicyBinding, load_policy_binding, loosenings
from policies.packs import BUILTIN_PACKS, Pack, bind_packs, builtin_packs, load_pack
from policies.params import Params, Tighten
from policies.registry import RuleSpec, catalog, get_rule
from policies.verdicts import Enforcement, Outcome, RuleMode, Severity, Verdict
from policies.views import (
    BackupView,
    ComputeItem,
    EncryptionView,
    ImageFacts,
    IngressRule,
    KubernetesView,
    LoggingView,
    PlanView,
    ProviderFacts,
    ResourceView,
    SiteFacts,
    SystemFacts,
    VolumeView,
)
from policies.waivers import Waiver, WaiverBook, WaiverRefused, WaiverScope, grant_waiver

__all__ = [
    "BUILTIN_PACKS",
    "LEVEL_PACKS",
    "AdmissionResult",
    "Assessment",
    "AuditResult",
    "BackupView",
    "BaselineOptOut",
    "BoundPacks",
    "BoundRule",
    "ComputeItem",
    "EncryptionView",
    "Enforcement",
    "EstatePolicy",
    "ImageFacts",
    "IngressRule",
    "KubernetesView",
    "LoggingView",
    "Outcome",
    "Pack",
    "Params",
    "PlanView",
    "PolicyBinding",
    "ProviderFacts",
    "ResourceView",
    "RuleMode",
    "RuleSpec",
    "Severity",
    "SiteFacts",
    "SystemFacts",
    "Tighten",
    "Verdict",
    "VolumeView",
    "Waiver",
    "WaiverBook",
    "WaiverRefused",
    "WaiverScope",
    "admit",
    "assess",
    "audit",
    "audit_results",
    "bind_packs",
    "builtin_packs",
    "catalog",
    "evaluate_plan",
    "evaluate_resource",
    "get_rule",
    "grant_waiver",
    "list_rules",
    "load_pack",
    "load_policy_binding",
    "loosenings",
]
