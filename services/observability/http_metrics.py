"""An ASGI middleware that counts HTTP requests and times them by ROUTE TEMPLATE.

The route label is the template Litestar matched (``/v1/cases/{case_id}``), never the raw
path, so a case id can never become a label value (bounded cardinality, no identifiers).
"""

from __future__ import annotations

import time
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware.base import DefineMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Histogram

UNMATCHED = "unmatched"


class HttpMetricsMiddleware:
    """Counts ``requests{route,method,status}`` and observes ``latency{route,method}``."""

    def __init__(self, app: ASGIApp, requests: Counter, latency: Histogram) -> None:
        self.app = app
        self.requests = requests
        self.latency = latency
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        route = str(scope.get("path_template") or UNMATCHED)
        method = str(scope.get("method", "GET"))
        status = 500  # if the app raises before it starts a response
        started = time.perf_counter()

        async def send_and_capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_capture)
        finally:
            self._child(self.latency, (route, method)).observe(time.perf_counter() - started)
            self._child(self.requests, (route, method, str(status))).inc()

    def _child(self, metric: Counter | Histogram, labels: tuple[str, ...]) -> Any:
        # ``labels()`` validates and takes a lock on every call; route templates, methods and
        # statuses are a small closed set, so each child is looked up once
        child = self._children.get((id(metric), labels))
        if child is None:
            child = self._children[(id(metric), labels)] = metric.labels(*labels)
        return child


def http_metrics(requests: Counter, latency: Histogram) -> DefineMiddleware:
    """The middleware for ``Litestar(middleware=[...])`` with the service's two metrics."""
    kwargs: dict[str, Any] = {"requests": requests, "latency": latency}
    return DefineMiddleware(HttpMetricsMiddleware, **kwargs)
