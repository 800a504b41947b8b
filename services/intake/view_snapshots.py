"""Intake's bounded start: snapshots of its read model on ``intake.snapshots``, and the start from one.

The format is pure (``domain/view_snapshot.py``); the topic protocol (chunks, then a manifest
written last, tombstones) is the queue's, shared (``services/kafka/snapshot_topic.py``).

**When.** Between two batches of the tail, once caught up, when ``every_s`` (INTAKE_SNAPSHOT_EVERY_S,
times a random 1..1.25 so replicas drift apart) has passed and records arrived since the last.
The model is encoded in a forked child (``services/snapshot_encoder.py``, shared with the queue):
the loop pauses only for the fork, which sees the model as it is between those two batches; with
INTAKE_SNAPSHOT_ENCODER=inline (or no ``fork`` on the platform) it is encoded on the loop, a pause
that grows with the model (both measured in docs/perf/intakeview.md). The chunks are written by a
background task, one at a time. A failed fork, encoding or write costs a longer tail.

**Several processes and replicas: about one writes.** Before encoding, a process reads the last
manifest on the topic; if anyone (itself or another replica) wrote one less than ``every_s`` ago
it skips this turn. Two that decide at the same moment both write: harmless, since every
snapshot is a fold of the same log (provisional decisions are left out, and events this process
applied ahead of the log are deduplicated by event id when the tail reads them), so each is a
valid start for any replica, and the last manifest wins.

**Start.** Load the newest complete snapshot into a new index and view and read the topics from
the offsets it covers; none, a corrupt one or one of another format: read from the beginning,
with a log line saying why.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
import time
import uuid
from collections.abc import Callable

from aiokafka import AIOKafkaProducer

from proto import codec, topics
from proto import events as ev
from services.intake.domain.queue_view import QueueView
from services.intake.domain.submission_index import SubmissionIndex
from services.intake.domain.view_snapshot import CHUNK_BYTES, FORMAT, decode_view, view_bytes
from services.intake.metrics import VIEW_SNAPSHOT_NEWEST, VIEW_SNAPSHOT_PAUSE, VIEW_SNAPSHOTS
from services.kafka.settings import KafkaSettings
from services.kafka.snapshot_topic import SnapshotTopic
from services.snapshot_encoder import SnapshotEncoding

log = logging.getLogger("triage.intake.snapshots")
_MANIFEST = codec.Decoder[ev.IntakeSnapshotManifest](ev.IntakeSnapshotManifest)
Covers = dict[str, int]  # "<contract topic>:<partition>" -> the offset after the last record folded


class ViewSnapshots:
    """Takes intake's snapshots and finds the one a start begins from."""

    def __init__(
        self,
        kafka: KafkaSettings,
        producer: AIOKafkaProducer,
        every_s: float,
        writer: str = "",
        fork: bool = False,
    ) -> None:
        self.every_s = every_s  # 0: never write (a start still reads the newest)
        self.fork = fork and hasattr(os, "fork")  # encode in a forked child (the service's default)
        self.writer = writer or uuid.uuid4().hex[:12]
        self.topic = SnapshotTopic(kafka, topics.INTAKE_SNAPSHOTS.name, lambda: producer, "/triage/intake")
        self._next = time.monotonic() + self._interval()
        self._writing: asyncio.Task[None] | None = None
        self.written = 0

    def _interval(self) -> float:
        return self.every_s * random.uniform(1.0, 1.25)

    async def stop(self) -> None:
        if self._writing is not None:
            await asyncio.gather(self._writing, return_exceptions=True)  # no chunk without its manifest
        await self.topic.stop()

    async def start_point(
        self, new_index: Callable[[], SubmissionIndex], new_view: Callable[[], QueueView]
    ) -> tuple[SubmissionIndex, QueueView, Covers]:
        """A new index and view loaded from the newest snapshot, and the offsets to read on from;
        empty ones and no offsets when there is none to use (read from the beginning)."""
        started = time.perf_counter()
        try:
            found = await self.topic.latest(_MANIFEST)
        except Exception as exc:  # a snapshot is an optimisation: the topics still hold everything
            log.warning("no intake snapshot read (%r): reading the topics from the start", exc)
            return new_index(), new_view(), {}
        if found is None:
            log.info("no intake snapshot yet: reading the topics from the start")
            return new_index(), new_view(), {}
        manifest, chunks = found
        VIEW_SNAPSHOT_NEWEST.set(manifest.taken_at.timestamp())
        index, view = new_index(), new_view()
        try:
            if manifest.format != FORMAT:
                raise ValueError(f"snapshot format {manifest.format}, this build reads {FORMAT}")
            decode_view(chunks, index, view)
        except Exception as exc:  # corrupt or of another build: slower, never wrong
            log.warning(
                "intake snapshot %s not used (%s): reading the topics from the start",
                manifest.snapshot_id,
                exc,
            )
            return new_index(), new_view(), {}
        log.info(
            "intake snapshot %s of %s loaded in %.0f ms: %d bytes, %d submissions, %d cases; "
            "reading the topics from the offsets it covers",
            manifest.snapshot_id,
            manifest.taken_at.isoformat(),
            (time.perf_counter() - started) * 1000,
            sum(map(len, chunks)),
            len(index),
            len(view._cases),
        )
        return index, view, dict(manifest.covers)

    async def maybe_take(self, index: SubmissionIndex, view: QueueView, covers: Covers) -> None:
        """Take a snapshot if one is due and nobody took one lately (the write goes on in the background)."""
        now = time.monotonic()
        if self.every_s <= 0 or now < self._next or (self._writing is not None and not self._writing.done()):
            return
        self._next = now + self._interval()
        try:
            last = await self.topic.last_manifest(_MANIFEST)
        except Exception as exc:
            log.warning("intake.snapshots not readable (%r); no snapshot this turn", exc)
            VIEW_SNAPSHOTS.labels("failed").inc()
            return
        if last is not None:
            VIEW_SNAPSHOT_NEWEST.set(last.taken_at.timestamp())
            if last.covers == covers:
                return  # nothing new since (an idle system writes no snapshots)
            age = (dt.datetime.now(dt.UTC) - last.taken_at).total_seconds()
            if last.writer != self.writer and age < self.every_s * 0.9:
                return  # another replica wrote one lately
        try:  # forked: the child sees the model as it is now, between two batches of the tail
            encoding = SnapshotEncoding(lambda: view_bytes(index, view), CHUNK_BYTES, self.fork)
        except OSError as exc:
            log.warning("intake snapshot not taken: fork failed (%r); retried after the interval", exc)
            VIEW_SNAPSHOTS.labels("failed").inc()
            return
        VIEW_SNAPSHOT_PAUSE.observe(encoding.pause_ms / 1000)
        self._writing = asyncio.create_task(self._write(encoding, dict(covers), len(index)))

    async def _write(self, encoding: SnapshotEncoding, covers: Covers, submissions: int) -> None:
        snapshot_id = uuid.uuid4().hex[:16]
        taken_at = dt.datetime.now(dt.UTC)
        try:
            chunks = await encoding.chunks()
            started = time.perf_counter()
            await self.topic.write(
                snapshot_id,
                chunks,
                lambda **fields: ev.IntakeSnapshotManifest(**fields),  # the manifest, built here
                {"covers": covers, "writer": self.writer, "taken_at": taken_at, "format": FORMAT},
            )
        except Exception as exc:  # a snapshot is an optimisation: the topics still hold everything
            log.warning("intake snapshot not written (%r); the next one is due after the same interval", exc)
            VIEW_SNAPSHOTS.labels("failed").inc()
            return
        self.written += 1
        VIEW_SNAPSHOTS.labels("written").inc()
        VIEW_SNAPSHOT_NEWEST.set(taken_at.timestamp())
        log.info(
            "intake snapshot %s: %d submissions, %d bytes in %d chunks; %s",
            snapshot_id,
            submissions,
            sum(map(len, chunks)),
            len(chunks),
            encoding.timing((time.perf_counter() - started) * 1000),
        )
