"""What the faust services' web views share: /healthz, /readyz, and JSON answers.

Their /metrics page is faust's own Prometheus sensor (``services/kafka/faust_app.py``): it sends
prometheus_client's ``CONTENT_TYPE_LATEST`` as it is, one charset, the same Content-Type as the
Litestar services (``services/http_edge/routes.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust
import msgspec
from faust.web import Request, Response, View

Readiness = Callable[[], dict[str, Any] | None]


def answer(view: View, body: Any, status: int = 200) -> Response:
    """A JSON answer; ``body`` may be a msgspec Struct (a typed read view in proto/views.py)."""
    return view.json(msgspec.to_builtins(body), status=status)


def refuse(view: View, error: str, status: int) -> Response:
    """A JSON error answer, ``{"error": ...}``: what is wrong and what to do."""
    return view.json({"error": error}, status=status)


def register_health(app: faust.App, readiness: Readiness, waiting: str) -> None:
    """``/healthz`` (the process answers) and ``/readyz``: 200 with ``readiness()``'s body once it
    returns one, until then 503 ``{"status": waiting}``."""

    @app.page("/healthz")
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    @app.page("/readyz")
    class Ready(View):
        async def get(self, request: Request) -> Response:
            body = readiness()
            if body is None:
                return self.json({"status": waiting}, status=503)
            return self.json(body)
