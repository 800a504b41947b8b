"""The queue worker: a faust agent over triage.events + queue.commands. Thin by design:
decode at the edge, ``decide`` in the domain, ``evolve`` the state, send what it returns."""

from __future__ import annotations

import logging
from typing import Any

import faust

from proto import codec
from proto import events as ev
from proto import topics
from services.kafka.dead_letters import dead_letter_headers
from prometheus_client import REGISTRY

from services.kafka.metrics import DEAD_LETTERS
from services.kafka.faust_app import make_faust_app, raw_topic
from services.queue.domain.decide import decide
from services.queue.domain.state import QueueState, evolve
from services.queue.metrics import EVENTS
from services.queue.metrics_collector import QueueStateCollector
from services.queue.settings import QueueSettings
from services.queue.views import register_views

log = logging.getLogger("triage.queue")
SOURCE = "/triage/queue"
_INPUT = codec.Decoder[Any](ev.TRIAGE_EVENT | ev.QUEUE_COMMAND)


def create_app(settings: QueueSettings) -> faust.App:
    """The queue service's faust app; nothing connects until the worker starts."""
    kafka = settings.kafka
    app = make_faust_app(
        "triage-queue", kafka, web_host=settings.web_host, web_port=settings.web_port,
        data_dir=settings.data_dir, session_timeout_s=settings.session_timeout_s,
        heartbeat_interval_s=settings.heartbeat_interval_s,
    )
    inputs = raw_topic(app, kafka.topic(topics.TRIAGE_EVENTS.name), kafka.topic(topics.QUEUE_COMMANDS.name))
    outputs = {
        "events": raw_topic(app, kafka.topic(topics.QUEUE_EVENTS.name)),
        "your_turn": raw_topic(app, kafka.topic(topics.QUEUE_YOUR_TURN.name)),
    }
    dlqs = {
        kafka.topic(t.name): raw_topic(app, kafka.topic(t.dlq().name))
        for t in (topics.TRIAGE_EVENTS, topics.QUEUE_COMMANDS)
    }
    state = QueueState()

    async def send(message: ev.Message) -> None:
        target = outputs["your_turn"] if isinstance(message, (ev.YourTurn, ev.HeadsUp)) else outputs["events"]
        await target.send(
            key=message.region.encode(),  # type: ignore[attr-defined]
            value=codec.encode(message),
            headers=codec.cloudevent_headers(message, SOURCE),
        )

    @app.agent(inputs)
    async def process(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            tp = event.message
            try:
                message = _INPUT.decode(event.value)
            except codec.DecodeError as exc:
                log.warning("dead-lettered %s/%s@%s: %s", tp.topic, tp.partition, tp.offset, exc)
                DEAD_LETTERS.labels(_contract_name(tp.topic, kafka.namespace), "decode_error").inc()
                await dlqs[tp.topic].send(
                    key=event.key, value=event.value,
                    headers=dead_letter_headers(str(exc), tp.topic, tp.partition, tp.offset,
                                                _headers(event)),
                )
                continue
            produced = decide(state, message, ev.utcnow())
            for out in produced:
                evolve(state, out)
            for out in produced:
                await send(out)
                EVENTS.labels(type(out).__name__).inc()

    register_views(app, state)
    REGISTRY.register(QueueStateCollector(state))
    return app


def _contract_name(topic: str, namespace: str) -> str:
    return topic[len(namespace) + 1:] if namespace and topic.startswith(namespace + ".") else topic


def _headers(event: faust.EventT) -> list[tuple[str, bytes]]:
    raw = event.headers or {}
    items = raw.items() if isinstance(raw, dict) else raw
    return [(str(k), bytes(v)) for k, v in items]

