"""Department workload: one realistic SystemRequest per information system.

Owns the shapes of generated systems (templates of compute groups, ingress, backup,
logging, encryption), the deliberate defects injected into a seeded few, and the pure
functions that read a request back: the resources it implies and its metered quantities.

A generated request is built for a *home* provider the tenant can use, so that it is
admissible and placeable there unless a defect says otherwise. Requests are plain dicts
in DESIGN.md's SystemRequest shape. Imports nothing from govcloud.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.catalog import FLAVOR_BY_NAME, IMAGE_BY_NAME

Doc = dict[str, Any]

BASTION_CIDR = "10.255.0.0/16"  # operations reach servers only through the bastion (堡垒机)

# Resource kinds a request implies, in report order.
RESOURCE_KINDS = (
    "servers",
    "volumes",
    "networks",
    "subnets",
    "securityGroups",
    "securityGroupRules",
    "publicIPs",
    "k8sNamespaces",
    "k8sQuotas",
)


@dataclass(frozen=True)
class Group:
    """One compute group of a template: role, flavour choices, count range, volumes."""

    role: str
    flavors: tuple[str, ...]
    count: tuple[int, int]
    volumes: tuple[tuple[str, tuple[int, ...]], ...]  # (type, size choices GiB) per server


@dataclass(frozen=True)
class Template:
    name: str
    weight: int
    groups: tuple[Group, ...]
    kubernetes: bool = False


_WEB = Group("web", ("c2m4", "c4m8"), (2, 2), (("ssd", (50, 100)),))
_APP = Group("app", ("c4m8", "c8m16"), (1, 3), (("ssd", (100, 200)),))
_DB = Group("db", ("c8m32", "c16m64"), (1, 2), (("ssd", (500, 1000)), ("hdd", (1000, 2000))))
_SMALL_APP = Group("app", ("c2m4", "c4m8", "c4m16"), (1, 1), (("ssd", (100, 200)),))
_SMALL_DB = Group("db", ("c4m16", "c8m32"), (1, 1), (("ssd", (200, 500)),))
_CACHE = Group("cache", ("c2m8", "c4m16"), (1, 1), ())

# Weights give ~10 cloud resources per system on average (province: ~100,000 resources).
TEMPLATES: tuple[Template, ...] = (
    Template("single", 25, (_SMALL_APP,)),
    Template("small", 40, (_SMALL_APP, _SMALL_DB)),
    Template("container", 20, (_SMALL_DB,), kubernetes=True),
    Template("standard", 12, (_WEB, _APP, _DB)),
    Template("large", 3, (_WEB, _APP, _DB, _CACHE)),
)
_TEMPLATE_WEIGHTS = [t.weight for t in TEMPLATES]

_K8S_QUOTAS = (("8", "32Gi", 50), ("16", "64Gi", 100), ("32", "128Gi", 200))
_XINCHUANG_IMAGES = ("kylin-v10-sp3", "kylin-v10-sp3", "uos-20", "openeuler-22.03")


@dataclass(frozen=True)
class Home:
    """The provider traits a request is shaped for (a view of an Estate provider)."""

    name: str
    tier: str
    certified_level: int
    xinchuang: bool
    arch: str
    in_province: bool

    @classmethod
    def of(cls, provider: Doc) -> Home:
        return cls(
            name=provider["name"],
            tier=provider["tier"],
            certified_level=provider["certifiedLevel"],
            xinchuang=provider["xinchuang"],
            arch=provider["arch"],
            in_province=provider["inProvince"],
        )


def _level(rng: random.Random, home: Home, provincial_tenant: bool) -> int:
    roll = rng.random()
    if roll < 0.02:
        level = 1
    elif roll < 0.47:
        level = 2
    elif roll < 0.97 or not provincial_tenant:
        level = 3
    else:
        level = 4  # rare, and only for provincial departments
    return min(level, home.certified_level)


def _data_class(rng: random.Random, home: Home, level: int) -> str:
    if not home.in_province:
        return "general"  # important/core data must stay in-province
    roll = rng.random()
    if roll < 0.08 and level >= 3:
        return "core"
    return "important" if roll < 0.40 else "general"


def _image(rng: random.Random, home: Home, xinchuang: bool, level: int) -> str:
    if xinchuang or home.arch != "x86_64":
        return rng.choice(_XINCHUANG_IMAGES)
    roll = rng.random()
    if level <= 2 and roll < 0.15:
        return "ubuntu-22.04" if roll < 0.12 else "centos-7.9"
    return rng.choice(("ubuntu-22.04-cis", "ubuntu-22.04-cis", "openeuler-22.03", "kylin-v10-sp3"))


def _encryption(rng: random.Random, level: int, data: str) -> dict[str, str]:
    if data == "core":
        return {"atRest": "sm4", "inTransit": "tlcp"}
    if data == "important" or level >= 3:
        return {
            "atRest": rng.choice(("sm4", "sm4", "aes256")),
            "inTransit": rng.choice(("tls", "tlcp")),
        }
    return {"atRest": rng.choice(("sm4", "aes256", "aes256", "none")), "inTransit": "tls"}


def _ingress(rng: random.Random, level: int, template: Template) -> list[Doc]:
    vpc = f"10.{rng.randrange(1, 250)}.0.0/16"
    rules: list[Doc] = []
    if level <= 3 and rng.random() < 0.35:
        rules.append({"port": 443, "protocol": "tcp", "from": "internet"})
    rules.append({"port": 22, "protocol": "tcp", "from": BASTION_CIDR})
    roles = {g.role for g in template.groups}
    if roles & {"web", "app"} and rng.random() < 0.5:
        rules.append({"port": 8080, "protocol": "tcp", "from": vpc})
    if "db" in roles and rng.random() < 0.4:
        rules.append({"port": rng.choice((5432, 3306)), "protocol": "tcp", "from": vpc})
    return rules


def _backup(rng: random.Random, level: int) -> Doc:
    if level >= 3:
        return {"enabled": True, "offsite": True, "retentionDays": rng.choice((30, 90, 180))}
    if level == 2:
        return {
            "enabled": True,
            "offsite": rng.random() < 0.5,
            "retentionDays": rng.choice((7, 14, 30)),
        }
    if rng.random() < 0.7:
        return {"enabled": True, "offsite": False, "retentionDays": 7}
    return {"enabled": False}


def _compute(rng: random.Random, template: Template, image: str, encrypted: bool) -> list[Doc]:
    groups: list[Doc] = []
    for group in template.groups:
        low, high = group.count
        groups.append(
            {
                "name": group.role,
                "flavor": rng.choice(group.flavors),
                "count": rng.randint(low, high),
                "image": image,
                "volumes": [
                    {"sizeGiB": rng.choice(sizes), "type": kind, "encrypted": encrypted}
                    for kind, sizes in group.volumes
                ],
            }
        )
    return groups


def build_request(
    rng: random.Random, name: str, tenant: Doc, home: Home, *, pin_roll: float
) -> Doc:
    """An admissible SystemRequest for ``tenant``'s system ``name``, placeable on ``home``."""
    template = rng.choices(TEMPLATES, weights=_TEMPLATE_WEIGHTS)[0]
    level = _level(rng, home, tenant["level"] == "provincial")
    data = _data_class(rng, home, level)
    xinchuang = home.xinchuang and rng.random() < 0.65
    encryption = _encryption(rng, level, data)
    spec: Doc = {
        "classifiedProtection": level,
        "dataClassification": data,
        "xinchuang": xinchuang,
    }
    if pin_roll < 0.04:
        spec["placement"] = {"provider": home.name}
    elif pin_roll < 0.12:
        spec["placement"] = {"tier": home.tier}
    image = _image(rng, home, xinchuang, level)
    spec["compute"] = _compute(rng, template, image, encryption["atRest"] != "none")
    if template.kubernetes:
        cpu, memory, pods = rng.choice(_K8S_QUOTAS)
        spec["kubernetes"] = {"quota": {"cpu": cpu, "memory": memory, "pods": pods}}
    spec["network"] = {"ingress": _ingress(rng, level, template)}
    spec["backup"] = _backup(rng, level)
    spec["logging"] = {"retentionDays": rng.choice((180, 180, 180, 365, 365, 730))}
    spec["encryption"] = encryption
    return {
        "apiVersion": "govcloud.io/v1",
        "kind": "SystemRequest",
        "metadata": {"name": name, "tenant": tenant["code"]},
        "spec": spec,
    }


