"""Snapshots of the partitions a worker owns: when to take one, and where recovery may start.

The format is pure (``domain/snapshot.py``); the topic is ``snapshot_store.py``. This module
decides when (after a batch's outputs are acknowledged, once max(``every`` events, a quarter
of the partition's cases) or ``every_s`` seconds have passed), has the state encoded at that batch
boundary and writes the chunks in the background, one snapshot per partition at a time. The
encoding runs in a forked child (``snapshot_encoder.py``: the loop pauses only for the fork)
or, with ``fork=False`` (unit tests, QUEUE_SNAPSHOT_ENCODER=inline), on the loop. A failed
encoding or write costs a longer tail, nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping

from services.observability.gc_pauses import collector_paused
from services.queue.domain.recovery import Recovery
from services.queue.domain.snapshot import CHUNK_BYTES, decode_snapshot, snapshot_bytes
from services.queue.domain.state import QueueState
from services.queue.metrics import SNAPSHOT_BYTES, SNAPSHOT_PAUSE, SNAPSHOT_TAIL, SNAPSHOTS
from services.queue.queue_log import SnapshotStore
from services.snapshot_encoder import SnapshotEncoding

log = logging.getLogger("triage.queue")

# A snapshot is due after at least 1/TAIL_SHARE of the partition's case count in new events: the
# encoding (in the forked child) costs ~TAIL_SHARE x its per-case cost per event, and a recovery
# folds a tail of at most that share. 2 (half) left a queue filled with 1M cases in two minutes
# a 340k-record tail, 12.9 s from kill -9 to answering on Kafka; 4 halves that tail
# (docs/performance.md, issue 24).
TAIL_SHARE = 4


class SnapshotSchedule:
    """Takes the snapshots of one worker's partitions; finds the one recovery starts from."""

    def __init__(
        self,
        store: SnapshotStore | None,
        state: QueueState,
        partition_of: Callable[[str], int],
        every: int = 5_000,
        every_s: float | None = None,
        chunk_bytes: int = CHUNK_BYTES,
        fork: bool = False,
    ) -> None:
        self.store = store
        self.fork = fork and hasattr(os, "fork")  # encode in a forked child (the worker's default)
        self.state = state
        self.partition_of = partition_of
        self.every = every  # committed event records between two snapshots, at least
        self.every_s = every_s  # ... or this long, whichever comes first
        self.chunk_bytes = chunk_bytes
        self._since: dict[int, tuple[int, float]] = {}  # events and monotonic time since the last snapshot
        self._writing: dict[int, asyncio.Task[None]] = {}  # the snapshot write in flight per partition
        # event records committed after the latest written snapshot, per partition (the metric
        # triage_queue_snapshot_tail_records: what a recovery would fold after it)
        self._tail: dict[int, int] = {}

    async def latest(self, partition: int, stages: dict[str, float] | None = None) -> Recovery | None:
        """The newest complete snapshot of ``partition`` as a starting point, or None (fold the whole log).

        ``stages`` (if given) gets the seconds spent reading (``snapshot_read``) and decoding
        (``snapshot_decode``) it and its size (``snapshot_bytes``): the recovery log line shows them.
        """
        if self.store is None:
            return None
        started = time.perf_counter()
        found = await self.store.latest(partition)
        read_s = time.perf_counter() - started
        if stages is not None:
            stages["snapshot_read"] = read_s
        if found is None:
            return None
        manifest, chunks = found
        started = time.perf_counter()
        try:
            with collector_paused():  # a decoded snapshot holds no garbage: no collection walks it
                start = decode_snapshot(chunks, self.state.policy)
        except ValueError:
            return None  # a corrupt snapshot costs time, not correctness
        if stages is not None:
            stages["snapshot_decode"] = time.perf_counter() - started
            stages["snapshot_bytes"] = sum(map(len, chunks))
        start.owner = manifest.writer
        start.snapshot_covers = (
            manifest.covers
        )  # the owner at ``covers``: others' records after it are late writes
        return start

    def recovered(self, partition: int, events: int) -> None:
        """``partition`` was just rebuilt from ``events`` records: they count towards the next snapshot."""
        self._since[partition] = (events, time.monotonic())
        self._set_tail(partition, events)

    def _set_tail(self, partition: int, records: int) -> None:
        self._tail[partition] = records
        SNAPSHOT_TAIL.labels(str(partition)).set(records)

    def forget(self, partition: int) -> None:
        """Not ours any more: the next owner snapshots it."""
        writing = self._writing.pop(partition, None)
        if writing is not None:
            writing.cancel()
        self._tail.pop(partition, None)
        for gauge in (SNAPSHOT_TAIL, SNAPSHOT_BYTES):  # another worker reports it now
            try:
                gauge.remove(str(partition))
            except KeyError:
                pass

    async def settle(self) -> None:
        """Wait for the snapshot writes in flight (a clean stop leaves no chunk without its manifest)."""
        pending = [t for t in self._writing.values() if not t.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    def after_outputs(
        self,
        partition: int,
        events: int,
        covers: int | None,
        positions: Mapping[str, int],
        state_is_log: bool = True,
    ) -> bool:
        """``events`` more were committed and their outputs acknowledged: start a snapshot if one is due.

        ``covers``: the offset after this worker's last record on queue.events ``partition``, or
        None when another writer's record showed up since our fence (we may be a zombie: no snapshot).
        ``state_is_log`` False: the next batch is already decided in memory (the pipelined write
        path), so the state holds uncommitted decisions; returns True if a snapshot is due anyway
        (the caller calls again, with 0 events, once the state equals the log).
        """
        count, since = self._since.get(partition, (0, time.monotonic()))
        count += events
        if events:
            self._set_tail(partition, self._tail.get(partition, 0) + events)
        regions = [r for r in self.state.regions if self.partition_of(r) == partition]
        cases = sum(len(self.state.regions[r].cases) for r in regions)
        # Encoding costs O(cases): waiting for at least cases/TAIL_SHARE new events keeps that
        # cost per event bounded, and the tail recovery folds after a snapshot at most that long.
        due = count >= max(self.every, cases // TAIL_SHARE) or (
            self.every_s is not None and time.monotonic() - since >= self.every_s
        )
        busy = partition in self._writing and not self._writing[partition].done()
        if self.store is None or not due or covers is None or busy or not state_is_log:
            self._since[partition] = (count, since)
            return self.store is not None and due and covers is not None and not busy
        pos = dict(positions)
        try:  # forked: the child sees the state as it is now, at the batch boundary
            encoding = SnapshotEncoding(
                lambda: snapshot_bytes(self.state, regions, partition, covers, pos),
                self.chunk_bytes,
                self.fork,
            )
        except OSError as exc:
            log.warning(
                "snapshot of partition %d not taken: fork failed (%r); retried after the interval",
                partition,
                exc,
            )
            SNAPSHOTS.labels("failed").inc()
            self._since[partition] = (0, time.monotonic())
            return False
        SNAPSHOT_PAUSE.observe(encoding.pause_ms / 1000)
        self._since[partition] = (0, time.monotonic())
        covered = self._tail.get(partition, 0)  # what this snapshot covers of the tail, once written
        self._writing[partition] = asyncio.create_task(
            self._write(uuid.uuid4().hex[:16], partition, covers, encoding, cases, covered)
        )
        return False

    async def _write(
        self,
        snapshot_id: str,
        partition: int,
        covers: int,
        encoding: SnapshotEncoding,
        cases: int,
        covered: int,
    ) -> None:
        assert self.store is not None
        try:
            chunks = await encoding.chunks()
            started = time.perf_counter()
            await self.store.write(snapshot_id, partition, covers, chunks)
        except Exception as exc:  # a snapshot is an optimisation: the log still holds everything
            log.warning(
                "snapshot of partition %d not written (%r); the next one is due after the same interval",
                partition,
                exc,
            )
            SNAPSHOTS.labels("failed").inc()
            return
        SNAPSHOTS.labels("written").inc()
        SNAPSHOT_BYTES.labels(str(partition)).set(sum(map(len, chunks)))
        if partition in self._tail:  # still ours: the records up to the snapshot are covered now
            self._set_tail(partition, max(0, self._tail[partition] - covered))
        log.info(
            "snapshot of partition %d covering queue.events offset %d: %d cases, %d bytes in %d chunks; %s",
            partition,
            covers,
            cases,
            sum(map(len, chunks)),
            len(chunks),
            encoding.timing((time.perf_counter() - started) * 1000),
        )
