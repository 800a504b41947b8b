"""The partitions of a topic, as a consumer with manual assignment needs them.

aiokafka 0.14 starts a consumer with metadata for no topic (``MetadataRequest(topics=[])``);
Tansu answers that with every topic, Apache Kafka with none, as the protocol says. And
``consumer.topics()`` fetches into a throwaway copy, not into the consumer's own cache. So on
Kafka ``partitions_for_topic`` stays None until the cache is refreshed for all topics: this
asks for that, and waits a little for topics created a moment ago.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer


async def partitions_of(consumer: AIOKafkaConsumer, topic: str, timeout_s: float = 10.0) -> set[int]:
    """The partition numbers of ``topic`` (a started consumer); empty if it does not exist."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        found = consumer.partitions_for_topic(topic)
        if found:
            return set(found)
        if loop.time() > deadline:
            return set()
        await consumer._client.force_metadata_update()  # noqa: SLF001 - no public equivalent
        if not consumer.partitions_for_topic(topic):
            await asyncio.sleep(0.1)
