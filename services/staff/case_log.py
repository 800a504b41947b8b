"""Staff's read model of the cases: triage.events + queue.events into CaseFiles, and the sealed
contact cards of patient.contacts, read whole at start (no consumer group), then tailed.

Cards stay sealed in memory (bytes as on the topic); only the audited identity read opens one
(services/staff/http_cases.py). A tombstone (null value) deletes a card, as on the topic.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from proto import codec, topics
from services.kafka.settings import KafkaSettings
from services.staff.domain.case_files import CaseFile, CaseFiles

log = logging.getLogger("triage.staff.cases")


class CaseLog:
    """Fills CaseFiles and the sealed cards from the beginning; ``ready`` once caught up."""

    def __init__(self, kafka: KafkaSettings, capacity: int = 500_000) -> None:
        self.kafka = kafka
        self.files = CaseFiles(capacity)
        self.cards: dict[str, bytes] = {}  # case_id -> sealed ContactCard record value
        self.ready = asyncio.Event()
        self.skipped = 0  # records of types this build does not know (new event kinds)
        self._decoders: dict[str, codec.Decoder[Any]] = {
            kafka.topic(topics.TRIAGE_EVENTS.name): codec.TRIAGE_EVENTS,
            kafka.topic(topics.QUEUE_EVENTS.name): codec.QUEUE_EVENTS,
        }
        self._contacts = kafka.topic(topics.PATIENT_CONTACTS.name)

    async def triaged_file(self, case_id: str, timeout_s: float) -> CaseFile | None:
        """The case's file once its CaseTriaged is read, waiting up to ``timeout_s``: the queue
        called it, so intake's event is on the broker, but this reader may lag a little."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while (found := self.files.get(case_id)) is None or not found.triaged:
            if loop.time() > deadline:
                return found
            await asyncio.sleep(0.02)
        return found

    async def run(self) -> None:
        """Read the three topics from the beginning, set ``ready`` at their ends, tail forever."""
        consumer = AIOKafkaConsumer(
            **self.kafka.client_options(),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.kafka.fetch_max_wait_ms,
        )
        await consumer.start()
        try:
            await consumer.topics()
            tps = [
                TopicPartition(name, p)
                for name in (*self._decoders, self._contacts)
                for p in sorted(consumer.partitions_for_topic(name) or ())
            ]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps) if tps else {}
            while True:
                if not self.ready.is_set() and await _caught_up(consumer, ends):
                    log.info("case files read: %d cases, %d sealed cards", len(self.files), len(self.cards))
                    self.ready.set()
                batches = await consumer.getmany(timeout_ms=200, max_records=5000)
                for tp, records in batches.items():
                    for record in records:
                        self._apply(tp.topic, record.key, record.value)
        finally:
            await consumer.stop()

    def _apply(self, topic: str, key: bytes | None, value: bytes | None) -> None:
        if topic == self._contacts:
            if key is None:
                return
            if value is None:
                self.cards.pop(key.decode(), None)
            else:
                self.cards[key.decode()] = value
            return
        try:
            self.files.apply(self._decoders[topic].decode(value))
        except codec.DecodeError:
            self.skipped += 1  # not ours to dead-letter: the topics' consumers do that


async def _caught_up(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True
