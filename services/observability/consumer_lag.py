"""``triage_consumer_lag_records{service,topic,partition}`` for faust services, read at scrape time.

Lag of a partition = the broker's high watermark (offset of the next record to be written,
as the consumer last saw it in a fetch response) minus the group's committed offset (the
next record the group will read). Both come from faust's consumer: ``highwater(tp)`` and
``_committed_offset[tp]`` (faust keeps no public accessor for the latter). Partitions with
no committed offset yet or no fetch yet are left out rather than guessed.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

METRIC = "triage_consumer_lag_records"


@dataclass(frozen=True)
class LagSample:
    topic: str
    partition: int
    lag: int


def partition_lags(consumer: Any, namespace: str = "") -> list[LagSample]:
    """Lag per assigned partition; topic names without the ``<namespace>.`` prefix."""
    prefix = f"{namespace}." if namespace else ""
    committed_offsets = getattr(consumer, "_committed_offset", {})
    samples = []
    try:
        assigned = consumer.assignment()
    except Exception:  # no underlying client yet (worker starting or stopping)
        return []
    for tp in sorted(assigned):
        committed = committed_offsets.get(tp)  # .get: it is a defaultdict, do not insert
        try:
            highwater = consumer.highwater(tp)
        except Exception:  # partition revoked between assignment() and now
            continue
        if committed is None or highwater is None:
            continue
        topic = tp.topic[len(prefix) :] if prefix and tp.topic.startswith(prefix) else tp.topic
        samples.append(LagSample(topic, tp.partition, max(0, int(highwater) - int(committed))))
    return samples


class ConsumerLagCollector(Collector):
    """One collector per registry; faust apps register themselves with ``watch``."""

    def __init__(self) -> None:
        self._apps: weakref.WeakKeyDictionary[Any, tuple[str, str]] = weakref.WeakKeyDictionary()
        self._sources: list[tuple[Callable[[], list[LagSample]], str]] = []

    def watch(self, app: Any, service: str, namespace: str) -> None:
        self._apps[app] = (service, namespace)

    def watch_source(self, source: Callable[[], list[LagSample]], service: str) -> None:
        """A consumer outside faust (the queue's input reader) reports its own lag samples."""
        self._sources.append((source, service))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            METRIC,
            "Records not yet consumed, by service, topic and partition.",
            labels=["service", "topic", "partition"],
        )
        for app, (service, namespace) in list(self._apps.items()):
            consumer = getattr(app, "_consumer", None)  # None until the worker starts it
            if consumer is None:
                continue
            for s in partition_lags(consumer, namespace):
                family.add_metric([service, s.topic, str(s.partition)], s.lag)
        for source, service in self._sources:
            for s in source():
                family.add_metric([service, s.topic, str(s.partition)], s.lag)
        yield family

    def describe(self) -> list[GaugeMetricFamily]:
        # Describing keeps registration cheap (no collect() at register time).
        return [GaugeMetricFamily(METRIC, "", labels=["service", "topic", "partition"])]


_collectors: dict[int, ConsumerLagCollector] = {}


def watch_consumer_lag(
    app: Any, service: str, namespace: str = "", registry: CollectorRegistry = REGISTRY
) -> None:
    """Export the consumer lag of faust ``app`` as ``service`` on ``registry``."""
    collector = _collectors.get(id(registry))
    if collector is None:
        collector = _collectors[id(registry)] = ConsumerLagCollector()
        registry.register(collector)
    collector.watch(app, service, namespace)


def watch_lag_source(
    source: Callable[[], list[LagSample]], service: str, registry: CollectorRegistry = REGISTRY
) -> None:
    """Export the lag samples ``source`` returns at scrape time as ``service``'s consumer lag."""
    collector = _collectors.get(id(registry))
    if collector is None:
        collector = _collectors[id(registry)] = ConsumerLagCollector()
        registry.register(collector)
    collector.watch_source(source, service)
