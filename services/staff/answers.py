"""Waiting for the queue's answer to a command: one tail of queue.events, a waiter per request_id.

Started ANSWER_LOOKBACK_S before the end of queue.events (no consumer group, every partition
assigned), and remembering the first answer per request_id: a retry of a command the queue
answered already (the queue replays it silently) is answered from that memory, also after a
staff restart. A waiter is registered before the command is published, so its answer cannot
slip past. Records of types this
code does not know (markers and notices other services add later) are skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict

from aiokafka import AIOKafkaConsumer, TopicPartition

from proto import codec, topics
from proto import events as ev
from services.kafka.partitions import partitions_of
from services.kafka.settings import KafkaSettings

log = logging.getLogger("triage.staff.answers")


# The queue answers a replayed command (same request_id) from its own memory and writes
# nothing new on queue.events, so a clinician's retry after a 504 must find the answer the
# queue gave the first time: the edge remembers recent answers, read back this far at start.
ANSWER_LOOKBACK_S = 15 * 60
ANSWER_MEMORY = 50_000


class QueueAnswers:
    """Resolves ``ask(request_id)`` with the first queue.events record that carries that id."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.kafka = kafka
        self.ready = asyncio.Event()
        self._waiters: dict[str, list[asyncio.Future[ev.Message]]] = {}
        self._recent: OrderedDict[str, ev.Message] = OrderedDict()  # request_id -> first answer
        self._consumer = AIOKafkaConsumer(
            **kafka.client_options(),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            fetch_max_wait_ms=kafka.fetch_max_wait_ms,
        )

    async def start(self) -> None:
        """Assign every partition of queue.events ANSWER_LOOKBACK_S back from its end (answers to
        commands sent before a restart are remembered); ready once positions are fixed."""
        await self._consumer.start()
        topic = self.kafka.topic(topics.QUEUE_EVENTS.name)
        parts = await partitions_of(self._consumer, topic)
        if not parts:
            raise RuntimeError(f"topic {topic} does not exist: run `triage topics` first")
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        self._consumer.assign(tps)
        await self._consumer.seek_to_end(*tps)
        since_ms = int((time.time() - ANSWER_LOOKBACK_S) * 1000)
        found = await self._consumer.offsets_for_times({tp: since_ms for tp in tps})
        for tp in tps:
            if found.get(tp) is not None:
                self._consumer.seek(tp, found[tp].offset)
            await self._consumer.position(tp)  # resolved now: nothing after this moment slips past
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
        if not request_id or request_id in self._recent:
            return  # the first answer counts (a re-sent copy after a crash carries the same)
        self._recent[request_id] = message
        while len(self._recent) > ANSWER_MEMORY:
            self._recent.popitem(last=False)
        for future in self._waiters.get(request_id, ()):
            if not future.done():
                future.set_result(message)

    def expect(self, request_id: str) -> asyncio.Future[ev.Message]:
        """Register interest in ``request_id`` BEFORE publishing the command."""
        future: asyncio.Future[ev.Message] = asyncio.get_running_loop().create_future()
        answered = self._recent.get(request_id)
        if answered is not None:  # a retry of a command the queue already answered
            future.set_result(answered)
            return future
        self._waiters.setdefault(request_id, []).append(future)
        return future

    def forget(self, request_id: str, future: asyncio.Future[ev.Message]) -> None:
        """Drop a waiter (answered, timed out or cancelled)."""
        waiters = self._waiters.get(request_id, [])
        if future in waiters:
            waiters.remove(future)
        if not waiters:
            self._waiters.pop(request_id, None)
