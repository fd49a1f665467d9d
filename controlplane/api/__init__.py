"""The HTTP API: ``/api/v1/…`` over the facade, served by ``govcloud serve``.

Owns authentication in front of the facade (bearer tokens, Keystone), the routes, the
problem+json error documents, request size limits and the committed OpenAPI document
(``openapi.json`` beside this file; :func:`openapi_document` regenerates it). Imports
the facade and the services' result types only to encode them — never services,
sessions or drivers — and never the CLI or ``textual``.
"""

from __future__ import annotations

import json
from pathlib import Path

from controlplane.api.server import (
    API_PREFIX,
    IdentityProvider,
    Problem,
    asgi,
    create_api,
    server_config,
)

__all__ = [
    "API_PREFIX",
    "OPENAPI_FILE",
    "IdentityProvider",
    "Problem",
    "asgi",
    "create_api",
    "openapi_document",
    "server_config",
]

OPENAPI_FILE = Path(__file__).with_name("openapi.json")


def openapi_document() -> str:
    """The API's OpenAPI document as committed (stable key order, trailing newline)."""
    from controlplane.app import App
    from controlplane.config import Settings

    api = create_api(App(Settings.for_home(Path("/nonexistent-govcloud-home"))))
    return json.dumps(api.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
