"""Every patient's sealed contact card, read from the compacted ``patient.contacts`` topic.

Every notifier instance reads every partition (no consumer group): a YourTurn for
any region may need any card. Cards stay sealed in memory; the phone is opened only
at send time. A tombstone (null value) deletes the card.
"""

from __future__ import annotations

import logging

from aiokafka import ConsumerRecord

from proto import topics
from services.kafka.settings import KafkaSettings
from services.kafka.tail import LogTail, each_record, keep_latest, read_when

log = logging.getLogger("triage.notifier.contacts")


class ContactDirectory:
    """case_id -> sealed ContactCard bytes, kept up to date from the topic."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.kafka = kafka
        self._cards: dict[str, bytes] = {}
        self._tail = LogTail(kafka, (topics.PATIENT_CONTACTS.name,))
        self.ready = self._tail.ready

    def __len__(self) -> int:
        return len(self._cards)

    def get(self, case_id: str) -> bytes | None:
        return self._cards.get(case_id)

    async def wait_for(self, case_id: str, timeout: float) -> bytes | None:
        """The card, waiting up to ``timeout`` s: it is published before the case is queued,
        but this reader may lag a little behind."""
        return await read_when(lambda: self._cards.get(case_id), lambda card: card is not None, timeout)

    async def run(self) -> None:
        """Read the topic from the beginning, forever (cancel to stop); ``ready`` once caught up."""
        await self._tail.run(each_record(self._apply))

    def _apply(self, _topic: str, record: ConsumerRecord) -> None:
        keep_latest(self._cards, record)
