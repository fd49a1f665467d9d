"""The ASGI application: authentication in front, the facade behind, JSON both ways.

Every request names its caller with ``Authorization: Bearer <token>`` (a govcloud token,
or a Keystone token when a Keystone is configured) and may act as another principal
with ``Impersonate-User: NAME`` (itself an action of the role table). Errors are
``application/problem+json`` documents carrying the govcloud error ``code``, the CLI's
``exit_code`` and the message in both languages; bodies above ``max_body`` bytes are
refused with 413 before they are read whole. A refused mutation — unauthenticated (401)
or unauthorised (403) — is in the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from controlplane import audit
from controlplane.app import App
from controlplane.errors import GovcloudError, InvalidInput, Unauthenticated
from controlplane.facade import Govcloud
from controlplane.i18n import Lang
from policies import WaiverRefused
from tenants import ManifestError

__all__ = ["API_PREFIX", "IdentityProvider", "Problem", "asgi", "create_api", "server_config"]

API_PREFIX = "/api/v1"
DEFAULT_MAX_BODY = 4 * 1024 * 1024
PROBLEM = "application/problem+json"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class IdentityProvider(Protocol):
    """Turns a bearer credential into the name of an estate principal (or refuses it)."""

    def principal_for(self, credential: str) -> str: ...


@dataclass(frozen=True)
class Problem:
    """An RFC 9457 problem document for one error."""

    status: int
    body: dict[str, Any]

    @classmethod
    def of(cls, exc: GovcloudError, lang: Lang) -> Problem:
        """The document; a refused manifest adds its located ``problems`` and a refused
        waiver its ``reasons`` (zh, en), so a client words them as the CLI does."""
        extra: dict[str, Any] = {}
        if isinstance(exc.source, ManifestError):
            extra["problems"] = [
                {"location": None if p.location is None else {"file": p.location.file,
                 "line": p.location.line, "col": p.location.col},
                 "path": p.path, "message": p.message, "expected": p.expected, "found": p.found}
                for p in exc.source.problems
            ]  # fmt: skip
        if isinstance(exc.source, WaiverRefused):
            extra["reasons"] = [list(pair) for pair in exc.source.reasons]
        return cls(
            exc.http_status,
            {
                **extra,
                "type": f"https://govcloud.io/problems/{exc.code}",
                "title": exc.message_en,
                "status": exc.http_status,
                "detail": exc.describe(lang),
                "code": exc.code,
                "exit_code": exc.exit_code,
                "message_zh": exc.message_zh,
                "message_en": exc.message_en,
                "details": list(exc.details),
            },
        )

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(self.body, self.status, headers=headers, media_type=PROBLEM)


def request_lang(request: Request) -> Lang:
    return "zh" if request.headers.get("accept-language", "").lower().startswith("zh") else "en"


class BodyLimit:
    """Refuse request bodies larger than ``limit`` bytes (declared or streamed) with 413."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self._app = app
        self._limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._limit:
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self._limit:
                raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        problem = Problem.of(
            GovcloudError(
                f"请求体超过 {self._limit} 字节上限",
                f"request body exceeds the limit of {self._limit} bytes",
                http_status=413,
            ),
            "en",
        )
        body = json.dumps(problem.body).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", PROBLEM.encode()),
                                (b"content-length", str(len(body)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    """The request body grew past the size limit while it was being read."""


class Authenticator:
    """Bearer credential → the caller's facade (with impersonation when asked for)."""

    def __init__(self, app: App, providers: tuple[IdentityProvider, ...]) -> None:
        self._app = app
        self._providers = providers

    def __call__(self, request: Request) -> Govcloud:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise Unauthenticated(
                "未认证：需要 Authorization: Bearer 令牌",
                "unauthenticated: an Authorization: Bearer token is required",
            )
        principal = self._principal(credential.strip())
        facade = Govcloud.acting_as(self._app, principal)
        target = request.headers.get("impersonate-user")
        return facade.impersonate(target) if target else facade

    def _principal(self, credential: str) -> str:
        if credential.startswith("gct_") or not self._providers:
            return self._app.tokens.authenticate(credential)
        refusal: GovcloudError | None = None
        for provider in self._providers:
            try:
                return provider.principal_for(credential)
            except Unauthenticated as exc:
                refusal = exc
        assert refusal is not None
        raise refusal


def create_api(
    app: App,
    *,
    identity_providers: tuple[IdentityProvider, ...] = (),
    max_body: int = DEFAULT_MAX_BODY,
) -> FastAPI:
    """The govcloud HTTP API over ``app`` (routes in :mod:`controlplane.api.routes`)."""
    from controlplane.api.routes import router

    api = FastAPI(
        title="govcloud",
        version="1",
        summary="Control plane of a provincial 1+M+N government cloud (政务云).",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    api.state.govcloud_app = app
    api.state.authenticate = Authenticator(app, identity_providers)
    api.include_router(router, prefix=API_PREFIX)

    @api.exception_handler(GovcloudError)
    async def govcloud_error(request: Request, exc: GovcloudError) -> JSONResponse:
        if exc.http_status == 401 and request.method not in _SAFE:
            _audit_unauthenticated(app, request)
        return Problem.of(exc, request_lang(request)).response()

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        located = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        ]
        error = InvalidInput("请求参数无效", "invalid request parameters", details=located)
        return Problem.of(error, request_lang(request)).response()

    wrapped: Any = api
    outer = BodyLimit(wrapped, max_body)
    api.state.asgi = outer
    return api


def server_config(
    api: FastAPI, host: str, port: int, *, cert: str | None = None, key: str | None = None
) -> Any:
    """The uvicorn configuration ``govcloud serve`` runs: TLS when ``cert`` and ``key``."""
    import uvicorn

    if (cert is None) != (key is None):
        raise ValueError("TLS needs both a certificate and its key")
    return uvicorn.Config(
        asgi(api), host=host, port=port, ssl_certfile=cert, ssl_keyfile=key,
        log_level="info", server_header=False,
    )  # fmt: skip


def asgi(api: FastAPI) -> ASGIApp:
    """The application to serve: the API behind its body-size limit."""
    found: ASGIApp = api.state.asgi
    return found


def _audit_unauthenticated(app: App, request: Request) -> None:
    with app.sessions() as session, session.begin():
        audit.append(
            session,
            at=app.clock(),
            actor="anonymous",
            action="authn.denied",
            subject=f"http/{request.method} {request.url.path}",
            payload={"method": request.method, "path": request.url.path},
        )
