"""Reading queue.events into the forecaster's tracker: from the beginning to the end offsets seen
at start (then ``ready``), then tailing -- as intake's read model does (services/intake/triage_log.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from proto import codec, topics
from services.forecast.domain.tracker import Tracker
from services.kafka.partitions import partitions_of
from services.kafka.settings import KafkaSettings

log = logging.getLogger("triage.forecast.log")


class QueueLog:
    """Folds every queue.events record into ``tracker``; ``on_move`` is called when a region
    became due soon (the refresher wakes up)."""

    def __init__(self, kafka: KafkaSettings, tracker: Tracker, on_move: Callable[[], None]) -> None:
        self.kafka = kafka
        self.tracker = tracker
        self.on_move = on_move
        self.ready = asyncio.Event()
        self.records_read = 0
        self.undecodable = 0

    async def run(self) -> None:
        """Catch up, set ``ready``, then tail forever (cancel to stop)."""
        name = self.kafka.topic(topics.QUEUE_EVENTS.name)
        consumer = AIOKafkaConsumer(
            **self.kafka.consumer_options(),
            group_id=None,
            fetch_max_wait_ms=self.kafka.fetch_max_wait_ms,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            parts = [TopicPartition(name, p) for p in await partitions_of(consumer, name)]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            end = await consumer.end_offsets(parts)
            pending = {tp for tp, off in end.items() if off > 0}
            while True:
                if not pending and not self.ready.is_set():
                    log.info(
                        "queue.events read: %d records, %d skipped", self.records_read, self.tracker.skipped
                    )
                    self.ready.set()
                    self.on_move()
                batch = await consumer.getmany(timeout_ms=200, max_records=2000)
                moved = False
                now = time.time()
                for tp, records in batch.items():
                    for record in records:
                        moved = self._apply(record.value, now) or moved
                    if tp in pending and records and records[-1].offset + 1 >= end[tp]:
                        pending.discard(tp)
                for tp in list(pending):
                    if await consumer.position(tp) >= end[tp]:
                        pending.discard(tp)
                if moved and self.ready.is_set():
                    self.on_move()
        finally:
            await consumer.stop()

    def _apply(self, value: bytes | None, now: float) -> bool:
        self.records_read += 1
        try:
            message = codec.QUEUE_EVENTS.decode(value)
        except codec.DecodeError:
            # a record type added by the queue after this build, or a broken one: the queue owns
            # this topic's dead letters; here it is counted and skipped, never fatal
            self.undecodable += 1
            return False
        return self.tracker.apply(message, now)
