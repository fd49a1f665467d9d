"""Pure parts of the Kubernetes driver, without a cluster.

Cases:
- error mapping: 401 → auth; 403 "exceeded quota" / limit-range → quota exceeded;
  403 RBAC → auth; 403 terminating namespace → temporary conflict; 404 → not found;
  409 → conflict; 422 → invalid request; 429 → unavailable with Retry-After;
  500 → unavailable; connection refused (urllib3 MaxRetryError and bare OSError) →
  temporary unavailable; TLS failure → permanent unavailable; kubeconfig problem →
  auth; a programming error is not mapped (``None``); the Status message is kept;
- object mapping: quota body sets requests and limits; state normalises quantities
  (``1Gi`` == ``1024Mi``); deny-all and allow policy bodies; role binding body;
  observed specs read back what was declared; the applied-state annotation equals the
  state fingerprint of the body; names are DNS labels (long ones hashed, unique);
  ``system_resources`` builds quota, limit range, one policy per ingress and a binding;
- usage: complete hours only, the allocation's start splits its first hour, a quota
  change splits an hour at the change, a deleted namespace ends the allocation mid-hour
  (that part is reported), keys are stable across overlapping windows; history keeps
  one entry per change and ignores junk.
"""

from __future__ import annotations

import json
import ssl
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import urllib3.exceptions
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from providers.errors import (
    ProviderAuthError,
    ProviderConflict,
    ProviderInvalidRequest,
    ProviderNotFound,
    ProviderQuotaExceeded,
    ProviderUnavailable,
)
from providers.kubernetes_errors import map_kube_error
from providers.kubernetes_objects import (
    ANNOTATION_STATE,
    OBJECT_KINDS,
    namespace_name,
    object_state,
    state_fingerprint,
    system_resources,
)
from providers.kubernetes_usage import append_history, parse_history, quota_usage
from providers.types import DesiredResource, SystemRef

SYSTEM = SystemRef("hrss", "portal", "req-1", 3)


def _api_error(status: int, message: str, headers: dict[str, str] | None = None) -> ApiException:
    exc = ApiException(status=status, reason="reason")
    exc.body = json.dumps({"kind": "Status", "message": message}).encode()
    exc.headers = headers or {}
    return exc


@pytest.mark.parametrize(
    ("status", "message", "expected", "temporary"),
    [
        (401, "Unauthorized", ProviderAuthError, False),
        (403, 'pods "x" is forbidden: exceeded quota: quota, requested: cpu=2', ProviderQuotaExceeded, False),
        (403, "maximum cpu usage per Container is 1, but limit is 2", ProviderQuotaExceeded, False),
        (403, 'namespaces is forbidden: User "u" cannot list resource', ProviderAuthError, False),
        (403, "unable to create new content in namespace x because it is being terminated", ProviderConflict, True),
        (404, 'namespaces "x" not found', ProviderNotFound, False),
        (409, "the object has been modified", ProviderConflict, True),
        (422, "spec.hard: Invalid value", ProviderInvalidRequest, False),
        (500, "etcdserver: request timed out", ProviderUnavailable, True),
    ],
)  # fmt: skip
def test_status_mapping(
    status: int, message: str, expected: type[Exception], temporary: bool
) -> None:
    mapped = map_kube_error("k", _api_error(status, message))
    assert type(mapped) is expected
    assert mapped is not None
    assert mapped.temporary is temporary
    assert message in mapped.detail
    assert mapped.provider == "k"


def test_too_many_requests_keeps_retry_after() -> None:
    mapped = map_kube_error("k", _api_error(429, "slow down", {"Retry-After": "7"}))
    assert isinstance(mapped, ProviderUnavailable)
    assert mapped.retry_after == 7.0


