"""The notifier's Kafka side outside faust: the SMS ledger topic, sms.events and the DLQ.

Every write here is ``send_and_wait`` (acks=all): when it returns, the record is on the
broker. The ledger is read back from every partition by every instance (no consumer
group), so any instance can dedupe any notice and answer any delivery report.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError

from proto import codec, topics
from proto import events as ev
from services.kafka.publisher import Publisher
from services.kafka.settings import KafkaSettings
from services.kafka.tail import LogTail, each_record
from services.notifier.domain.ledger import SmsLedger

log = logging.getLogger("triage.notifier.ledger")
SOURCE = "/triage/notifier"
LEDGER_ENTRIES = codec.Decoder[ev.SmsLedgerEntry](ev.SmsLedgerEntry)


class LedgerLog:
    """Reads ``notifier.sms-ledger`` into an SmsLedger and writes entries and events."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.kafka = kafka
        self.ledger = SmsLedger()
        self._tail = LogTail(kafka, (topics.SMS_LEDGER.name,))
        self.ready = self._tail.ready  # set once the ledger has been read up to its end
        self._started: Publisher | None = None

    @property
    def _out(self) -> Publisher:
        assert self._started is not None, "LedgerLog.start() first"
        return self._started

    async def start(self) -> None:
        self._started = Publisher(self.kafka, SOURCE, linger_ms=0)  # built here: aiokafka needs the loop
        await self._started.start()

    async def stop(self) -> None:
        if self._started is not None:
            await self._started.stop()

    async def record(self, entry: ev.SmsLedgerEntry) -> None:
        """Make ``entry`` durable on the ledger partition of its notice, then apply it here.

        Retries until the broker takes it: nothing may go on (no SMS, no ack) without it.
        """
        for attempt in itertools.count(1):
            try:
                await self._out.publish(topics.SMS_LEDGER, entry.notice_event_id, entry, entry.partition)
                break
            except KafkaError as exc:
                delay = min(5.0, 0.2 * 2**attempt)
                log.warning("case %s: ledger write failed (%s); retrying in %.1fs", entry.case_id, exc, delay)
                await asyncio.sleep(delay)
        self.ledger.apply(entry)

    async def publish(self, message: ev.SmsSent | ev.SmsFailed | ev.SmsDelivered) -> None:
        """An SMS event on ``sms.events``, keyed by case id."""
        await self._out.publish(topics.SMS_EVENTS, message.case_id, message)

    async def command_queue(self, command: ev.NotifyFailed) -> None:
        """A command to the queue on ``queue.commands``, keyed by the case's region."""
        await self._out.publish(topics.QUEUE_COMMANDS, command.region, command)

    async def forget_contact(self, case_id: str) -> None:
        """A tombstone for the case's contact card on ``patient.contacts`` (the phone is deleted)."""
        await self._out.tombstone(topics.PATIENT_CONTACTS, case_id)

    async def dead_letter(self, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        """The notice record to ``queue.your-turn.dlq`` with the error in its headers."""
        await self._out.producer.send_and_wait(
            self.kafka.topic(topics.QUEUE_YOUR_TURN.dlq().name), value, key=key, headers=headers
        )

    async def run(self) -> None:
        """Read the ledger from the beginning, forever; set ``ready`` when caught up."""
        await self._tail.run(each_record(self._apply), self._on_ready)

    async def _on_ready(self) -> None:
        log.info("ledger read up to its end: %d SMS known", len(self.ledger))

    def _apply(self, _topic: str, record: ConsumerRecord) -> None:
        try:
            self.ledger.apply(LEDGER_ENTRIES.decode(record.value))
        except codec.DecodeError as exc:  # written only by us; a bad one is logged, not fatal
            log.error("unreadable ledger record skipped: %s", exc)
