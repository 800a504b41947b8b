"""Rebuilding and tailing intake's memory from Kafka: decided submissions and the queue's state.

At start intake loads the newest snapshot of its read model (``view_snapshots.py``), then reads
``triage.events`` (CaseTriaged / CaseReferred, with their submission_id), ``triage.results``
(the answers Kafka submitters got), ``queue.events`` (the queue's decisions) and
``queue.forecasts`` from the offsets it covers (from the beginning without one) up to the end
offsets seen at start; only then is it ready. It then keeps tailing them, so several intake
processes and replicas learn each other's decisions and the queue's, with no HTTP call to the
queue. Between batches it drops what outlived the retention and takes the snapshots.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from proto import codec, topics
from proto import events as ev
from services.intake.domain.queue_view import QueueView
from services.intake.domain.submission_index import Remembered, SubmissionIndex
from services.intake.metrics import VIEW_SKIPPED
from services.intake.view_snapshots import Covers, ViewSnapshots
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
        snapshots: ViewSnapshots | None = None,
        adopt: Callable[[SubmissionIndex, QueueView], None] | None = None,
    ) -> None:
        self.kafka = kafka
        self.index = index
        self.view = view
        self.after_batch = after_batch  # once ready: act on what the view found (second-region cases)
        self.snapshots = snapshots  # None: read from the beginning, take none
        self.adopt = adopt  # hands the index and view loaded from a snapshot to their users
        self._tail = LogTail(kafka, tuple(_DECODERS))
        self.ready = self._tail.ready
        self.records_read = 0
        self._positions: dict[tuple[str, int], int] = {}  # the offset after the last record folded
        self._act_again = False  # the last after_batch failed: try again even if nothing new arrives

    async def run(self) -> None:
        """Load the newest snapshot, catch up, set ``ready``, then tail forever (cancel to stop)."""
        if self.snapshots is not None:
            index, view, covers = await self.snapshots.start_point(self._new_index, self._new_view)
            for key, offset in covers.items():
                topic, partition = key.rsplit(":", 1)
                self._positions[topic, int(partition)] = offset
            self.index, self.view = index, view
            if self.adopt is not None:
                self.adopt(index, view)
        await self._tail.run(self._on_batch, self._on_ready, start=dict(self.covers))

    @property
    def covers(self) -> Covers:
        """``"<contract topic>:<partition>"`` -> the offset after the last record folded."""
        return {f"{topic}:{partition}": offset for (topic, partition), offset in self._positions.items()}

    def _new_index(self) -> SubmissionIndex:
        return SubmissionIndex(self.index.max_entries, self.index.retention_s)

    def _new_view(self) -> QueueView:
        v = self.view
        return QueueView(v.max_finished, v.max_event_ids, v.rate_window_s, v.retention_s)

    async def _on_batch(self, records: list[tuple[str, Any]]) -> None:
        for name, record in records:
            self._apply(name, record)
            self._positions[name, record.partition] = record.offset + 1
        now = time.time()  # the wall clock, every poll: a quiet log still ages its entries out
        self.index.expire(now)  # O(dropped): one look at the oldest bucket when nothing is due
        if self.ready.is_set():
            # Not while catching up: the topics are read side by side, so a case's CaseTriaged
            # may come after its CaseClosed, and would bring a forgotten case back as pending.
            self.view.expire(now)
        if (records or self._act_again) and self.ready.is_set():
            await self._after_batch()
        if self.snapshots is not None and self.ready.is_set():
            await self.snapshots.maybe_take(self.index, self.view, self.covers)

    async def _on_ready(self) -> None:
        self.view.expire(time.time())  # every record up to the start's ends is folded: safe now
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
            self.index.remember(*entry, at=_decided_at(message, record))
        if isinstance(message, ev.CaseTriaged) or decoder in (codec.QUEUE_EVENTS, codec.WAIT_FORECASTS):
            self.view.apply(message)


def _decided_at(message: object, record: Any) -> float:
    """When a submission was decided: the event's time, else the record's (broker) time."""
    if isinstance(message, ev.Message):
        return message.occurred_at.timestamp()
    return float(record.timestamp) / 1000.0 if record.timestamp is not None else time.time()