def test_connection_refused_is_temporary_unavailable() -> None:
    refused = urllib3.exceptions.NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    wrapped = urllib3.exceptions.MaxRetryError(None, "/api", refused)  # type: ignore[arg-type]
    for exc in (wrapped, ConnectionRefusedError(111, "Connection refused")):
        mapped = map_kube_error("k", exc)
        assert isinstance(mapped, ProviderUnavailable)
        assert mapped.temporary


def test_tls_failure_is_permanent_unavailable() -> None:
    mapped = map_kube_error("k", ssl.SSLCertVerificationError("certificate verify failed"))
    assert isinstance(mapped, ProviderUnavailable)
    assert not mapped.temporary


def test_kubeconfig_problem_is_auth_and_bugs_are_not_mapped() -> None:
    assert isinstance(map_kube_error("k", ConfigException("no context")), ProviderAuthError)
    assert map_kube_error("k", KeyError("spec")) is None


def test_quota_body_and_state_normalisation() -> None:
    kind = OBJECT_KINDS["namespace_quota"]
    body = kind.body(
        SYSTEM,
        DesiredResource("namespace_quota", "quota", {"cpu": "2", "memory": "1Gi", "pods": 10}),
    )
    assert body["spec"]["hard"] == {
        "requests.cpu": "2",
        "limits.cpu": "2",
        "requests.memory": "1Gi",
        "limits.memory": "1Gi",
        "pods": "10",
    }
    assert body["metadata"]["labels"]["govcloud.io/level"] == "3"
    assert body["metadata"]["annotations"][ANNOTATION_STATE] == state_fingerprint(kind, body)
    live = {
        "spec": {
            "hard": {**body["spec"]["hard"], "requests.memory": "1024Mi", "limits.cpu": "2000m"}
        }
    }
    assert object_state(kind, live) == object_state(kind, body)
    live["spec"]["hard"]["requests.cpu"] = "3"
    assert object_state(kind, live) != object_state(kind, body)
    assert kind.observed(live)["cpu"] == "3"
    assert kind.observed(body)["pods"] == 10


def test_policy_and_binding_bodies() -> None:
    policy = OBJECT_KINDS["network_policy"]
    deny = policy.body(
        SYSTEM, DesiredResource("network_policy", "default-deny", {"policy": "deny-all"})
    )
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    assert policy.observed(deny) == {"policy": "deny-all"}
    spec = {"port": 22, "protocol": "tcp", "remote_cidr": "10.20.0.0/16"}
    allow = policy.body(SYSTEM, DesiredResource("network_policy", "ssh", spec))
    assert allow["spec"]["ingress"] == [
        {
            "from": [{"ipBlock": {"cidr": "10.20.0.0/16"}}],
            "ports": [{"port": 22, "protocol": "TCP"}],
        }
    ]
    assert policy.observed(allow) == spec
    binding = OBJECT_KINDS["role_binding"]
    bound = binding.body(
        SYSTEM, DesiredResource("role_binding", "dept", {"group": "g1", "role": "view"})
    )
    assert "spec" not in bound
    assert bound["roleRef"]["name"] == "view"
    assert binding.observed(bound) == {"role": "view", "group": "g1"}


def test_listed_only_kinds_cannot_be_applied() -> None:
    with pytest.raises(ValueError, match="only listed"):
        OBJECT_KINDS["pod"].body(SYSTEM, DesiredResource("pod", "p"))


def test_names_are_dns_labels() -> None:
    assert namespace_name(SYSTEM) == "hrss-portal"
    long_a = SystemRef("t" * 40, "Sys_A" + "x" * 40, "r", 2)
    long_b = SystemRef("t" * 40, "Sys_B" + "x" * 40, "r", 2)
    name_a, name_b = namespace_name(long_a), namespace_name(long_b)
    assert len(name_a) <= 63
    assert name_a != name_b
    assert name_a == name_a.lower()
    assert "_" not in name_a


