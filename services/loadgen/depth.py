"""Queue depth over time: from the events this run saw, and (optionally) from the queue's
own ``GET /v1/regions/{region}/queue`` view, summed over the regions with queues."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from services.loadgen.ledger import Ledger


class DepthSampler:
    def __init__(
        self, ledger: Ledger, queue_url: str | None, regions: tuple[str, ...], interval_s: float = 0.5
    ) -> None:
        self.ledger = ledger
        self.queue_url = queue_url
        self.regions = regions
        self.interval_s = interval_s
        self.samples: list[dict[str, object]] = []  # {t, by_urgency: {u: n}, http_waiting: n|None}
        self.http_failures = 0

    async def run(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while True:
                started = time.monotonic()
                http_waiting = await self._http_waiting(session) if self.queue_url else None
                self.samples.append(
                    {
                        "t": round(time.monotonic() - self.ledger.t0, 3),
                        "by_urgency": {str(u): max(0, self.ledger.waiting[u]) for u in range(1, 6)},
                        "http_waiting": http_waiting,
                    }
                )
                await asyncio.sleep(max(0.0, self.interval_s - (time.monotonic() - started)))

    async def _http_waiting(self, session: aiohttp.ClientSession) -> int | None:
        async def one(region: str) -> int:
            async with session.get(f"{self.queue_url}/v1/regions/{region}/queue") as resp:
                body = await resp.json(content_type=None)
                return int(body.get("waiting", 0))

        try:
            return sum(await asyncio.gather(*(one(r) for r in self.regions)))
        except (TimeoutError, aiohttp.ClientError, ValueError):
            self.http_failures += 1
            return None
