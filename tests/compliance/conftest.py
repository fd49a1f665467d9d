"""Fixtures for the compliance tests: the estate of ``estate.yaml`` and a small inventory.

Inventory rows are inserted directly (``System``/``Resource``), as a provider sync would
leave them, so these tests do not depend on the inventory service. ``sample`` holds one
level-3 system of ``hrss`` on the provincial cloud (``sso-portal``) with good and bad
resources, and one level-2 system of ``city-a-edu`` on the municipal cloud.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from controlplane.app import App
from controlplane.db.engine import transaction
from controlplane.db.models import Provider, Resource, System, Tenant
from controlplane.estate.schema import parse_estate
from tenants import load_yaml_file

ESTATE = Path(__file__).with_name("estate.yaml")


def apply_estate(app: App) -> None:
    app.estate.apply(parse_estate(load_yaml_file(str(ESTATE)), str(ESTATE)), actor="ops")


@dataclass
class Inventory:
    """Writes inventory rows the way a sync leaves them."""

    app: App

    def system(
        self, tenant: str, name: str, level: int, grade: str = "important", provider: str = ""
    ) -> int:
        now = self.app.clock()
        with transaction(self.app.sessions) as session:
            owner = session.exec(select(Tenant).where(col(Tenant.code) == tenant)).one()
            host = self._provider(session, provider) if provider else None
            row = System(
                tenant_id=owner.id,
                name=name,
                provider_id=host.id if host else None,
                level=level,
                data_classification=grade,
                status="active",
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id

    def resource(
        self, system_id: int, kind: str, rid: str, spec: dict[str, Any], provider: str
    ) -> None:
        now = self.app.clock()
        with transaction(self.app.sessions) as session:
            owner = session.get(System, system_id)
            assert owner is not None
            session.add(
                Resource(
                    provider_id=self._provider(session, provider).id,
                    tenant_id=owner.tenant_id,
                    system_id=system_id,
                    provider_name=provider,
                    tenant_code=session.get_one(Tenant, owner.tenant_id).code,
                    system_name=owner.name,
                    kind=kind,
                    resource_id=rid,
                    name=rid,
                    status="ACTIVE",
                    spec=spec,
                    created_at=now - timedelta(days=30),
                    observed_at=now,
                )
            )

    def update(self, rid: str, **changes: Any) -> None:
        with transaction(self.app.sessions) as session:
            row = session.exec(select(Resource).where(col(Resource.resource_id) == rid)).one()
            row.spec = {**row.spec, **changes}
            session.add(row)

    def delete(self, rid: str) -> None:
        with transaction(self.app.sessions) as session:
            row = session.exec(select(Resource).where(col(Resource.resource_id) == rid)).one()
            row.deleted_at = self.app.clock()
            session.add(row)

    @staticmethod
    def _provider(session: Any, name: str) -> Provider:
        found: Provider = session.exec(select(Provider).where(col(Provider.name) == name)).one()
        return found


def good_volume(now: datetime) -> dict[str, Any]:
    return {
        "size_gib": 100,
        "encrypted": True,
        "key_owner": "tenant",
        "cipher": "sm4",
        "kms_gm_certified": True,
        "public_access": False,
        "versioning": True,
        "backup_policy": True,
        "last_backup_at": (now - timedelta(hours=6)).isoformat(),
        "restore_tested_on": (now - timedelta(days=30)).date().isoformat(),
        "replica_count": 3,
        "country": "CN",
        "province": "GD",
        "az": "az1",
        "site": "dc-1",
        "storage_backend": "ceph",
    }


def log_sink(days: int) -> dict[str, Any]:
    return {"retention_days": days, "worm": True, "tenant_deletable": False, "backup": True}


@pytest.fixture
def sample(app: App) -> Inventory:
    apply_estate(app)
    inv = Inventory(app)
    now = app.clock()
    sso = inv.system("hrss", "sso-portal", 3, provider="prov-main")
    inv.resource(sso, "volume", "vol-good", good_volume(now), "prov-main")
    inv.resource(sso, "volume", "vol-plain", {**good_volume(now), "encrypted": False}, "prov-main")
    inv.resource(sso, "log_sink", "logs-short", log_sink(90), "prov-main")
    inv.resource(sso, "log_sink", "logs-ok", log_sink(200), "prov-main")
    inv.resource(
        sso,
        "security_group",
        "sg-web",
        {
            "attached_ports": 1,
            "ingress": [
                {"source": "internet", "port_min": 443},
                {"source": "internet", "port_min": 3389},
            ],
        },
        "prov-main",
    )
    edu = inv.system("city-a-edu", "edu-portal", 2, grade="general", provider="city-a")
    inv.resource(edu, "log_sink", "edu-logs", log_sink(200), "city-a")
    return inv
