"""Every patient's sealed contact card, read from the compacted ``patient.contacts`` topic.

Every notifier instance reads every partition (no consumer group): a YourTurn for
any region may need any card. Cards stay sealed in memory; the phone is opened only
at send time. A tombstone (null value) deletes the card.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from aiokafka import ConsumerRecord

from proto import topics
from services.kafka.settings import KafkaSettings
from services.kafka.tail import LogTail, OnBatch, each_record, keep_latest, read_when

log = logging.getLogger("triage.notifier.contacts")


class CardLog(Protocol):
    """The part of ``LogTail`` the directory uses (a fake in unit tests)."""

    ready: asyncio.Event

    async def run(self, on_batch: OnBatch) -> None: ...

    async def caught_up(self) -> bool: ...


class ContactDirectory:
    """case_id -> sealed ContactCard bytes, kept up to date from the topic."""

    def __init__(self, kafka: KafkaSettings, lag_wait_s: float = 120.0, tail: CardLog | None = None) -> None:
        self.kafka = kafka
        self.lag_wait_s = lag_wait_s
        self._cards: dict[str, bytes] = {}
        self._tail: CardLog = tail or LogTail(kafka, (topics.PATIENT_CONTACTS.name,))
        self.ready = self._tail.ready

    def __len__(self) -> int:
        return len(self._cards)

    def get(self, case_id: str) -> bytes | None:
        return self._cards.get(case_id)

    async def wait_for(self, case_id: str, timeout: float) -> bytes | None:
        """The card, or None once this reader has read the topic to its end without finding it.

        Intake has the card acknowledged before it sends the case, so a called case's card is on
        the broker; this reader may lag behind it. It waits ``timeout`` s for the usual lag, then,
        while the reader has not reached the topic's end as the broker gives it now (a leader
        failover stalls its fetches for seconds), up to ``lag_wait_s`` s more. A card deleted
        (the case closed or withdrawn) or never written is None as soon as the reader is caught up.
        """

        def look() -> bytes | None:
            return self._cards.get(case_id)

        def found(card: bytes | None) -> bool:
            return card is not None

        card = await read_when(look, found, timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.lag_wait_s
        warned = False
        while card is None and loop.time() < deadline:
            if await self._tail.caught_up():
                return look()  # what a poll returned is folded before this
            if not warned:
                log.warning(
                    "case %s: no contact card after %.0fs and the card reader is behind the topic; "
                    "waiting up to %.0fs more",
                    case_id,
                    timeout,
                    self.lag_wait_s,
                )
                warned = True
            card = await read_when(look, found, 0.5)
        return card

    async def run(self) -> None:
        """Read the topic from the beginning, forever (cancel to stop); ``ready`` once caught up."""
        await self._tail.run(each_record(self._apply))

    def _apply(self, _topic: str, record: ConsumerRecord) -> None:
        keep_latest(self._cards, record)
