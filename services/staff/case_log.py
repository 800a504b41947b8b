"""Staff's read model of the cases: triage.events + queue.events into CaseFiles, and the sealed
contact cards of patient.contacts, read whole at start (no consumer group), then tailed.

Cards stay sealed in memory (bytes as on the topic); only the audited identity read opens one
(services/staff/http_cases.py). A tombstone (null value) deletes a card, as on the topic.
"""

from __future__ import annotations

from typing import Any

from aiokafka import ConsumerRecord

from proto import codec, topics
from services.kafka.settings import KafkaSettings
from services.kafka.tail import LogTail, each_record, keep_latest, read_when
from services.staff.domain.case_files import CaseFile, CaseFiles


class CaseLog:
    """Fills CaseFiles and the sealed cards from the beginning; ``ready`` once caught up."""

    def __init__(self, kafka: KafkaSettings, capacity: int = 500_000) -> None:
        self.kafka = kafka
        self.files = CaseFiles(capacity)
        self.cards: dict[str, bytes] = {}  # case_id -> sealed ContactCard record value
        self._tail = LogTail(
            kafka,
            (topics.TRIAGE_EVENTS.name, topics.QUEUE_EVENTS.name, topics.PATIENT_CONTACTS.name),
            max_records=5000,
        )
        self.ready = self._tail.ready
        self.skipped = 0  # records of types this build does not know (new event kinds)
        self._decoders: dict[str, codec.Decoder[Any]] = {
            topics.TRIAGE_EVENTS.name: codec.TRIAGE_EVENTS,
            topics.QUEUE_EVENTS.name: codec.QUEUE_EVENTS,
        }

    async def triaged_file(self, case_id: str, timeout_s: float) -> CaseFile | None:
        """The case's file once its CaseTriaged is read, waiting up to ``timeout_s``: the queue
        called it, so intake's event is on the broker, but this reader may lag a little."""
        return await read_when(
            lambda: self.files.get(case_id), lambda f: f is not None and f.triaged, timeout_s
        )

    async def run(self) -> None:
        """Read the three topics from the beginning, set ``ready`` at their ends, tail forever."""
        await self._tail.run(each_record(self._apply))

    def _apply(self, topic: str, record: ConsumerRecord) -> None:
        if topic == topics.PATIENT_CONTACTS.name:
            keep_latest(self.cards, record)
            return
        try:
            self.files.apply(self._decoders[topic].decode(record.value))
        except codec.DecodeError:
            self.skipped += 1  # not ours to dead-letter: the topics' consumers do that
