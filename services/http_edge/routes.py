"""The routes every HTTP service answers besides its own: /healthz, /readyz, /metrics, /openapi.json."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme
from prometheus_client import REGISTRY, generate_latest

# Litestar appends "; charset=utf-8" to text/* itself: prometheus_client's CONTENT_TYPE_LATEST
# already carries one, and Prometheus 3 refuses a Content-Type with two. What goes out is
# "text/plain; version=1.0.0; charset=utf-8", the same as the faust services' /metrics.
METRICS_MEDIA_TYPE = "text/plain; version=1.0.0"

OpenApiEdit = Callable[[dict[str, Any]], dict[str, Any]]


def edge_routes(ready_means: str, openapi: OpenApiEdit | bool = True) -> list[HTTPRouteHandler]:
    """Fresh handlers of the edge routes (one set per app).

    ``ready_means``: what /readyz's 200 says about the service (its OpenAPI description); the
    app sets ``state.ready``. ``openapi``: serve /openapi.json (a function edits the document
    before it is served), or not.
    """

    @get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @get(
        "/readyz",
        description=f"Readiness: {ready_means}",
        responses={503: ResponseSpec(dict[str, str], description="starting")},
    )
    async def readyz(state: State) -> Response[dict[str, str]]:
        ready = state.get("ready", False)
        return Response({"status": "ready" if ready else "starting"}, status_code=200 if ready else 503)

    @get("/metrics", media_type=METRICS_MEDIA_TYPE, include_in_schema=False)
    async def metrics() -> bytes:
        """Prometheus metrics of this process."""
        return generate_latest(REGISTRY)

    @get("/openapi.json", include_in_schema=False)
    async def openapi_json(request: Request[Any, Any, Any]) -> dict[str, Any]:
        """The OpenAPI 3.1 document, generated from the code."""
        schema = request.app.openapi_schema.to_schema()
        return openapi(schema) if callable(openapi) else schema

    return [healthz, readyz, metrics, *([openapi_json] if openapi else [])]


def openapi_config(title: str, description: str, schemes: dict[str, SecurityScheme]) -> OpenAPIConfig:
    """The OpenAPI document's head: the service's title, what it is, and how callers prove who they are."""
    return OpenAPIConfig(
        title=title,
        version="1.0.0",
        description=description,
        components=Components(security_schemes=dict(schemes)),
    )
