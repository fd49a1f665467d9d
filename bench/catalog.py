"""The generated estate's service catalogue (服务目录) and rate card.

Owns the flavours, images and per-tier monthly unit prices every generated estate uses,
as plain data in the Estate YAML shape. Prices are decimal strings, never floats.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Flavor:
    name: str
    vcpu: int
    memory_gib: int


@dataclass(frozen=True)
class Image:
    name: str
    os: str
    xinchuang: bool
    hardened: bool
    arch: tuple[str, ...]


FLAVORS: tuple[Flavor, ...] = tuple(
    Flavor(f"c{cpu}m{mem}", cpu, mem)
    for cpu, mem in (
        (1, 2),
        (2, 4),
        (2, 8),
        (4, 8),
        (4, 16),
        (8, 16),
        (8, 32),
        (16, 32),
        (16, 64),
    )
)
FLAVOR_BY_NAME: dict[str, Flavor] = {f.name: f for f in FLAVORS}

BOTH_ARCHES = ("aarch64", "x86_64")
IMAGES: tuple[Image, ...] = (
    Image("kylin-v10-sp3", "kylin", True, True, BOTH_ARCHES),
    Image("uos-20", "uos", True, True, BOTH_ARCHES),
    Image("openeuler-22.03", "openeuler", True, True, BOTH_ARCHES),
    Image("ubuntu-22.04-cis", "ubuntu", False, True, ("x86_64",)),
    Image("ubuntu-22.04", "ubuntu", False, False, ("x86_64",)),
    Image("centos-7.9", "centos", False, False, ("x86_64",)),
)
IMAGE_BY_NAME: dict[str, Image] = {i.name: i for i in IMAGES}

RATE_CARD_VERSION = "2026.1"
RATE_CARD_FROM = dt.date(2026, 1, 1)
APPROVAL_REF = "X财预〔2026〕12号"

# meter, unit, proration, provincial, municipal, sector (yuan per unit per month)
_RATES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("compute.vcpu", "vCPU", "hour", "45.00", "40.00", "42.00"),
    ("compute.memory", "GiB", "hour", "20.00", "18.00", "19.00"),
    ("storage.ssd", "GiB", "day", "0.80", "0.70", "0.75"),
    ("storage.hdd", "GiB", "day", "0.30", "0.25", "0.28"),
    ("network.public_ip", "IP", "month", "30.00", "30.00", "30.00"),
    ("k8s.cpu", "core", "hour", "40.00", "36.00", "38.00"),
    ("k8s.memory", "GiB", "hour", "18.00", "16.00", "17.00"),
)


def catalog_document() -> dict[str, Any]:
    """The ``catalog`` section of the Estate document."""
    return {
        "flavors": [{"name": f.name, "vcpu": f.vcpu, "memoryGiB": f.memory_gib} for f in FLAVORS],
        "images": [
            {
                "name": i.name,
                "os": i.os,
                "xinchuang": i.xinchuang,
                "hardened": i.hardened,
                "arch": list(i.arch),
            }
            for i in IMAGES
        ],
    }


def rate_card_document() -> dict[str, Any]:
    """The ``rateCard`` section of the Estate document."""
    return {
        "version": RATE_CARD_VERSION,
        "effectiveFrom": RATE_CARD_FROM,
        "currency": "CNY",
        "approvalRef": APPROVAL_REF,
        "rates": [
            {
                "meter": meter,
                "unit": unit,
                "proration": proration,
                "prices": {"provincial": prov, "municipal": muni, "sector": sect},
            }
            for meter, unit, proration, prov, muni, sect in _RATES
        ],
    }
