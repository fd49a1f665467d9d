"""``/healthz``, ``/readyz`` and ``/metrics`` of a ``govcloud serve`` process.

``/healthz`` answers 200 while the process serves HTTP (a liveness probe: restart me if
not). ``/readyz`` answers 200 only when the database answers at the schema this govcloud
needs and, with jobs on, the replica's loops are running — 503 with the reason
otherwise (a readiness probe: send me no traffic). ``/metrics`` is the replica's
Prometheus registry. None of them needs a token and none is in the API's OpenAPI document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from controlplane.app import App
from controlplane.errors import GovcloudError

if TYPE_CHECKING:
    from controlplane.scheduler.daemon import Replica

__all__ = ["mount_probes"]


def mount_probes(api: FastAPI, app: App, replica: Replica | None) -> None:
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    def readyz() -> JSONResponse:
        problems: list[str] = []
        try:
            app.ready()
        except GovcloudError as exc:
            problems.append(exc.message_en)
        except Exception as exc:  # the database cannot be reached
            problems.append(f"database: {type(exc).__name__}")
        if replica is not None and not replica.alive:
            problems.append("the job loops are not running")
        if problems:
            return JSONResponse({"status": "not ready", "problems": problems}, status_code=503)
        leading = bool(replica and replica.leading)
        return JSONResponse({"status": "ready", "replica": replica.name if replica else None,
                             "leader": leading})  # fmt: skip

    def metrics() -> Response:
        from controlplane.scheduler.metrics import CONTENT_TYPE, ServeMetrics

        registry = replica.metrics if replica is not None else ServeMetrics()
        return Response(registry.render(), media_type=CONTENT_TYPE)

    api.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    api.add_api_route("/readyz", readyz, methods=["GET"], include_in_schema=False)
    api.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
