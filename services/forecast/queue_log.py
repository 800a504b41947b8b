"""Reading queue.events into the forecaster's tracker through the one log reader
(services/kafka/tail.py): from the beginning to the end offsets seen at start (then ``ready``),
then tailing."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from aiokafka import ConsumerRecord

from proto import codec, topics
from services.forecast.domain.tracker import Tracker
from services.kafka.settings import KafkaSettings
from services.kafka.tail import LogTail

log = logging.getLogger("triage.forecast.log")


class QueueLog:
    """Folds every queue.events record into ``tracker``; ``on_move`` is called when a region
    became due soon (the refresher wakes up)."""

    def __init__(self, kafka: KafkaSettings, tracker: Tracker, on_move: Callable[[], None]) -> None:
        self.kafka = kafka
        self.tracker = tracker
        self.on_move = on_move
        self._tail = LogTail(kafka, (topics.QUEUE_EVENTS.name,), max_records=2000)
        self.ready = self._tail.ready
        self.records_read = 0
        self.undecodable = 0

    async def run(self) -> None:
        """Catch up, set ``ready``, then tail forever (cancel to stop)."""
        await self._tail.run(self._on_batch, self._on_ready)

    async def _on_batch(self, records: list[tuple[str, ConsumerRecord]]) -> None:
        now = time.time()
        moved = False
        for _topic, record in records:
            moved = self._apply(record.value, now) or moved
        if moved and self.ready.is_set():
            self.on_move()

    async def _on_ready(self) -> None:
        log.info("queue.events read: %d records, %d skipped", self.records_read, self.tracker.skipped)
        self.on_move()

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
