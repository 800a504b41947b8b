"""The staff API's client of the queue's owner-routed read views (cluster-internal HTTP).

The queue's views are typed in ``proto/views.py``: an answer is decoded straight into those
Structs, so an answer of another shape is treated like a queue that is away.
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
import msgspec

from proto.views import RegionOpeningHours, WaitingList

View = TypeVar("View", bound=msgspec.Struct)


class QueueViews:
    """GETs against the queue service (and the forecaster)."""

    def __init__(self, base_url: str, timeout_s: float, forecast_url: str = "http://127.0.0.1:8086") -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s)
        # a what-if runs the futures there: it may take seconds on a big region
        self._forecasts = httpx.AsyncClient(base_url=forecast_url, timeout=max(timeout_s, 30.0))

    async def _view(self, path: str, view: type[View], params: dict[str, int] | None = None) -> View | None:
        """The queue's view at ``path``; None when the queue is away, recovering or answers otherwise."""
        try:
            resp = await self._client.get(path, params=params or {})
            return msgspec.json.decode(resp.content, type=view) if resp.status_code == 200 else None
        except (httpx.HTTPError, msgspec.DecodeError):
            return None

    async def waiting(self, region: str, offset: int, limit: int) -> WaitingList | None:
        """A page of the region's waiting list (``GET /v1/regions/{region}/waiting``)."""
        return await self._view(
            f"/v1/regions/{region}/waiting", WaitingList, {"offset": offset, "limit": limit}
        )

    async def opening_hours(self, region: str) -> RegionOpeningHours | None:
        """The region's hours as the queue decides with them (``GET /v1/regions/{region}/opening-hours``)."""
        return await self._view(f"/v1/regions/{region}/opening-hours", RegionOpeningHours)

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
