"""Inventory rows to policy views (pure mapping, no database).

Cases: declared time attributes are parsed from ISO-8601 text (aware datetimes, dates),
a naive or malformed time is left as text (the rule then reports it unusable), other
attributes pass through; a security rule's ingress comes from its own fields and only
for inbound rules; a security group's ``ingress`` list is read; scope: a department's
own city/sector win over the hosting cloud's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from controlplane.compliance.views import AuditScope, ingress_of, resource_attrs, scope_for
from controlplane.db.models import Tenant
from policies import IngressRule, ProviderFacts


def test_time_attributes_are_parsed() -> None:
    attrs = resource_attrs(
        {
            "last_backup_at": "2026-03-01T10:00:00+08:00",
            "patched_on": "2026-02-01",
            "last_login": "2026-03-01T10:00:00",  # naive: refused, kept as text
            "expires_at": "not a time",
            "encrypted": True,
        }
    )
    assert attrs["last_backup_at"] == datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    assert attrs["patched_on"] == date(2026, 2, 1)
    assert attrs["last_login"] == "2026-03-01T10:00:00"
    assert attrs["expires_at"] == "not a time"
    assert attrs["encrypted"] is True


def test_ingress_from_rules_and_groups() -> None:
    rule = {"direction": "ingress", "protocol": "tcp", "port_min": 22, "port_max": 22}
    assert ingress_of("security_rule", {**rule, "remote_cidr": "0.0.0.0/0"}) == (
        IngressRule("0.0.0.0/0", 22, 22, "tcp"),
    )
    assert ingress_of("security_rule", {**rule, "direction": "egress"}) == ()
    assert ingress_of("security_rule", {"direction": "ingress"}) == (
        IngressRule("0.0.0.0/0", None, None, "any"),
    )
    group = {"ingress": [{"source": "internet", "port_min": 443}, "junk"]}
    assert ingress_of("security_group", group) == (IngressRule("internet", 443, None, "tcp"),)
    assert ingress_of("security_group", {}) == ()


def test_scope_prefers_the_department() -> None:
    cloud = ProviderFacts("water-k8s", "sector", city="city-b", sector="water")
    edu = Tenant(
        code="city-a-edu", name="甲市教育局", level="municipal", city="city-a", budget=Decimal("1")
    )
    assert scope_for(edu, cloud) == AuditScope("city-a-edu", "city-a", "water")
    assert scope_for(None, cloud) == AuditScope(None, "city-b", "water")
