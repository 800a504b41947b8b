"""Publishing contract messages with CloudEvents headers through one aiokafka producer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import TopicAuthorizationFailedError

from proto import codec
from proto.events import Message
from proto.topics import TopicSpec
from services.kafka.settings import KafkaAccessDenied, KafkaSettings


class Publisher:
    """Sends messages to contract topics of one namespace; keys are strings (region, case id)."""

    def __init__(self, kafka: KafkaSettings, source: str, **producer_options: object) -> None:
        self.kafka = kafka
        self.source = source
        options: dict[str, object] = {
            "acks": "all",
            "linger_ms": 1,
            "enable_idempotence": False,  # the embedded broker has no InitProducerId; consumers dedupe
            **producer_options,  # may override the three above (the notifier's ledger: linger_ms=0)
        }
        self.producer = AIOKafkaProducer(**kafka.client_options(), **options)  # type: ignore[arg-type]

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def publish(
        self, topic: TopicSpec, key: str, message: Message, partition: int | None = None
    ) -> None:
        """Send and wait for the broker's acknowledgement (``partition``: instead of the key's).

        Raises KafkaAccessDenied (naming topic and principal) when the cluster's ACLs refuse it.
        """
        await self.publish_all([(topic, key, message)], partition)

    async def publish_all(
        self, records: Sequence[tuple[TopicSpec, str, Message]], partition: int | None = None
    ) -> None:
        """Send ``(topic, key, message)`` records in this order, then wait until all are acknowledged.

        They leave in the same producer batch (one round trip per broker), without a task per
        record as ``asyncio.gather`` of ``publish`` calls would make. Raises the first failure.
        """
        name = ""  # the topic whose send or acknowledgement failed
        try:
            acks = []
            for topic, key, message in records:
                name = self.kafka.topic(topic.name)
                acks.append(
                    (
                        name,
                        await self.producer.send(
                            name,
                            codec.encode_for(topic.name, message),
                            key=key.encode(),
                            partition=partition,
                            headers=codec.cloudevent_headers(message, self.source),
                        ),
                    )
                )
            name = ", ".join(sent_to for sent_to, _ in acks)  # which of them refused is not known here
            await asyncio.gather(*(ack for _, ack in acks))  # futures: no task each
        except TopicAuthorizationFailedError as exc:
            raise KafkaAccessDenied(self.kafka.security.principal, "write to", name) from exc

    async def tombstone(self, topic: TopicSpec, key: str) -> None:
        """A null value for ``key``: deletes it from a compacted topic."""
        name = self.kafka.topic(topic.name)
        try:
            await self.producer.send_and_wait(name, None, key=key.encode())
        except TopicAuthorizationFailedError as exc:
            raise KafkaAccessDenied(self.kafka.security.principal, "write to", name) from exc