# --- deliberate defects ---------------------------------------------------------------

# A defect edits a request in place; it returns False (leaving the request untouched)
# when it does not apply to this request. ``candidates`` are the providers that serve the
# tenant, as Homes.
Defect = Callable[[random.Random, Doc, Sequence[Home]], bool]


def _risky_port(rng: random.Random, request: Doc, _: Sequence[Home]) -> bool:
    port = rng.choice((3389, 22, 3306, 6379))
    request["spec"]["network"]["ingress"].append(
        {"port": port, "protocol": "tcp", "from": "internet"}
    )
    return True


def _short_logs(rng: random.Random, request: Doc, _: Sequence[Home]) -> bool:
    request["spec"]["logging"]["retentionDays"] = rng.choice((30, 90))
    return True


def _unencrypted_volume(_: random.Random, request: Doc, __: Sequence[Home]) -> bool:
    spec = request["spec"]
    volumes = [v for group in spec["compute"] for v in group["volumes"]]
    if spec["classifiedProtection"] < 3 or not volumes:
        return False
    volumes[0]["encrypted"] = False
    return True


def _no_backup(_: random.Random, request: Doc, __: Sequence[Home]) -> bool:
    if request["spec"]["classifiedProtection"] < 3:
        return False
    request["spec"]["backup"] = {"enabled": False}
    return True


