"""The queue worker: a faust agent over triage.events + queue.commands. Thin by design:
each record goes through ``RecordPipeline`` (decode, re-route, ``handle`` in the domain,
persist, then send); ``QueueRuntime`` holds the table, outputs and recovery."""

from __future__ import annotations

import logging
from typing import Any

import faust
from prometheus_client import REGISTRY

from proto import topics
from services.kafka.faust_app import make_faust_app, raw_topic
from services.queue.domain.state import QueueState
from services.queue.metrics_collector import QueueStateCollector
from services.queue.records import RecordPipeline
from services.queue.runtime import QueueRuntime
from services.queue.settings import QueueSettings
from services.queue.views import register_views

log = logging.getLogger("triage.queue")
TABLE = "queue-state"


def create_app(settings: QueueSettings) -> faust.App:
    """The queue service's faust app; nothing connects until the worker starts."""
    kafka = settings.kafka
    app = make_faust_app(
        "triage-queue", kafka, web_host=settings.web_host, web_port=settings.web_port,
        data_dir=settings.data_dir, session_timeout_s=settings.session_timeout_s,
        heartbeat_interval_s=settings.heartbeat_interval_s,
    )
    # One entry per case (c/<region>/<case_id>) and per recent command answer
    # (a/<region>/<request_id>); faust writes each change to the changelog partition of
    # the record being processed, i.e. the region's partition (co-partitioning).
    table = app.Table(TABLE, key_type=bytes, value_type=bytes, partitions=topics.QUEUE_PARTITIONS)
    events_topic = kafka.topic(topics.TRIAGE_EVENTS.name)
    commands_topic = kafka.topic(topics.QUEUE_COMMANDS.name)
    inputs = raw_topic(app, events_topic, commands_topic)
    outputs = {
        "events": raw_topic(app, kafka.topic(topics.QUEUE_EVENTS.name)),
        "your_turn": raw_topic(app, kafka.topic(topics.QUEUE_YOUR_TURN.name)),
        "commands": raw_topic(app, commands_topic),
        "contacts": raw_topic(app, kafka.topic(topics.PATIENT_CONTACTS.name)),
    }
    dlqs = {
        kafka.topic(t.name): raw_topic(app, kafka.topic(t.dlq().name))
        for t in (topics.TRIAGE_EVENTS, topics.QUEUE_COMMANDS)
    }
    state = QueueState(policy=settings.policy)
    runtime = QueueRuntime(app, table, state, outputs, (events_topic, commands_topic), topics.QUEUE_PARTITIONS)
    table.on_recover(runtime.on_recovered)
    pipeline = RecordPipeline(runtime, dlqs, kafka)

    @app.agent(inputs)
    async def process(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            tp = event.message
            await pipeline.on_record(tp.topic, tp.partition, tp.offset, event.key, event.value, _headers(event))

    @app.timer(interval=2.0)
    async def fill_gaps() -> None:
        if not app.rebalancing:
            await pipeline.check_gaps()

    register_views(app, runtime, TABLE)
    REGISTRY.register(QueueStateCollector(state))
    return app


def _headers(event: faust.EventT) -> list[tuple[str, bytes]]:
    raw = event.headers or {}
    items = raw.items() if isinstance(raw, dict) else raw
    return [(str(k), bytes(v)) for k, v in items]
