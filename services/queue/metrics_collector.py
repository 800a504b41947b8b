"""Queue depth gauges computed at scrape time from the live heaps (no per-event gauge updates)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.observability.region_label import region_label
from services.queue.domain.region_queue import URGENCIES
from services.queue.domain.state import QueueState


class QueueStateCollector(Collector):
    """``triage_queue_waiting_cases`` and ``triage_queue_oldest_wait_seconds`` {region,urgency}."""

    def __init__(self, state: QueueState) -> None:
        self.state = state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = time.time()
        waiting = GaugeMetricFamily(
            "triage_queue_waiting_cases",
            "Cases waiting, by region and urgency.",
            labels=["region", "urgency"],
        )
        oldest = GaugeMetricFamily(
            "triage_queue_oldest_wait_seconds",
            "Age of the oldest waiting case, by region and urgency.",
            labels=["region", "urgency"],
        )
        depth: dict[tuple[str, str], int] = {}
        age: dict[tuple[str, str], float] = {}
        for region, rs in self.state.regions.items():
            for urgency in URGENCIES:
                # bounded label: a region outside the 21 is summed into `other`
                key = (region_label(region), str(urgency))
                depth[key] = depth.get(key, 0) + rs.queue.depth(urgency)
                at = rs.queue.oldest_queued_at(urgency)
                age[key] = max(age.get(key, 0.0), 0.0 if at is None else max(0.0, now - at))
        for key in sorted(depth):
            waiting.add_metric(list(key), depth[key])
            oldest.add_metric(list(key), age[key])
        yield waiting
        yield oldest
