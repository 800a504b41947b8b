"""Rebuilding and tailing intake's memory from Kafka: decided submissions and the queue's state.

At start intake reads ``triage.events`` (CaseTriaged / CaseReferred, with their
submission_id), ``triage.results`` (the answers Kafka submitters got) and ``queue.events``
(the queue's decisions) from the beginning up to the end offsets seen at start; only then
is it ready. It then keeps tailing all three, so several intake processes and replicas learn
each other's decisions and the queue's, with no HTTP call to the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from proto import codec, topics
from proto import events as ev
from services.intake.domain.queue_view import QueueView
from services.intake.domain.submission_index import Remembered, SubmissionIndex
from services.intake.metrics import VIEW_SKIPPED
from services.kafka.settings import KafkaSettings
from services.kafka.tail import LogTail

log = logging.getLogger("triage.intake.log")
_DECODERS: dict[str, codec.Decoder[Any]] = {
    topics.TRIAGE_EVENTS.name: codec.TRIAGE_EVENTS,
    topics.TRIAGE_RESULTS.name: codec.TRIAGE_RESULTS,
    topics.QUEUE_EVENTS.name: codec.QUEUE_EVENTS,
    topics.QUEUE_FORECASTS.name: codec.WAIT_FORECASTS,  # the forecaster's ranges
}


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
                digest=message.request_digest,
            )
        case ev.CaseReferred():
            return message.submission_id, Remembered(
                "refer", None, message.region, reason=message.reason, digest=message.request_digest
            )
        case ev.TriageResult() if message.status != "invalid":
            return message.submission_id, Remembered(
                message.status,
                message.case_id,
                "",
                message.urgency,
                advice=message.advice,
                digest=message.request_digest,
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
        self._tail = LogTail(kafka, tuple(_DECODERS))
        self.ready = self._tail.ready
        self.records_read = 0
        self._act_again = False  # the last after_batch failed: try again even if nothing new arrives

    async def run(self) -> None:
        """Catch up, set ``ready``, then tail forever (cancel to stop)."""
        await self._tail.run(self._on_batch, self._on_ready)

    async def _on_batch(self, records: list[tuple[str, Any]]) -> None:
        for name, record in records:
            self._apply(name, record)
        if (records or self._act_again) and self.ready.is_set():
            await self._after_batch()

    async def _on_ready(self) -> None:
        log.info(
            "submission index and queue view rebuilt: %d records read, %d submissions "
            "remembered, %d unknown records skipped",
            self.records_read,
            len(self.index),
            self.view.skipped,
        )
        await self._after_batch()

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

    def _apply(self, name: str, record: Any) -> None:
        self.records_read += 1
        decoder = _DECODERS[name]
        try:
            message = decoder.decode(record.value)
        except codec.DecodeError:
            # Not ours to dead-letter (the topic's consumers do that): a record type added by the
            # queue after this build, or a broken one. Counted, skipped, never fatal.
            self.view.skipped += 1
            kind = dict(record.headers or ()).get("ce_type", b"unknown")[:64].decode(errors="replace")
            VIEW_SKIPPED.labels(name, kind).inc()
            return
        entry = remembered_from(message)
        if entry is not None:
            self.index.remember(*entry)
        if isinstance(message, ev.CaseTriaged) or decoder in (codec.QUEUE_EVENTS, codec.WAIT_FORECASTS):
            self.view.apply(message)
