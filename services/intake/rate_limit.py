"""Per-client rate limiting and a cap on requests in flight, as plain ASGI middleware.

A client is its ``x-api-key`` header (other services) or its address (patients' apps).
Over its token bucket it gets 429 with Retry-After; when intake already has
``max_in_flight`` requests in progress every new one gets 503 with Retry-After at once,
so a flood cannot pile up unbounded work and memory. Health, readiness and metrics
routes are never limited (orchestrators and Prometheus must always get through).
"""

from __future__ import annotations

import math
import time
from typing import Any

import msgspec

from services.http_edge.problems import PROBLEM_JSON, Problem
from services.intake.domain.token_bucket import TokenBuckets

ASGIApp = Any  # plain ASGI callables: (scope, receive, send)
Scope = dict[str, Any]
Receive = Any
Send = Any

_encode = msgspec.json.Encoder().encode
UNLIMITED = ("/healthz", "/readyz", "/metrics", "/openapi.json")


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, buckets: TokenBuckets, max_in_flight: int) -> None:
        self.app = app
        self.buckets = buckets
        self.max_in_flight = max_in_flight
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED:
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(self._client(scope), time.monotonic())
        if wait > 0:
            await _reject(
                send,
                429,
                f"too many requests from this client: retry after {math.ceil(wait)} s",
                math.ceil(wait),
            )
            return
        if self.in_flight >= self.max_in_flight:
            await _reject(send, 503, "intake is at capacity: retry shortly with the same submission_id", 1)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    @staticmethod
    def _client(scope: Scope) -> str:
        for name, value in scope.get("headers", ()):
            if name == b"x-api-key" and value:
                return "key:" + bytes(value[:128]).decode("latin-1")
        client = scope.get("client")
        return "addr:" + (str(client[0]) if client else "unknown")


async def _reject(send: Send, status: int, detail: str, retry_after: int) -> None:
    title = "Too Many Requests" if status == 429 else "Service Unavailable"
    body = _encode(Problem(title=title, status=status, detail=detail))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(max(1, retry_after)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
