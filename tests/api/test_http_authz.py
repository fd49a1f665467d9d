"""The API over real HTTP: uvicorn on 127.0.0.1 (random port), bearer tokens, problems.

Cases: every action of the role table × the five roles × own/other tenant through the
HTTP routes, refused with 403 exactly where the declared table says (the same table
the in-process matrix checks); unknown, malformed, expired and revoked tokens get 401
with a problem+json body naming the govcloud code in both languages, and a refused
mutation is in the audit log (401 and 403 alike); impersonation needs its permission,
never borrows a deciding role, and is recorded with both names; a department token
reads nothing of another tenant; bodies over the limit get 413; the committed OpenAPI
document is the one the code serves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import select

from controlplane import rbac
from controlplane.api import OPENAPI_FILE, openapi_document
from controlplane.db.models import AuditEvent
from tests.api.conftest import Server
from tests.facade.test_authz_matrix import OTHER, OWN, ROLES, Fixture, _fixture, expected
from tests.governance.support import apply_estate, manifest_text

Body = dict[str, Any] | None
Path = Callable[[str, Fixture], str]


def _m(name: str, tenant: str, provider: str = "prov-sim") -> dict[str, Any]:
    return {"manifest": manifest_text(name, tenant, provider=provider), "source": f"{name}.yaml"}


WAIVER = {"rule_id": "GC-NO-SUCH", "scope": "tenant", "reason": "matrix",
          "expires_at": "2026-06-01T00:00:00+00:00"}  # fmt: skip

#: action -> (method, path, body, whether the call names the tenant)
CALLS: dict[str, tuple[str, Path, Callable[[str, Fixture], Body], bool]] = {
    "estate.show": ("GET", lambda t, f: "/estate", lambda t, f: None, False),
    "estate.apply": ("POST", lambda t, f: "/estate/apply?dry_run=true",
                     lambda t, f: {"manifest": "kind: Estate\n", "source": "e.yaml"}, False),
    "provider.list": ("GET", lambda t, f: "/providers", lambda t, f: None, False),
    "provider.show": ("GET", lambda t, f: "/providers/prov-sim", lambda t, f: None, False),
    "provider.sync": ("POST", lambda t, f: "/providers/no-such/sync", lambda t, f: None, False),
    "overview.show": ("GET", lambda t, f: f"/overview/2026-03?tenant={t}", lambda t, f: None, True),
    "tenant.list": ("GET", lambda t, f: "/tenants", lambda t, f: None, False),
    "system.list": ("GET", lambda t, f: f"/systems?tenant={t}", lambda t, f: None, True),
    "tenant.show": ("GET", lambda t, f: f"/tenants/{t}", lambda t, f: None, True),
    "request.plan": ("POST", lambda t, f: "/plans", lambda t, f: _m("planned", t), True),
    "request.list": ("GET", lambda t, f: f"/requests?tenant={t}", lambda t, f: None, True),
    "request.show": ("GET", lambda t, f: f"/requests/{f.requests[t]}", lambda t, f: None, True),
    "request.apply": ("POST", lambda t, f: "/requests", lambda t, f: _m("applied", t, "x"), True),
    "request.delete": ("POST", lambda t, f: "/requests/delete", lambda t, f: _m("gone", t), True),
    "request.approve": ("POST", lambda t, f: f"/requests/{f.requests[t]}/approve",
                        lambda t, f: {}, True),
    "request.reject": ("POST", lambda t, f: f"/requests/{f.requests[t]}/reject",
                       lambda t, f: {"reason": "no"}, True),
    "request.provision": ("POST", lambda t, f: "/requests/10000/provision", lambda t, f: None,
                          False),
    "system.repair": ("POST", lambda t, f: f"/systems/{t}/no-such-system/repair",
                      lambda t, f: None, False),
    "resource.list": ("GET", lambda t, f: f"/resources?tenant={t}", lambda t, f: None, True),
    "drift.list": ("GET", lambda t, f: f"/drift?tenant={t}", lambda t, f: None, True),
    "policy.list": ("GET", lambda t, f: "/policy/rules?level=3", lambda t, f: None, False),
    "policy.audit": ("POST", lambda t, f: "/policy/audits", lambda t, f: None, False),
    "policy.violations": ("GET", lambda t, f: f"/policy/violations?tenant={t}",
                          lambda t, f: None, True),
    "policy.report": ("GET", lambda t, f: f"/policy/reports/portal?tenant={t}",
                      lambda t, f: None, True),
    "waiver.list": ("GET", lambda t, f: f"/waivers?tenant={t}", lambda t, f: None, True),
    "waiver.request": ("POST", lambda t, f: "/waivers", lambda t, f: {**WAIVER, "target": t},
                       True),
    "waiver.approve": ("POST", lambda t, f: "/waivers/10000/approve", lambda t, f: None, False),
    "meter.collect": ("POST", lambda t, f: "/meter/collect",
                      lambda t, f: {"providers": ["no-such"]}, False),
    "meter.import": ("POST", lambda t, f: "/meter/imports",
                     lambda t, f: {"csv": "", "source": "u.csv"}, False),
    "meter.gaps": ("GET", lambda t, f: "/meter/coverage/2026-03", lambda t, f: None, False),
    "meter.acknowledge": ("POST", lambda t, f: "/meter/acknowledgements",
                          lambda t, f: {"provider": "no-such", "reason": "m", "month": "2026-03"},
                          False),
    "meter.availability": ("POST", lambda t, f: "/meter/availability",
                           lambda t, f: {"provider": "no-such", "month": "2026-03",
                                         "percent": "99.9", "evidence": "m"}, False),
    "bill.run": ("POST", lambda t, f: "/bills/2026-03/run", lambda t, f: None, False),
    "bill.show": ("GET", lambda t, f: f"/bills/2026-03?tenant={t}", lambda t, f: None, True),
    "bill.confirm": ("POST", lambda t, f: "/bills/2026-03/confirm", lambda t, f: {"tenant": t},
                     True),
    "bill.finalize": ("POST", lambda t, f: "/bills/2026-01/finalize", lambda t, f: None, False),
    "bill.adjust": ("POST", lambda t, f: "/bills/adjustments",
                    lambda t, f: {"tenant": t, "amount": "1.00", "reason": "m",
                                  "approver": "fin-chen", "relates_to": "2026-02"}, False),
    "bill.export": ("GET", lambda t, f: f"/bills/2026-03/export?format=json&tenant={t}",
                    lambda t, f: None, True),
    "audit.verify": ("GET", lambda t, f: "/audit/verify", lambda t, f: None, False),
    "audit.list": ("GET", lambda t, f: "/audit/events", lambda t, f: None, False),
    "audit.checkpoint": ("POST", lambda t, f: "/audit/checkpoints", lambda t, f: None, False),
    "audit.rotate": ("POST", lambda t, f: "/audit/keys/rotate", lambda t, f: None, False),
    "infra.export": ("GET", lambda t, f: "/infra/portal/export", lambda t, f: None, False),
    "token.create": ("POST", lambda t, f: "/tokens",
                     lambda t, f: {"principal": "hrss-wang", "expires": "1d"}, False),
    "token.list": ("GET", lambda t, f: "/tokens", lambda t, f: None, False),
    "token.revoke": ("DELETE", lambda t, f: "/tokens/000000000000", lambda t, f: None, False),
    "job.list": ("GET", lambda t, f: "/jobs", lambda t, f: None, False),
    "job.show": ("GET", lambda t, f: "/jobs/no-such-job", lambda t, f: None, False),
    "job.run": ("POST", lambda t, f: "/jobs/no-such-job/run", lambda t, f: None, False),
    "budget.alerts": ("GET", lambda t, f: f"/budget/alerts?tenant={t}", lambda t, f: None, True),
    "budget.project": ("POST", lambda t, f: "/budget/projections", lambda t, f: {}, False),
    "principal.impersonate": ("GET", lambda t, f: "/whoami", lambda t, f: None, False),
}  # fmt: skip


def test_http_matrix_matches_the_declared_table(server: Server) -> None:
    assert set(CALLS) == set(rbac.RULES)
    apply_estate(server.app)
    fixture = _fixture(server.app)
    tokens = {role: server.token(name) for role, name in ROLES.items()}
    mismatches = []
    for action, (method, path, body, names_tenant) in sorted(CALLS.items()):
        for role in ROLES:
            headers = (
                {"Impersonate-User": "audit-zhou"} if action == "principal.impersonate" else {}
            )
            with server.client(tokens[role], **headers) as http:
                for tenant in (OWN, OTHER):
                    answer = http.request(method, path(tenant, fixture), json=body(tenant, fixture))
                    assert answer.status_code not in (401, 500), (action, role, answer.text)
                    if answer.status_code == 422:
                        assert answer.json()["code"] == "invalid", answer.text
                    got = answer.status_code != 403
                    want = expected(role, action, tenant if names_tenant else None)  # type: ignore[arg-type]
                    if got != want:
                        mismatches.append(
                            f"{method} {path(tenant, fixture)} as {role}: {answer.status_code}, "
                            f"table={want}"
                        )
    assert not mismatches, "\n".join(mismatches)


def _denials(server: Server, action: str) -> list[AuditEvent]:
    with server.app.sessions() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def test_unknown_expired_revoked_tokens_get_401_and_refused_mutations_are_audited(
    server: Server,
) -> None:
    apply_estate(server.app)
    expired = server.token("ops-li", ttl=timedelta(seconds=1))
    server.app.clock.advance(seconds=5)  # type: ignore[attr-defined]
    revoked = server.token("ops-li")
    server.app.tokens.revoke(revoked.split("_")[1], actor="test")
    good = server.token("ops-li")
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for token in (None, "nonsense", expired, revoked, forged, "gct_000000000000_" + "a" * 43):
        with server.client(token, **{"Accept-Language": "zh-CN"}) as http:
            answer = http.get("/providers")
            assert answer.status_code == 401, (token, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.headers["www-authenticate"] == "Bearer"
            problem = answer.json()
            assert problem["code"] == "unauthenticated" and problem["status"] == 401
            assert problem["detail"] == problem["message_zh"] and problem["message_en"]
    assert _denials(server, "authn.denied") == []  # reads are not audited
    with server.client("nonsense") as http:
        assert http.post("/bills/2026-03/run").status_code == 401
    assert [e.subject for e in _denials(server, "authn.denied")] == [
        "http/POST /api/v1/bills/2026-03/run"
    ]
    with server.client(good) as http:
        assert http.get("/whoami").json()["name"] == "ops-li"
        refused = http.post("/bills/2026-01/finalize")
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert [e.payload["action"] for e in _denials(server, "authz.denied")] == ["bill.finalize"]


def test_impersonation_is_a_permission_recorded_with_both_names(server: Server) -> None:
    apply_estate(server.app)
    ops, dept = server.token("ops-li"), server.token("hrss-wang")
    with server.client(dept, **{"Impersonate-User": "ops-li"}) as http:
        assert http.get("/whoami").status_code == 403  # a department may not impersonate
    with server.client(ops, **{"Impersonate-User": "bdb-zhang"}) as http:
        refused = http.get("/whoami")
        assert refused.status_code == 403 and "approver" in refused.json()["message_en"]
    with server.client(ops, **{"Impersonate-User": "hrss-wang"}) as http:
        me = http.get("/whoami").json()
        assert (me["name"], me["impersonator"], me["tenant"]) == ("hrss-wang", "ops-li", OWN)
        assert http.get(f"/resources?tenant={OTHER}").status_code == 403
        applied = http.post("/requests", json=_m("portal", OWN))
        assert applied.status_code == 200, applied.text
    recorded = [e.payload for e in _denials(server, "principal.impersonate")]
    assert {"impersonator": "ops-li", "as": "hrss-wang", "action": "request.apply"} in recorded


def test_department_token_reads_nothing_of_another_tenant(server: Server) -> None:
    apply_estate(server.app)
    _fixture(server.app)
    with server.client(server.token("hrss-wang")) as http:
        listed = http.get("/requests").json()
        assert {r["tenant"] for r in listed["items"]} == {OWN}
        assert [t["code"] for t in http.get("/tenants").json()["items"]] == [OWN]
        for path in (f"/requests?tenant={OTHER}", f"/tenants/{OTHER}", f"/resources?tenant={OTHER}",
                     f"/drift?tenant={OTHER}", f"/policy/violations?tenant={OTHER}",
                     f"/waivers?tenant={OTHER}", f"/bills/2026-03?tenant={OTHER}",
                     f"/bills/2026-03/export?format=csv&tenant={OTHER}",
                     f"/policy/reports/portal?tenant={OTHER}"):  # fmt: skip
            assert http.get(path).status_code == 403, path


def test_located_errors_limits_and_pages(server: Server) -> None:
    apply_estate(server.app)
    with server.client(server.token("ops-li")) as http:
        bad = http.post("/plans", json={"manifest": "kind: SystemRequest\nmetadata: 3\n",
                                         "source": "bad.yaml"})  # fmt: skip
        assert bad.status_code == 422 and bad.json()["exit_code"] == 2
        assert all(d.startswith("bad.yaml:") for d in bad.json()["details"]), bad.json()
        big = http.post("/plans", json={"manifest": "x" * 70_000, "source": "big.yaml"})
        assert big.status_code == 413
        assert http.get("/resources?limit=0").json()["code"] == "invalid"
        first = http.get("/providers?limit=1").json()
        assert first["total"] == 2 and first["continue"]
        second = http.get(f"/providers?limit=1&continue={first['continue']}").json()
        assert second["continue"] is None
        assert [first["items"][0]["name"], second["items"][0]["name"]] == sorted(
            ["prov-sim", "city-a-sim"]
        )


def test_committed_openapi_document_is_current() -> None:
    assert OPENAPI_FILE.read_text(encoding="utf-8") == openapi_document(), (
        "regenerate: python -c 'from controlplane.api import *; "
        "OPENAPI_FILE.write_text(openapi_document())'"
    )