def _cleartext_transit(_: random.Random, request: Doc, __: Sequence[Home]) -> bool:
    spec = request["spec"]
    if spec["dataClassification"] == "general":
        return False
    spec["encryption"]["inTransit"] = "none"
    return True


def _unhardened_image(_: random.Random, request: Doc, __: Sequence[Home]) -> bool:
    spec = request["spec"]
    if spec["classifiedProtection"] < 3 or spec["xinchuang"]:
        return False
    if any("x86_64" not in IMAGE_BY_NAME[g["image"]].arch for g in spec["compute"]):
        return False
    for group in spec["compute"]:
        group["image"] = "ubuntu-22.04"
    return True


def _foreign_image_on_xinchuang(_: random.Random, request: Doc, __: Sequence[Home]) -> bool:
    spec = request["spec"]
    if not spec["xinchuang"]:
        return False
    spec["compute"][0]["image"] = "ubuntu-22.04-cis"
    return True


def exclusions(spec: Doc, provider: Home) -> list[str]:
    """Why ``provider`` cannot host ``spec`` under DESIGN.md's hard placement rules.

    Checked: certified 等保 level, 信创 capacity, in-province residency of important and
    core data, and image architecture. Tenant reach and capacity are the caller's part.
    """
    reasons: list[str] = []
    if spec["classifiedProtection"] > provider.certified_level:
        reasons.append("level")
    if spec["xinchuang"] and not provider.xinchuang:
        reasons.append("xinchuang")
    if spec["dataClassification"] != "general" and not provider.in_province:
        reasons.append("residency")
    if any(provider.arch not in IMAGE_BY_NAME[g["image"]].arch for g in spec["compute"]):
        reasons.append("arch")
    return reasons


def _pin_to_first(request: Doc, candidates: Sequence[Home], reason: str) -> bool:
    """Pin to a provider excluded for ``reason`` alone; False if there is none."""
    spec = request["spec"]
    for provider in candidates:
        if exclusions(spec, provider) == [reason]:
            spec["placement"] = {"provider": provider.name}
            return True
    return False


def _level_above_certification(_: random.Random, request: Doc, candidates: Sequence[Home]) -> bool:
    spec = request["spec"]
    if spec["classifiedProtection"] != 3:
        return False
    spec["classifiedProtection"] = 4
    if not _pin_to_first(request, candidates, "level"):
        spec["classifiedProtection"] = 3
        return False
    ingress = spec["network"]["ingress"]
    ingress[:] = [rule for rule in ingress if rule["from"] != "internet"]
    return True


def _core_data_out_of_province(_: random.Random, request: Doc, candidates: Sequence[Home]) -> bool:
    spec = request["spec"]
    if spec["classifiedProtection"] < 3:
        return False
    before = spec["dataClassification"]
    spec["dataClassification"] = "core"
    if not _pin_to_first(request, candidates, "residency"):
        spec["dataClassification"] = before
        return False
    spec["encryption"] = {"atRest": "sm4", "inTransit": "tlcp"}
    return True