def test_system_resources_from_manifest_parts() -> None:
    desired = system_resources(
        tenant="hrss",
        quota={"cpu": "16", "memory": "64Gi", "pods": 100},
        ingress=[{"port": 443, "protocol": "tcp", "from": "internet"}, {"port": 22, "from": "10.20.0.0/16"}],
    )  # fmt: skip
    assert [r.key for r in desired] == [
        "namespace_quota/quota",
        "limit_range/limits",
        "network_policy/allow-tcp-443-internet",
        "network_policy/allow-tcp-22-10-20-0-0-16",
        "role_binding/department",
    ]
    assert desired[2].spec == {"port": 443, "protocol": "tcp", "remote_cidr": "0.0.0.0/0"}
    assert desired[-1].spec == {"group": "govcloud:tenant:hrss", "role": "edit"}
    assert [r.kind for r in system_resources(tenant="x", quota=None)] == ["role_binding"]


T0 = datetime(2026, 3, 1, 8, 20, tzinfo=UTC)


def _hours(**kwargs: object) -> list[tuple[datetime, datetime, str, Decimal]]:
    defaults: dict[str, object] = {
        "provider": "k",
        "resource_id": "ns/quota",
        "tenant": "hrss",
        "system": "portal",
        "ended_at": None,
    }
    found = quota_usage(**{**defaults, **kwargs})  # type: ignore[arg-type]
    return [(u.start, u.end, u.meter, u.quantity) for u in found]


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 1, hour, minute, tzinfo=UTC)


def test_usage_reports_complete_hours_only() -> None:
    history = [(T0, {"cpu": "2", "memory": "4Gi"})]
    found = _hours(history=history, since=_at(0), until=_at(10, 30))
    cpu = [(s, e, q) for s, e, m, q in found if m == "k8s.cpu"]
    assert cpu == [(T0, _at(9), Decimal(2)), (_at(9), _at(10), Decimal(2))]
    assert {q for *_, m, q in found if m == "k8s.memory"} == {Decimal(4)}


def test_usage_splits_the_hour_of_a_change_and_ends_with_the_namespace() -> None:
    history = [(T0, {"cpu": "2"}), (_at(9, 15), {"cpu": "4"})]
    found = _hours(history=history, since=_at(8), until=_at(10, 30), ended_at=_at(9, 45))
    assert found == [
        (T0, _at(9), "k8s.cpu", Decimal(2)),
        (_at(9), _at(9, 15), "k8s.cpu", Decimal(2)),
        (_at(9, 15), _at(9, 45), "k8s.cpu", Decimal(4)),
    ]


def test_usage_keys_are_stable_across_windows() -> None:
    history = [(T0, {"cpu": "1", "memory": "1Gi"})]

    def keys(since: datetime, until: datetime) -> set[str]:
        return {
            u.source_key
            for u in quota_usage(
                provider="k", resource_id="ns/q", tenant=None, system=None,
                history=history, ended_at=None, since=since, until=until,
            )
        }  # fmt: skip

    first = keys(_at(8), _at(11))
    later = keys(_at(10, 30), _at(12))
    assert len(first) == 6
    assert first & later == {k for k in first if "10:00" in k}
    assert keys(_at(8), _at(11)) == first


def test_history_appends_changes_only_and_ignores_junk() -> None:
    text = append_history(None, T0, {"cpu": "2", "memory": "4Gi", "pods": 5})
    assert append_history(text, T0 + timedelta(hours=1), {"cpu": "2", "memory": "4Gi"}) == text
    changed = append_history(text, T0 + timedelta(hours=2), {"cpu": "3", "memory": "4Gi"})
    assert [(at, dict(v)) for at, v in parse_history(changed)] == [
        (T0, {"cpu": "2", "memory": "4Gi"}),
        (T0 + timedelta(hours=2), {"cpu": "3", "memory": "4Gi"}),
    ]
    assert parse_history("not json") == []
    assert parse_history('[["2026-03-01T00:00:00", {}], ["x", {}], 3]') == []
