"""The queue worker: a faust app for membership, views and metrics around ``QueueRuntime``."""

from __future__ import annotations

import logging
import os
from typing import Any

import faust
from prometheus_client import REGISTRY

from proto import topics
from services.kafka.faust_app import make_faust_app
from services.observability.consumer_lag import watch_lag_source
from services.observability.gc_pauses import collector_paused, measure_gc_pauses
from services.queue.domain.state import QueueState
from services.queue.input_reader import InputReader
from services.queue.kafka_log import KafkaQueueLog
from services.queue.metrics import BATCH_STAGE, GC_PAUSES
from services.queue.metrics_collector import QueueStateCollector
from services.queue.runtime import QueueRuntime
from services.queue.settings import QueueSettings
from services.queue.snapshot_store import KafkaSnapshotStore
from services.queue.views import register_views

log = logging.getLogger("triage.queue")
TABLE = "queue-state"


def observe(stage: str, seconds: float) -> None:
    """Record how long a batch spent in one stage of the write path (metrics)."""
    BATCH_STAGE.labels(stage).observe(seconds)


def create_app(settings: QueueSettings) -> faust.App:
    """The queue service's faust app; nothing connects until the worker starts."""
    kafka = settings.kafka
    app = make_faust_app("triage-queue", kafka, settings.worker)
    # Never written: faust assigns its changelog partitions 0..7 (= the regions' partitions)
    # to the group's members and routes the views by it. The queue's state is queue.events.
    table = app.Table(TABLE, key_type=bytes, value_type=bytes, partitions=topics.QUEUE_PARTITIONS)
    state = QueueState(policy=settings.policy)
    qlog = KafkaQueueLog(kafka, settings.transactions)
    snapshots = KafkaSnapshotStore(kafka, qlog) if settings.snapshot_every_events > 0 else None
    runtime = QueueRuntime(
        app,
        state,
        qlog,
        InputReader(kafka, settings.batch_max_records, settings.fetch_wait_ms, observe),
        topics.QUEUE_PARTITIONS,
        table.changelog_topic.get_topic_name(),
        settings.fetch_wait_ms,
        snapshots,
        settings.snapshot_every_events,
        settings.snapshot_every_s,
        observe,
    )
    # Snapshots are encoded in a forked child (snapshot_encoder.py) unless told otherwise.
    runtime.committer.snapshots.fork = settings.snapshot_encoder == "fork" and hasattr(os, "fork")

    async def recovered() -> None:
        with collector_paused():  # the rebuilt state survives: collections midway would only re-walk it
            await runtime.on_recovered()
        # The rebuilt state and the libraries live as long as the process: frozen, later full
        # collections skip them (the case records themselves are not tracked at all).
        runtime.heap_settler(force=True)

    table.on_recover(recovered)

    @app.on_partitions_revoked.connect
    async def revoked(sender: Any, revoked: Any, **_: Any) -> None:
        await runtime.on_revoked()

    @app.task
    async def run() -> None:
        await runtime.start()

    measure_gc_pauses(GC_PAUSES)  # a latency tail can be blamed on the collector, or cleared
    # The inputs are read by our own reader, not faust's consumer: export its lag too.
    watch_lag_source(runtime.lag_samples, "queue")
    register_views(app, runtime, TABLE)
    REGISTRY.register(QueueStateCollector(state))
    return app
