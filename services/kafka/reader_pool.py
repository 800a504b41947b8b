"""Group-less readers kept for reading ranges of partitions by hand, one per concurrent read.

The queue's recovery (queue.events) and the snapshots on a compacted topic (``snapshot_topic.py``)
read partitions concurrently: a single shared reader made the concurrent recoveries of a restart
read one partition after another (a lock around it); with a reader each, their fetches overlap.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer

from services.kafka.settings import KafkaSettings
from services.kafka.tail import open_consumer


class ReaderPool:
    """Started readers, one per concurrent read, kept for the next read."""

    def __init__(self, kafka: KafkaSettings, max_partition_fetch_bytes: int) -> None:
        self.kafka = kafka
        self.max_partition_fetch_bytes = max_partition_fetch_bytes
        self._idle: list[AIOKafkaConsumer] = []
        self._all: list[AIOKafkaConsumer] = []

    @contextlib.asynccontextmanager
    async def reader(self) -> AsyncIterator[AIOKafkaConsumer]:
        """A started reader for this task alone (assign it the partitions it reads)."""
        if self._idle:
            reader = self._idle.pop()
        else:
            reader = await start_reader(self.kafka, self.max_partition_fetch_bytes)
            self._all.append(reader)
        try:
            yield reader
        finally:
            reader.pause(*reader.assignment())  # no fetches in the background while idle
            self._idle.append(reader)

    async def stop(self) -> None:
        for reader in self._all:
            await reader.stop()
        self._all, self._idle = [], []


async def start_reader(kafka: KafkaSettings, max_partition_fetch_bytes: int) -> AIOKafkaConsumer:
    """A started consumer without a group, reading committed, for reading ranges of a partition by hand."""
    # read committed: aborted batches (a fenced owner's) are not the log
    reader = open_consumer(kafka, max_partition_fetch_bytes=max_partition_fetch_bytes)
    await reader.start()
    return reader
