"""A real uvicorn server on 127.0.0.1 (random port) over the test ``app``, and tokens."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import uvicorn

from controlplane.api import IdentityProvider, create_api, server_config
from controlplane.app import App


@dataclass
class Server:
    url: str
    app: App

    def client(self, token: str | None = None, **headers: str) -> httpx.Client:
        sent = dict(headers)
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return httpx.Client(base_url=f"{self.url}/api/v1", headers=sent, timeout=30)

    def token(self, principal: str, ttl: timedelta | None = timedelta(days=1)) -> str:
        return self.app.tokens.create(principal, expires_in=ttl, actor="test-setup").token


def run_server(
    app: App,
    max_body: int = 64 * 1024,
    providers: tuple[IdentityProvider, ...] = (),
    tls: tuple[str, str] | None = None,
) -> Iterator[Server]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    api = create_api(app, max_body=max_body, identity_providers=providers)
    cert, key = tls if tls else (None, None)
    config = server_config(api, "127.0.0.1", port, cert=cert, key=key)
    config.log_level = "warning"
    config.access_log = False
    # uvicorn configured its loggers at "info" when the config was built, with handlers on
    # the stderr of that moment (a test's capture, closed later): keep them quiet
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield Server(f"{'https' if tls else 'http'}://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def server(app: App) -> Iterator[Server]:
    yield from run_server(app)
