"""Talking to a running queue service over the real broker: publish inputs, read its history."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from proto import codec, topics
from proto import events as ev
from services.kafka.publisher import Publisher
from services.kafka.settings import KafkaSettings
from tests.support.topic_reader import read_records


def triaged(
    region: str,
    urgency: int,
    at: dt.datetime | None = None,
    case_id: str | None = None,
    person: str | None = None,
) -> ev.CaseTriaged:
    """A CaseTriaged as intake would send it."""
    case_id = case_id or uuid.uuid4().hex
    return ev.CaseTriaged(
        case_id=case_id,
        region=region,
        urgency=urgency,
        symptom="fever",  # type: ignore[arg-type]
        person_pseudonym=person or f"p-{case_id}",
        triaged_at=at or ev.utcnow(),
    )


def publish(kafka: KafkaSettings, messages: Sequence[ev.Message], **producer: Any) -> None:
    """Publish triage events and queue commands in order, keyed by region, and wait for acks."""

    async def run() -> None:
        pub = Publisher(kafka, "/tests", **producer)
        await pub.start()
        try:
            for m in messages:
                topic = (
                    topics.TRIAGE_EVENTS
                    if isinstance(m, ev.CaseTriaged | ev.CaseReferred)
                    else topics.QUEUE_COMMANDS
                )
                await pub.publish(topic, m.region, m)  # type: ignore[attr-defined]
        finally:
            await pub.stop()

    asyncio.run(run())


def publish_raw(
    kafka: KafkaSettings, topic: topics.TopicSpec, key: bytes, value: bytes, partition: int | None = None
) -> None:
    """One raw record (for malformed input and foreign-partitioner tests)."""
    from aiokafka import AIOKafkaProducer

    async def run() -> None:
        producer = AIOKafkaProducer(**kafka.client_options(), enable_idempotence=False)
        await producer.start()
        try:
            await producer.send_and_wait(kafka.topic(topic.name), value, key=key, partition=partition)
        finally:
            await producer.stop()

    asyncio.run(run())


def read_all(
    kafka: KafkaSettings, topic: topics.TopicSpec
) -> list[tuple[int, int, bytes | None, bytes | None]]:
    """Every record on ``topic`` now: (partition, offset, key, value), in partition order."""
    records = read_records(kafka, [topic.name])  # whole batches: Tansu's end offset is short
    return sorted(((r.partition, r.offset, r.key, r.value) for r in records), key=lambda r: (r[0], r[1]))


def history(kafka: KafkaSettings, topic: topics.TopicSpec = topics.QUEUE_EVENTS) -> list[ev.Message]:
    """The decoded messages of a queue output topic, per partition in order, deduped on event_id."""
    decoder = codec.Decoder[Any](ev.QUEUE_EVENT | ev.PATIENT_NOTICE)
    seen: set[str] = set()
    out = []
    for _, _, _, value in read_all(kafka, topic):
        m = decoder.decode(value)
        if m.event_id not in seen:
            seen.add(m.event_id)
            out.append(m)
    return out


def of_type(messages: Iterable[ev.Message], kind: type) -> list[Any]:
    return [m for m in messages if isinstance(m, kind)]
