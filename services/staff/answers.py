"""Waiting for the queue's answer to a command: one tail of queue.events, a waiter per request_id.

Started at the END of queue.events (no consumer group, every partition assigned): the
staff API only needs answers to commands it sends from now on. A waiter is registered
before the command is published, so its answer cannot slip past. Records of types this
code does not know (markers and notices other services add later) are skipped.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from proto import codec, topics
from proto import events as ev
from services.kafka.settings import KafkaSettings

log = logging.getLogger("triage.staff.answers")


class QueueAnswers:
    """Resolves ``ask(request_id)`` with the first queue.events record that carries that id."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.kafka = kafka
        self.ready = asyncio.Event()
        self._waiters: dict[str, list[asyncio.Future[ev.Message]]] = {}
        self._consumer = AIOKafkaConsumer(
            **kafka.client_options(), group_id=None, enable_auto_commit=False,
            auto_offset_reset="latest", fetch_max_wait_ms=kafka.fetch_max_wait_ms,
        )

    async def start(self) -> None:
        """Assign every partition of queue.events at its end; ready once positions are fixed."""
        await self._consumer.start()
        topic = self.kafka.topic(topics.QUEUE_EVENTS.name)
        await self._consumer.topics()  # loads metadata, so the partitions are known
        parts = self._consumer.partitions_for_topic(topic) or set()
        if not parts:
            raise RuntimeError(f"topic {topic} does not exist: run `triage topics` first")
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        self._consumer.assign(tps)
        await self._consumer.seek_to_end(*tps)
        for tp in tps:  # resolve "end" now: an answer produced after this moment is read
            await self._consumer.position(tp)
        self.ready.set()

    async def stop(self) -> None:
        await self._consumer.stop()

    async def run(self) -> None:
        """Read answers until cancelled."""
        while True:
            batches = await self._consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    self._deliver(record.value)

    def _deliver(self, value: bytes | None) -> None:
        try:
            message = codec.QUEUE_EVENTS.decode(value)
        except codec.DecodeError:
            return  # not an answer this edge understands (new record types are skipped)
        request_id = getattr(message, "request_id", "")
        for future in self._waiters.get(request_id, ()):
            if not future.done():
                future.set_result(message)

    def expect(self, request_id: str) -> asyncio.Future[ev.Message]:
        """Register interest in ``request_id`` BEFORE publishing the command."""
        future: asyncio.Future[ev.Message] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(request_id, []).append(future)
        return future

    def forget(self, request_id: str, future: asyncio.Future[ev.Message]) -> None:
        """Drop a waiter (answered, timed out or cancelled)."""
        waiters = self._waiters.get(request_id, [])
        if future in waiters:
            waiters.remove(future)
        if not waiters:
            self._waiters.pop(request_id, None)
