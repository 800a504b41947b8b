"""The staff API's client of the queue's owner-routed read views (cluster-internal HTTP)."""

from __future__ import annotations

from typing import Any

import httpx


class QueueViews:
    """GETs against the queue service (and the forecaster); answers (status, JSON body) or (503, None) when it is away."""

    def __init__(self, base_url: str, timeout_s: float, forecast_url: str = "http://127.0.0.1:8086") -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s)
        # a what-if runs the futures there: it may take seconds on a big region
        self._forecasts = httpx.AsyncClient(base_url=forecast_url, timeout=max(timeout_s, 30.0))

    async def waiting(self, region: str, offset: int, limit: int) -> tuple[int, Any]:
        """A page of the region's waiting list (``GET /v1/regions/{region}/waiting``)."""
        try:
            resp = await self._client.get(
                f"/v1/regions/{region}/waiting", params={"offset": offset, "limit": limit}
            )
            return resp.status_code, resp.json()
        except (httpx.HTTPError, ValueError):
            return 503, None

    async def opening_hours(self, region: str) -> tuple[int, Any]:
        """The region's hours as the queue decides with them (``GET /v1/regions/{region}/opening-hours``)."""
        try:
            resp = await self._client.get(f"/v1/regions/{region}/opening-hours")
            return resp.status_code, resp.json()
        except (httpx.HTTPError, ValueError):
            return 503, None

    async def forecast(self, region: str, params: dict[str, str] | None = None) -> tuple[int, Any]:
        """The region's forecast from the forecaster (``GET /v1/regions/{region}/forecast``),
        a what-if with ``params`` (extra, from); (503, None) when it is away."""
        try:
            resp = await self._forecasts.get(f"/v1/regions/{region}/forecast", params=params or {})
            return resp.status_code, resp.json()
        except (httpx.HTTPError, ValueError):
            return 503, None

    async def close(self) -> None:
        await self._forecasts.aclose()
        await self._client.aclose()
