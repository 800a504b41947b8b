"""The queue worker: a faust agent over triage.events + queue.commands. Thin by design:
decode at the edge, re-route a region that arrived on the wrong partition, ``handle`` in
the domain, persist what changed and wait for it, then send the events (see ``runtime``)."""

from __future__ import annotations

import logging
from typing import Any

import faust
from prometheus_client import REGISTRY

from proto import codec
from proto import events as ev
from proto import topics
from services.kafka.dead_letters import dead_letter_headers
from services.kafka.faust_app import make_faust_app, raw_topic
from services.kafka.metrics import DEAD_LETTERS
from services.queue.domain.process import handle
from services.queue.domain.state import QueueState
from services.queue.metrics import REROUTED
from services.queue.metrics_collector import QueueStateCollector
from services.queue.partitioning import region_partition
from services.queue.runtime import QueueRuntime
from services.queue.settings import QueueSettings
from services.queue.views import register_views

log = logging.getLogger("triage.queue")
_INPUT = codec.Decoder[Any](ev.TRIAGE_EVENT | ev.QUEUE_COMMAND | ev.TransferIn)
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
    runtime = QueueRuntime(app, table, state, outputs, events_topic, topics.QUEUE_PARTITIONS)
    table.on_recover(runtime.on_recovered)

    async def dead_letter(event: faust.EventT, error: str) -> None:
        tp = event.message
        log.warning("dead-lettered %s/%s@%s: %s", tp.topic, tp.partition, tp.offset, error)
        DEAD_LETTERS.labels(_contract_name(tp.topic, kafka.namespace), "decode_error").inc()
        await dlqs[tp.topic].send(key=event.key, value=event.value,
                                  headers=dead_letter_headers(error, tp.topic, tp.partition, tp.offset,
                                                              _headers(event)))

    @app.agent(inputs)
    async def process(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            tp = event.message
            try:
                message = _INPUT.decode(event.value)
            except codec.DecodeError as exc:
                await dead_letter(event, str(exc))
                continue
            region = message.region
            if region_partition(region, topics.QUEUE_PARTITIONS) != tp.partition:
                # Written by a producer with another partitioner: forward it to the region's
                # partition, so that exactly one heap (one worker) holds each region.
                await runtime.reroute(event, region, _headers(event))
                REROUTED.labels(_contract_name(tp.topic, kafka.namespace)).inc()
                continue
            try:
                outcome = handle(state, message, ev.utcnow())
            except Exception as exc:  # a bug must not stop the region's queue; keep the record
                log.exception("could not process %s/%s@%s", tp.topic, tp.partition, tp.offset)
                await dead_letter(event, f"processing error: {type(exc).__name__}: {exc}")
                continue
            await runtime.persist(region)  # durable first (outbox), then tell the world
            await runtime.emit(outcome)

    register_views(app, runtime, TABLE)
    REGISTRY.register(QueueStateCollector(state))
    return app


def _contract_name(topic: str, namespace: str) -> str:
    return topic[len(namespace) + 1:] if namespace and topic.startswith(namespace + ".") else topic


def _headers(event: faust.EventT) -> list[tuple[str, bytes]]:
    raw = event.headers or {}
    items = raw.items() if isinstance(raw, dict) else raw
    return [(str(k), bytes(v)) for k, v in items]
