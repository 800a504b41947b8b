"""The partitions of a topic, waiting out metadata that lags just after the topics were created."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer


async def partitions_of(consumer: AIOKafkaConsumer, name: str) -> set[int]:
    """The partition numbers of ``name``; RuntimeError (saying how to fix it) if it does not exist."""
    for _ in range(100):  # metadata may lag just after the topics were created
        found = consumer.partitions_for_topic(name)
        if found:
            return set(found)
        await consumer._client.force_metadata_update()  # noqa: SLF001 - no public equivalent
        await asyncio.sleep(0.1)
    raise RuntimeError(f"topic {name} not found: create the topics first (triage topics)")
