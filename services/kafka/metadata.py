"""Which partitions a topic has, asked the way Apache Kafka answers.

aiokafka's consumer bootstraps with a metadata request for no topics. Tansu answered it with
every topic, so ``partitions_for_topic`` worked at once; Apache Kafka answers it with none, and
a topic created a moment ago may not be in a broker's metadata yet. ``topic_partitions`` asks
for every topic the client may see until the one wanted is there.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError


class TopicNotFound(KafkaError):
    """The topic is not in the cluster's metadata (or this client may not describe it)."""


async def topic_partitions(consumer: AIOKafkaConsumer, topic: str, timeout: float = 10.0) -> set[int]:
    """The partition numbers of ``topic``; TopicNotFound after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = consumer.partitions_for_topic(topic)
        if found:
            return set(found)
        if loop.time() > deadline:
            raise TopicNotFound(
                f"topic {topic} not found: create the topics first (triage topics), and check that "
                "this client's principal may Describe it (its ACLs)"
            )
        # a consumer that tracks no topics refreshes the metadata of every topic it may see
        await consumer._client.force_metadata_update()  # noqa: SLF001 - no public equivalent
        await asyncio.sleep(0.1)
