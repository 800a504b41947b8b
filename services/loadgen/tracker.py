"""Watches the system's output topics and feeds what it sees into the ledger.

One aiokafka consumer, no consumer group (nothing committed, nothing disturbed): it is
assigned every partition of queue.events, queue.your-turn, sms.events and triage.results
and starts at their current end, so only this run's events count. A short fetch wait
keeps the time an event is *seen* close to the time it was written.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from proto import codec, topics
from proto import events as ev
from services.kafka.settings import KafkaSettings
from services.loadgen.ledger import Ledger

WATCHED = (topics.QUEUE_EVENTS, topics.QUEUE_YOUR_TURN, topics.SMS_EVENTS, topics.TRIAGE_RESULTS)
_DECODERS: dict[str, codec.Decoder[Any]] = {
    topics.QUEUE_EVENTS.name: codec.QUEUE_EVENTS,
    topics.QUEUE_YOUR_TURN.name: codec.PATIENT_NOTICES,
    topics.SMS_EVENTS.name: codec.SMS_EVENTS,
    topics.TRIAGE_RESULTS.name: codec.TRIAGE_RESULTS,
}


class EventTracker:
    """Consumes the output topics into ``ledger`` until stopped."""

    def __init__(self, kafka: KafkaSettings, ledger: Ledger) -> None:
        self.kafka = kafka
        self.ledger = ledger
        self.on_result: Any = None  # set by the Kafka ingress driver: TriageResult handler
        self.on_event: Any = None  # optional (message, seen_monotonic) hook, e.g. the ETA run's calls
        self.records = 0
        self.waiters: dict[str, asyncio.Future[Any]] = {}  # request_id -> its first answer
        self.undecodable = 0
        self._consumer = AIOKafkaConsumer(
            **kafka.consumer_options(),
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=5,
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        self._names = {kafka.topic(t.name): t.name for t in WATCHED}

    async def start(self) -> None:
        """Connect, take every partition, and start from the current end."""
        await self._consumer.start()
        parts = [TopicPartition(self.kafka.topic(t.name), p) for t in WATCHED for p in range(t.partitions)]
        self._consumer.assign(parts)
        await self._consumer.seek_to_end(*parts)
        for tp in parts:  # resolve the end offsets now, before any load is sent
            await self._consumer.position(tp)

    async def stop(self) -> None:
        await self._consumer.stop()

    async def run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100, max_records=5000)
            now = time.monotonic()
            for tp, records in batches.items():
                name = self._names[tp.topic]
                for record in records:
                    self.records += 1
                    try:
                        message = _DECODERS[name].decode(record.value)
                    except codec.DecodeError:
                        self.undecodable += 1
                        continue
                    self._feed(message, now)
            await asyncio.sleep(0)

    def _feed(self, m: Any, now: float) -> None:
        ledger = self.ledger
        if self.on_event is not None:
            self.on_event(m, now)
        waiter = self.waiters.pop(getattr(m, "request_id", ""), None)
        if waiter is not None and not waiter.done():
            waiter.set_result(m)
        match m:
            case ev.CaseQueued():
                ledger.on_case_queued(m.event_id, m.case_id, m.urgency, now)
            case ev.CaseCalled():
                wait = (m.called_at - m.queued_at).total_seconds()
                ledger.on_case_called(m.event_id, m.case_id, m.request_id, m.urgency, wait, now)
            case ev.ServeNextEmpty():
                ledger.on_serve_empty(m.event_id, m.request_id, now)
            case ev.CommandRejected():
                ledger.on_command_rejected(m.event_id, m.request_id, now)
            case ev.YourTurn():
                ledger.on_your_turn(m.event_id, m.case_id, now)
            case ev.SmsSent():
                ledger.on_sms_sent(m.event_id, m.case_id, m.kind, now)
            case ev.SmsFailed():
                ledger.on_sms_failed(m.event_id, m.case_id)
            case ev.TriageResult():
                if self.on_result is not None:
                    self.on_result(m, now)
            case _:
                pass
