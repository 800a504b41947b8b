"""The notifier's Kafka side outside faust: the SMS ledger topic, sms.events and the DLQ.

Every write here is ``send_and_wait`` (acks=all): when it returns, the record is on the
broker. The ledger is read back from every partition by every instance (no consumer
group), so any instance can dedupe any notice and answer any delivery report.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from proto import codec, topics
from proto import events as ev
from services.kafka.settings import KafkaSettings
from services.notifier.domain.ledger import SmsLedger

log = logging.getLogger("triage.notifier.ledger")
SOURCE = "/triage/notifier"
LEDGER_ENTRIES = codec.Decoder[ev.SmsLedgerEntry](ev.SmsLedgerEntry)


class LedgerLog:
    """Reads ``notifier.sms-ledger`` into an SmsLedger and writes entries and events."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.kafka = kafka
        self.ledger = SmsLedger()
        self.ready = asyncio.Event()  # set once the ledger has been read up to its end
        self._producer: AIOKafkaProducer | None = None
        self._topic = kafka.topic(topics.SMS_LEDGER.name)

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            **self.kafka.client_options(),
            acks="all",
            linger_ms=0,
            enable_idempotence=False,  # the embedded broker has no InitProducerId; readers dedupe
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def record(self, entry: ev.SmsLedgerEntry) -> None:
        """Make ``entry`` durable on the ledger partition of its notice, then apply it here.

        Retries until the broker takes it: nothing may go on (no SMS, no ack) without it.
        """
        assert self._producer is not None, "LedgerLog.start() first"
        for attempt in itertools.count(1):
            try:
                await self._producer.send_and_wait(
                    self._topic,
                    codec.encode_for(topics.SMS_LEDGER.name, entry),
                    key=entry.notice_event_id.encode(),
                    partition=entry.partition,
                    headers=codec.cloudevent_headers(entry, SOURCE),
                )
                break
            except KafkaError as exc:
                delay = min(5.0, 0.2 * 2**attempt)
                log.warning("case %s: ledger write failed (%s); retrying in %.1fs", entry.case_id, exc, delay)
                await asyncio.sleep(delay)
        self.ledger.apply(entry)

    async def publish(self, message: ev.SmsSent | ev.SmsFailed | ev.SmsDelivered) -> None:
        """An SMS event on ``sms.events``, keyed by case id."""
        assert self._producer is not None, "LedgerLog.start() first"
        await self._producer.send_and_wait(
            self.kafka.topic(topics.SMS_EVENTS.name),
            codec.encode_for(topics.SMS_EVENTS.name, message),
            key=message.case_id.encode(),
            headers=codec.cloudevent_headers(message, SOURCE),
        )

    async def command_queue(self, command: ev.NotifyFailed) -> None:
        """A command to the queue on ``queue.commands``, keyed by the case's region."""
        assert self._producer is not None, "LedgerLog.start() first"
        await self._producer.send_and_wait(
            self.kafka.topic(topics.QUEUE_COMMANDS.name),
            codec.encode_for(topics.QUEUE_COMMANDS.name, command),
            key=command.region.encode(),
            headers=codec.cloudevent_headers(command, SOURCE),
        )

    async def forget_contact(self, case_id: str) -> None:
        """A tombstone for the case's contact card on ``patient.contacts`` (the phone is deleted)."""
        assert self._producer is not None, "LedgerLog.start() first"
        await self._producer.send_and_wait(
            self.kafka.topic(topics.PATIENT_CONTACTS.name), None, key=case_id.encode()
        )

    async def dead_letter(self, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        """The notice record to ``queue.your-turn.dlq`` with the error in its headers."""
        assert self._producer is not None, "LedgerLog.start() first"
        await self._producer.send_and_wait(
            self.kafka.topic(topics.QUEUE_YOUR_TURN.dlq().name),
            value,
            key=key,
            headers=headers,
        )

    async def run(self) -> None:
        """Read the ledger from the beginning, forever; set ``ready`` when caught up."""
        consumer = AIOKafkaConsumer(
            **self.kafka.consumer_options(),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.kafka.fetch_max_wait_ms,
        )
        await consumer.start()
        try:
            tps = [TopicPartition(self._topic, p) for p in range(topics.SMS_LEDGER.partitions)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            while True:
                # checked before each fetch: an empty ledger is read at once, not after a 200 ms poll
                if not self.ready.is_set() and all(await self._positions_reached(consumer, ends)):
                    log.info("ledger read up to its end: %d SMS known", len(self.ledger))
                    self.ready.set()
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        self._apply(record.value)
        finally:
            await consumer.stop()

    async def _positions_reached(
        self, consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]
    ) -> list[bool]:
        return [await consumer.position(tp) >= end for tp, end in ends.items()]

    def _apply(self, value: bytes | None) -> None:
        try:
            self.ledger.apply(LEDGER_ENTRIES.decode(value))
        except codec.DecodeError as exc:  # written only by us; a bad one is logged, not fatal
            log.error("unreadable ledger record skipped: %s", exc)
