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

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: Names loaded on first use (PEP 562): importing one light module of the package
#: (``policies.verdicts`` for an option's choices) does not load the engine, the packs
#: and ``tenants`` (a CLI that starts fast).
_LAZY = {
    "BoundPacks": "policies.binding",
    "BoundRule": "policies.binding",
    "AdmissionResult": "policies.engine",
    "Assessment": "policies.engine",
    "AuditResult": "policies.engine",
    "admit": "policies.engine",
    "assess": "policies.engine",
    "audit": "policies.engine",
    "audit_results": "policies.engine",
    "evaluate_plan": "policies.engine",
    "evaluate_resource": "policies.engine",
    "LEVEL_PACKS": "policies.level_baseline",
    "BaselineOptOut": "policies.level_baseline",
    "list_rules": "policies.listing",
    "EstatePolicy": "policies.overlays",
    "PolicyBinding": "policies.overlays",
    "load_policy_binding": "policies.overlays",
    "loosenings": "policies.overlays",
    "BUILTIN_PACKS": "policies.packs",
    "Pack": "policies.packs",
    "bind_packs": "policies.packs",
    "builtin_packs": "policies.packs",
    "load_pack": "policies.packs",
    "Params": "policies.params",
    "Tighten": "policies.params",
    "RuleSpec": "policies.registry",
    "catalog": "policies.registry",
    "get_rule": "policies.registry",
    "Enforcement": "policies.verdicts",
    "Outcome": "policies.verdicts",
    "RuleMode": "policies.verdicts",
    "Severity": "policies.verdicts",
    "Verdict": "policies.verdicts",
    "BackupView": "policies.views",
    "ComputeItem": "policies.views",
    "EncryptionView": "policies.views",
    "ImageFacts": "policies.views",
    "IngressRule": "policies.views",
    "KubernetesView": "policies.views",
    "LoggingView": "policies.views",
    "PlanView": "policies.views",
    "ProviderFacts": "policies.views",
    "ResourceView": "policies.views",
    "SiteFacts": "policies.views",
    "SystemFacts": "policies.views",
    "VolumeView": "policies.views",
    "Waiver": "policies.waivers",
    "WaiverBook": "policies.waivers",
    "WaiverRefused": "policies.waivers",
    "WaiverScope": "policies.waivers",
    "grant_waiver": "policies.waivers",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)  # the module is kept loaded


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
