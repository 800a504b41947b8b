"""Queue depth gauges computed at scrape time from the live heaps (no per-event gauge updates)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.queue.domain.region_queue import URGENCIES
from services.queue.domain.state import QueueState


class QueueStateCollector(Collector):
    """``triage_queue_waiting_cases{region,urgency}`` from the in-memory state."""

    def __init__(self, state: QueueState) -> None:
        self.state = state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        waiting = GaugeMetricFamily(
            "triage_queue_waiting_cases", "Cases waiting, by region and urgency.", labels=["region", "urgency"]
        )
        for region, queue in sorted(self.state.regions.items()):
            for urgency in URGENCIES:
                waiting.add_metric([region, str(urgency)], queue.depth(urgency))
        yield waiting
