"""Calling a running staff API with tokens from the stack's own dev issuer."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.stack import Stack


def token(stack: Stack, sub: str, role: str, *regions: str, **mint: Any) -> str:
    """A token the stack's staff service trusts."""
    return stack.dev_issuer.mint(sub, [role], list(regions), **mint)


def call(
    stack: Stack,
    method: str,
    path: str,
    bearer: str | None = None,
    body: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> httpx.Response:
    """One HTTP call to the staff API (no raise on 4xx/5xx)."""
    headers = {"authorization": f"Bearer {bearer}"} if bearer else {}
    return httpx.request(
        method, stack.url("staff") + path, json=body, params=params, headers=headers, timeout=20
    )


def is_problem(resp: httpx.Response, status: int) -> bool:
    """True when ``resp`` is an RFC 9457 problem with ``status``."""
    return (
        resp.status_code == status
        and resp.headers["content-type"].startswith("application/problem+json")
        and resp.json()["status"] == status
    )
