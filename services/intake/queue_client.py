"""Intake's questions to the queue service's read views (contract in the README).

Tolerant by design: if the queue is unreachable, slow, or does not have a route,
intake proceeds (admits, does not call it a duplicate) rather than turning patients
away. Region load is cached for ``cache_s`` so a burst of submissions costs one call.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import quote

import httpx

log = logging.getLogger("triage.intake.queue")


class QueueClient:
    def __init__(self, base_url: str, timeout_s: float = 0.5, cache_s: float = 1.0) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout_s)
        self.cache_s = cache_s
        self._load: dict[str, tuple[float, dict[str, Any] | None]] = {}

    async def close(self) -> None:
        await self.http.aclose()

    async def _get(self, path: str) -> tuple[int, Any]:
        """(status, JSON body); (0, None) when the queue cannot be reached or answers garbage."""
        try:
            resp = await self.http.get(path)
            if resp.status_code != 200:  # e.g. 404: not waiting / no such case / route not there yet
                return resp.status_code, None
            return resp.status_code, resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("queue service not reachable (%s); proceeding without its view", type(exc).__name__)
            return 0, None

    async def waiting_case_of(self, region: str, pseudonym: str) -> dict[str, Any] | None:
        """The person's waiting case in the region, or None (not waiting, or not known)."""
        status, body = await self._get(f"/v1/regions/{quote(region)}/persons/{quote(pseudonym)}")
        if status == 200 and isinstance(body, dict) and isinstance(body.get("case_id"), str):
            return body
        return None

    async def region_load(self, region: str) -> dict[str, Any] | None:
        """The queue's ``/v1/regions/{region}/queue`` view, at most ``cache_s`` old; None if unknown."""
        now = time.monotonic()
        cached = self._load.get(region)
        if cached and now - cached[0] < self.cache_s:
            return cached[1]
        status, body = await self._get(f"/v1/regions/{quote(region)}/queue")
        value = body if status == 200 and isinstance(body, dict) else None
        self._load[region] = (now, value)  # bounded: at most the 21 regions
        return value

    async def case(self, region: str, case_id: str) -> tuple[int, Any]:
        """The queue's view of one case: (status, body); status 0 when unreachable."""
        return await self._get(f"/v1/regions/{quote(region)}/cases/{quote(case_id)}")
