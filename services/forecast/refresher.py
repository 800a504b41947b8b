"""Refreshing each region's forecast when the tracker says it is due, off the event loop.

The futures run in a worker thread (``asyncio.to_thread``): the queue.events tail keeps
reading while a region is forecast. Their inputs are copied out of the tracker first, on
the loop, so the thread never sees the fold change under it. Each forecast is published on
queue.forecasts (keyed by region) and kept as the latest for the HTTP view.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

import msgspec

from proto import events as ev
from proto import topics
from services.forecast import metrics
from services.forecast.domain.forecast import RegionForecast, forecast_region
from services.forecast.domain.futures import Inputs
from services.forecast.domain.plan import WhatIf
from services.forecast.domain.tracker import Tracker
from services.forecast.domain.wire import to_event
from services.forecast.settings import ForecastSettings
from services.kafka.publisher import Publisher
from services.observability.region_label import region_label

log = logging.getLogger("triage.forecast")


class Refresher:
    def __init__(self, settings: ForecastSettings, tracker: Tracker, publisher: Publisher) -> None:
        self.settings = settings
        self.tracker = tracker
        self.publisher = publisher
        self.wake = asyncio.Event()
        self.latest: dict[str, ev.WaitForecast] = {}
        self._full: dict[str, ev.WaitForecast] = {}  # the last forecast with its breach forecast

    def inputs(self, region: str, now: dt.datetime, what_if: WhatIf | None = None) -> Inputs:
        """The region's inputs as of now, copied out of the tracker."""
        t = self.tracker
        hours = t.state.hours_of(region)
        return t.history(region, now).inputs(t.state.region(region), now, hours, t.fallback_per_hour, what_if)

    async def forecast(
        self, inputs: Inputs, horizon_s: float | None = None, scheduled: bool = False
    ) -> RegionForecast:
        """Run the futures in a worker thread; record the CPU they took (``scheduled``: a
        refresh, whose cost spaces the region's next event-driven one; a what-if's does not)."""
        s = self.settings
        horizon = s.horizon_s if horizon_s is None else horizon_s

        def work() -> tuple[RegionForecast, float]:
            started = time.thread_time()
            f = forecast_region(inputs, runs=s.runs, seed=s.seed, horizon_s=horizon)
            return f, time.thread_time() - started

        f, cpu = await asyncio.to_thread(work)
        metrics.REFRESH_CPU.observe(cpu)
        if scheduled:
            self.tracker.took(inputs.region, cpu)
        return f

    async def refresh(self, region: str) -> None:
        """A full forecast once a minute; between, after a call or an arrival, only the cases' ranges.

        The breach forecast needs futures over the whole horizon (8 h of arrivals: most of the
        cost in a big region); the ranges only until the last waiting case is called. So an
        event-driven refresh runs the short futures and carries the last breach forecast over.
        """
        now = dt.datetime.now(dt.UTC)
        last = self.latest.get(region)
        full = last is None or (now - last.as_of).total_seconds() >= self.settings.every_s - 1.0
        if full or last is None:
            event = to_event(
                await self.forecast(self.inputs(region, now), scheduled=True), now, self.settings.seed
            )
            self._full[region] = event
        else:
            short = to_event(
                await self.forecast(self.inputs(region, now), horizon_s=0.0, scheduled=True),
                now,
                self.settings.seed,
            )
            kept = self._full.get(region, last)
            event = msgspec.structs.replace(
                short, breaches=kept.breaches, horizon_seconds=kept.horizon_seconds
            )
        await self.publisher.publish(topics.QUEUE_FORECASTS, region, event)
        self.latest[region] = event
        _export(event)

    async def run(self) -> None:
        """Refresh due regions forever; sleep until the next is due or an event wakes us."""
        while True:
            for region in self.tracker.due(time.time()):
                self.tracker.started(region, time.time())
                try:
                    await self.refresh(region)
                    metrics.REFRESHES.labels("ok").inc()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # one region's failure must not stop the others
                    metrics.REFRESHES.labels("failed").inc()
                    log.warning("forecast of %s failed: %s: %s", region, type(exc).__name__, exc)
            nxt = self.tracker.next_due()
            wait = self.settings.every_s if nxt is None else max(0.05, nxt - time.time())
            try:
                await asyncio.wait_for(self.wake.wait(), min(wait, self.settings.every_s))
            except TimeoutError:
                pass
            self.wake.clear()


def _export(event: ev.WaitForecast) -> None:
    region = region_label(event.region)
    metrics.REFRESHED_AT.labels(region).set(event.as_of.timestamp())
    for b in event.breaches:
        metrics.BREACH_PROBABILITY.labels(region, str(b.urgency)).set(b.probability)
        metrics.BREACH_IN.labels(region, str(b.urgency)).set(
            -1 if b.expected_in_seconds is None else b.expected_in_seconds
        )
    for u in range(1, 6):
        p90 = [c.p90_seconds for c in event.cases if c.urgency == u and c.p90_seconds is not None]
        metrics.WAIT_P90.labels(region, str(u)).set(max(p90, default=0.0))
