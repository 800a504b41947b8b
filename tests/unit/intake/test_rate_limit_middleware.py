"""The rate-limit middleware in front of intake's routes, driven directly as an ASGI callable (no server)."""

from __future__ import annotations

import asyncio
from typing import Any

from services.intake.domain.token_bucket import TokenBuckets
from services.intake.rate_limit import RateLimitMiddleware


def scope(path: str = "/v1/triage", key: bytes = b"k1") -> dict[str, Any]:
    return {"type": "http", "path": path, "headers": [(b"x-api-key", key)], "client": ("10.0.0.1", 1)}


async def call(mw: RateLimitMiddleware, sc: dict[str, Any]) -> tuple[int, dict[bytes, bytes]]:
    sent: list[dict[str, Any]] = []

    async def send(event: dict[str, Any]) -> None:
        sent.append(event)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    await mw(sc, receive, send)
    start = sent[0]
    return start["status"], dict(start["headers"])


def test_over_the_rate_a_client_gets_429_problem_json_with_retry_after() -> None:
    async def ok_app(sc: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    mw = RateLimitMiddleware(ok_app, TokenBuckets(rate=0.5, burst=2), max_in_flight=10)

    async def go() -> list[tuple[int, dict[bytes, bytes]]]:
        return [await call(mw, scope()) for _ in range(3)] + [
            await call(mw, scope(key=b"k2")),
            await call(mw, scope("/healthz")),
        ]

    results = asyncio.run(go())
    assert [s for s, _ in results] == [200, 200, 429, 200, 200]
    headers = results[2][1]
    assert headers[b"retry-after"] == b"2" and headers[b"content-type"] == b"application/problem+json"


def test_beyond_the_in_flight_cap_new_requests_get_503_at_once() -> None:
    release = asyncio.Event

    async def go() -> tuple[int, int]:
        gate = release()

        async def slow_app(sc: Any, receive: Any, send: Any) -> None:
            await gate.wait()
            await send({"type": "http.response.start", "status": 202, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        mw = RateLimitMiddleware(slow_app, TokenBuckets(rate=100, burst=100), max_in_flight=1)
        first = asyncio.create_task(call(mw, scope()))
        await asyncio.sleep(0)
        second, _ = await call(mw, scope(key=b"other"))
        gate.set()
        return (await first)[0], second

    assert asyncio.run(go()) == (202, 503)