def _xinchuang_on_foreign_stack(_: random.Random, request: Doc, candidates: Sequence[Home]) -> bool:
    spec = request["spec"]
    if spec["xinchuang"]:
        return False
    images = [group["image"] for group in spec["compute"]]
    spec["xinchuang"] = True
    for group in spec["compute"]:
        group["image"] = "kylin-v10-sp3"
    if not _pin_to_first(request, candidates, "xinchuang"):
        spec["xinchuang"] = False
        for group, image in zip(spec["compute"], images, strict=True):
            group["image"] = image
        return False
    return True


NONCOMPLIANT: dict[str, Defect] = {
    "risky-port-from-internet": _risky_port,
    "short-log-retention": _short_logs,
    "unencrypted-volume": _unencrypted_volume,
    "backup-disabled": _no_backup,
    "cleartext-in-transit": _cleartext_transit,
    "unhardened-image": _unhardened_image,
    "non-xinchuang-image": _foreign_image_on_xinchuang,
}
# Tried in this order, rarest opportunity first: only tenants of an out-of-province sector
# cloud can be given core data pinned out of the province.
UNPLACEABLE: dict[str, Defect] = {
    "core-data-out-of-province": _core_data_out_of_province,
    "level-above-certification": _level_above_certification,
    "xinchuang-on-non-xinchuang": _xinchuang_on_foreign_stack,
}


def inject_defect(
    rng: random.Random,
    request: Doc,
    candidates: Sequence[Home],
    defects: dict[str, Defect],
    *,
    shuffle: bool = True,
) -> str | None:
    """Apply the first applicable defect, in a seeded order or in ``defects``' own order
    (``shuffle=False``); its id, or None if none applies."""
    kinds = list(defects)
    if shuffle:
        rng.shuffle(kinds)
    for kind in kinds:
        if defects[kind](rng, request, candidates):
            _reorder_spec(request)
            return kind
    return None


_SPEC_KEYS = (
    "classifiedProtection",
    "dataClassification",
    "xinchuang",
    "placement",
    "compute",
    "kubernetes",
    "network",
    "backup",
    "logging",
    "encryption",
)


def _reorder_spec(request: Doc) -> None:
    """Keep DESIGN.md's key order after a defect added a key (e.g. a placement pin)."""
    spec = request["spec"]
    request["spec"] = {key: spec[key] for key in _SPEC_KEYS if key in spec}


# --- reading a request back -------------------------------------------------------------


def resource_counts(request: Doc) -> Counter[str]:
    """The cloud resources a request implies, by kind.

    Per system: one network, subnet and security group; one rule per ingress entry; one
    public IP if anything is reachable from the internet; per compute group, ``count``
    servers and ``count`` x volumes; a namespace and a resource quota for Kubernetes.
    """
    spec = request["spec"]
    counts: Counter[str] = Counter()
    for group in spec.get("compute", []):
        counts["servers"] += group["count"]
        counts["volumes"] += group["count"] * len(group.get("volumes", []))
    ingress = spec.get("network", {}).get("ingress", [])
    counts["networks"] += 1
    counts["subnets"] += 1
    counts["securityGroups"] += 1
    counts["securityGroupRules"] += len(ingress)
    counts["publicIPs"] += any(rule["from"] == "internet" for rule in ingress)
    if "kubernetes" in spec:
        counts["k8sNamespaces"] += 1
        counts["k8sQuotas"] += 1
    return counts


def _quantity(text: str | int) -> int:
    """Kubernetes quantity in whole cores or GiB (only the forms the generator writes)."""
    value = str(text)
    return int(value[:-2]) if value.endswith("Gi") else int(value)


def meter_quantities(request: Doc) -> Counter[str]:
    """Monthly quantities per rate-card meter that the request would consume."""
    spec = request["spec"]
    usage: Counter[str] = Counter()
    for group in spec.get("compute", []):
        flavor = FLAVOR_BY_NAME[group["flavor"]]
        count = group["count"]
        usage["compute.vcpu"] += flavor.vcpu * count
        usage["compute.memory"] += flavor.memory_gib * count
        for volume in group.get("volumes", []):
            usage[f"storage.{volume['type']}"] += volume["sizeGiB"] * count
    if any(rule["from"] == "internet" for rule in spec.get("network", {}).get("ingress", [])):
        usage["network.public_ip"] += 1
    quota = spec.get("kubernetes", {}).get("quota")
    if quota:
        usage["k8s.cpu"] += _quantity(quota["cpu"])
        usage["k8s.memory"] += _quantity(quota["memory"])
    return usage
