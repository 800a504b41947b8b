"""Rebuilding and tailing intake's memory from Kafka: decided submissions and the queue's state.

At start intake reads ``triage.events`` (CaseTriaged / CaseReferred, with their
submission_id), ``triage.results`` (the answers Kafka submitters got) and ``queue.events``
(the queue's decisions) from the beginning up to the end offsets seen at start; only then
is it ready. It then keeps tailing all three, so several intake processes and replicas learn
each other's decisions and the queue's, with no HTTP call to the queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from proto import codec, topics
from proto import events as ev
from services.intake.domain.queue_view import QueueView
from services.intake.domain.submission_index import Remembered, SubmissionIndex
from services.intake.metrics import VIEW_SKIPPED
from services.kafka.partitions import partitions_of
from services.kafka.settings import KafkaSettings

log = logging.getLogger("triage.intake.log")


def remembered_from(message: object) -> tuple[str, Remembered] | None:
    """The index entry a triage event or result stands for (submission_id, outcome)."""
    match message:
        case ev.CaseTriaged():
            return message.submission_id, Remembered(
                "queued",
                message.case_id,
                message.region,
                message.urgency,
                rule_id=message.rule_id,
                language=message.language,
            )
        case ev.CaseReferred():
            return message.submission_id, Remembered("refer", None, message.region, reason=message.reason)
        case ev.TriageResult() if message.status != "invalid":
            return message.submission_id, Remembered(
                message.status, message.case_id, "", message.urgency, advice=message.advice
            )
    return None


class TriageLog:
    """Reads the three topics into a SubmissionIndex and a QueueView; ``ready`` once caught up."""

    def __init__(
        self,
        kafka: KafkaSettings,
        index: SubmissionIndex,
        view: QueueView,
        after_batch: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.kafka = kafka
        self.index = index
        self.view = view
        self.after_batch = after_batch  # once ready: act on what the view found (second-region cases)
        self.ready = asyncio.Event()
        self.records_read = 0
        self._act_again = False  # the last after_batch failed: try again even if nothing new arrives

    async def run(self) -> None:
        """Catch up, set ``ready``, then tail forever (cancel to stop)."""
        names: dict[str, codec.Decoder[Any]] = {
            self.kafka.topic(topics.TRIAGE_EVENTS.name): codec.TRIAGE_EVENTS,
            self.kafka.topic(topics.TRIAGE_RESULTS.name): codec.TRIAGE_RESULTS,
            self.kafka.topic(topics.QUEUE_EVENTS.name): codec.QUEUE_EVENTS,
        }
        consumer = AIOKafkaConsumer(
            **self.kafka.client_options(),
            group_id=None,
            fetch_max_wait_ms=self.kafka.fetch_max_wait_ms,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            parts = []
            for name in names:
                found = await self._partitions(consumer, name)
                parts += [TopicPartition(name, p) for p in found]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            end = await consumer.end_offsets(parts)
            pending = {tp for tp, off in end.items() if off > 0}
            if not pending:
                self.ready.set()
            while True:
                batch = await consumer.getmany(timeout_ms=200, max_records=1000)
                for tp, records in batch.items():
                    for record in records:
                        self._apply(tp.topic, names[tp.topic], record)
                    if tp in pending and records and records[-1].offset + 1 >= end[tp]:
                        pending.discard(tp)
                if pending and not self.ready.is_set():
                    # A partition whose position already reached its end offset is caught up too.
                    for tp in list(pending):
                        if await consumer.position(tp) >= end[tp]:
                            pending.discard(tp)
                if (batch or self._act_again) and self.ready.is_set():
                    await self._after_batch()
                if not pending and not self.ready.is_set():
                    log.info(
                        "submission index and queue view rebuilt: %d records read, %d submissions "
                        "remembered, %d unknown records skipped",
                        self.records_read,
                        len(self.index),
                        self.view.skipped,
                    )
                    self.ready.set()
                    await self._after_batch()
        finally:
            await consumer.stop()

    async def _after_batch(self) -> None:
        if self.after_batch is None:
            return
        try:
            await self.after_batch()
            self._act_again = False
        except Exception as exc:  # the tail must go on; the next poll (200 ms) tries again
            self._act_again = True
            log.warning(
                "acting on the queue view failed (%s: %s); retrying at the next poll",
                type(exc).__name__,
                exc,
            )

    async def _partitions(self, consumer: AIOKafkaConsumer, name: str) -> set[int]:
        found = await partitions_of(consumer, name)  # metadata may lag just after creation
        if found:
            return found
        raise RuntimeError(f"topic {name} not found: create the topics first (triage topics)")

    def _apply(self, topic: str, decoder: codec.Decoder[Any], record: Any) -> None:
        self.records_read += 1
        try:
            message = decoder.decode(record.value)
        except codec.DecodeError:
            # Not ours to dead-letter (the topic's consumers do that): a record type added by the
            # queue after this build, or a broken one. Counted, skipped, never fatal.
            self.view.skipped += 1
            kind = dict(record.headers or ()).get("ce_type", b"unknown")[:64].decode(errors="replace")
            prefix = f"{self.kafka.namespace}." if self.kafka.namespace else ""
            VIEW_SKIPPED.labels(topic.removeprefix(prefix), kind).inc()
            return
        entry = remembered_from(message)
        if entry is not None:
            self.index.remember(*entry)
        if isinstance(message, ev.CaseTriaged) or decoder is codec.QUEUE_EVENTS:
            self.view.apply(message)
