"""The queue's durability loop around the pure core: recover a partition, commit a batch.

``BatchCommitter`` is the one place that orders the effects of the write path:

1. decide the whole batch in memory (``decide_batch`` per partition);
2. append, per partition, the batch's event records and then ONE ``BatchCommitted``
   marker, and await all acknowledgements once (group commit);
3. only then send the side effects ``outputs_for`` derives from the committed events,
   and await their acknowledgements before the next batch is decided (so only the LAST
   committed batch of a partition can have unsent outputs, which recovery re-sends).

On a broker with transactions (Apache Kafka, ``QueueLog.atomic``) steps 2 and 3 of each
partition are one transaction of that partition's producer, and the outputs are sent
without waiting for the marker's ack (they become visible with it, or never); recovery
first ``own``s the partition, which fences its previous owner at the broker. A batch the
broker refuses because another worker fenced us (``PartitionFencedOut``) is void: the
partition is given up (``take_fenced``), the others go on. Without transactions (Tansu)
``begin``/``commit`` do nothing and the marker is the commit (docs/queue.md).

With ``overlap_writes`` (QUEUE_OVERLAP_WRITES, off by default), steps 2 and 3 run in the
background while the runtime fetches the next batch's inputs (reads only: the next poll
and the ListOffsets of the ordering rule); ``flush`` awaits them before anything else is
decided or written, so the order of writes is the same as one batch at a time (issue 11
follow-up; no gain measured on the busy test machine, docs/performance.md).

It talks to the broker only through ``QueueLog`` (``services/queue/kafka_log.py`` is the
aiokafka adapter; the unit tests use an in-memory fake that can crash after any write).
If a write fails the in-memory state is ahead of the log: the committer refuses further
work and the worker must exit (recovery rebuilds from the log).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol, TypeVar

from proto import events as ev
from services.queue.domain.batch import BatchCommit, Input, InputPosition, decide_batch, order_inputs
from services.queue.domain.outputs import Outputs
from services.queue.domain.recovery import LoggedRecord, Recovery, recover, replay_inputs
from services.queue.domain.snapshot import CHUNK_BYTES, SnapshotManifest, decode_snapshot, encode_snapshot
from services.queue.domain.state import QueueState

T = TypeVar("T")
log = logging.getLogger("triage.queue")


class QueueLog(Protocol):
    """What the committer needs from the broker (queue.events and the output topics).

    ``own``/``begin``/``commit`` are the transaction capability: on a broker with
    transactions (``atomic``) every batch of a partition is one transaction of that
    partition's producer, and ``own`` fences the partition's previous owner; without them
    (Tansu) they do nothing and the marker alone is the commit (docs/queue.md).
    """

    writer: str  # this worker process's id, stamped on every record it writes (triage-writer)

    @property
    def atomic(self) -> bool:
        """True once writes of a partition go in broker transactions (begin ... commit)."""

    async def own(self, partition: int) -> None:
        """Become the only writer of ``partition``: on Kafka, fences (and aborts) the previous owner."""

    async def release(self, partition: int) -> None:
        """Give ``partition``'s write channel up (it was revoked or taken over)."""

    async def begin(self, partition: int) -> None:
        """Start a transaction of ``partition``'s writes (no-op without transactions)."""

    async def commit(self, partition: int) -> None:
        """Commit it: everything since ``begin`` becomes visible to read-committed readers at once.

        Raises PartitionFencedOut if another worker took the partition over meanwhile.
        """

    async def read(self, partition: int, start: int = 0) -> list[LoggedRecord]:
        """Every record of queue.events ``partition`` from offset ``start``, in offset order."""

    async def append(self, commit: BatchCommit) -> tuple[int, int]:
        """Write the commit's event records, then its marker, to queue.events; return once acked.

        Returns (offset of its first record, offset after its marker).
        """

    async def send_outputs(self, outputs: Outputs, partition: int) -> None:
        """Send notices, TransferIn commands and contact tombstones of ``partition``'s batch; return once acked."""

    async def fence(self, partition: int, recovered_to: int) -> int:
        """Write a PartitionFenced(writer, recovered_to) to queue.events ``partition``; return its offset once acked."""


class SnapshotStore(Protocol):
    """Where snapshots of a partition's state live (a compacted topic on the broker)."""

    async def latest(self, partition: int) -> tuple[SnapshotManifest, list[bytes]] | None:
        """The newest manifest of ``partition`` whose chunks are all there, with its chunks; None if none."""

    async def write(self, manifest: SnapshotManifest, chunks: list[bytes]) -> None:
        """Write the chunks, then (all acked) the manifest, then tombstones for older snapshots' chunks."""


class PartitionFencedOut(RuntimeError):
    """Another worker owns this partition now: the broker refused our producer epoch."""

    def __init__(self, partition: int, cause: BaseException) -> None:
        super().__init__(f"partition {partition} was taken over by another worker ({cause!r})")
        self.partition = partition


class CommitterBroken(RuntimeError):
    """A write failed after the batch was decided in memory: the worker must restart."""


class BatchCommitter:
    """Owns the resume positions of the partitions this worker serves."""

    def __init__(
        self,
        log: QueueLog,
        state: QueueState,
        partition_of: Callable[[str], int],
        snapshots: SnapshotStore | None = None,
        snapshot_every: int = 5_000,
        snapshot_every_s: float | None = None,
        chunk_bytes: int = CHUNK_BYTES,
        observe: Callable[[str, float], None] | None = None,
        overlap_writes: bool = False,
    ) -> None:
        self.log = log
        self.overlap_writes = overlap_writes  # False: commit() returns only once the batch is written
        self.observe = observe or (lambda stage, seconds: None)  # stage timings (metrics)
        self.state = state
        self.partition_of = partition_of
        self.positions: dict[int, dict[str, int]] = {}
        self.replay_first: dict[int, list[InputPosition]] = {}
        self.broken: BaseException | None = None
        self.snapshots = snapshots
        self.snapshot_every = snapshot_every  # committed event records between two snapshots, at least
        self.snapshot_every_s = snapshot_every_s  # ... or this long, whichever comes first
        self.chunk_bytes = chunk_bytes
        # The offset after our own last record per partition, or None once another writer's
        # record showed up in between (we may have been fenced: take no snapshot in this life).
        self.tip: dict[int, int | None] = {}
        self._since: dict[int, tuple[int, float]] = {}  # events and monotonic time since the last snapshot
        self._writing: dict[int, asyncio.Task[None]] = {}  # the snapshot write in flight per partition
        # The last batch's writes (append, then outputs), acknowledged while the next batch is
        # fetched, and the (partition, events) that may take a snapshot once they are done.
        self._in_flight: asyncio.Future[None] | None = None
        self._after_outputs: list[tuple[int, int]] = []
        # Partitions whose batch the broker refused (another worker fenced us out), to forget
        # at the next flush; then reported to the runtime once (take_fenced) to stop reading them.
        self.fenced: set[int] = set()
        self.lost: set[int] = set()
        self.given_up: set[int] = set()  # fenced out in this life and not recovered since

    async def recover(self, partition: int) -> Recovery:
        """Rebuild ``partition`` from queue.events and re-send its last batch's outputs."""
        await self.flush()
        self._check()
        # First become the partition's only writer: on Kafka this fences the previous owner at
        # the broker (its open transaction is aborted, its later writes refused), so what we
        # read next is final. Without transactions the PartitionFenced below does it for recovery.
        await self._guarded(self.log.own(partition))
        self.fenced.discard(partition)
        self.given_up.discard(partition)
        start = await self._latest_snapshot(partition)
        records = await self.log.read(partition, start.next_offset if start else 0)
        if start is not None and any(
            isinstance(r.event, ev.PartitionFenced) and r.event.recovered_to < start.next_offset
            for r in records
        ):
            # An owner that read less than the snapshot covers fenced after it: the snapshot
            # holds records that owner's fence voids (its writer was a zombie). Fold it all.
            start = None
            records = await self.log.read(partition, 0)
        rec = recover(records, self.state.policy, start)
        # Before deciding anything here: declare what we read, so that writes of a dead
        # previous owner that land from now on are void for every later recovery too.
        end = records[-1].offset + 1 if records else (start.next_offset if start else 0)
        fenced_at = await self._guarded(self._in_transaction(partition, self.log.fence(partition, end)))
        if fenced_at > end:
            await self._adopt_late_orphans(partition, rec, end, fenced_at)
        self.tip[partition] = fenced_at + 1
        self._since[partition] = (len(records), time.monotonic())
        self.forget(partition)
        self.state.regions.update(rec.state.regions)
        self.positions[partition] = dict(rec.positions)
        self.replay_first[partition] = list(rec.replay_first)
        if rec.resend:
            await self._guard(self._in_transaction(partition, self.log.send_outputs(rec.resend, partition)))
        return rec

    async def _in_transaction(self, partition: int, aw: Awaitable[T]) -> T:
        """``aw``'s writes as one transaction of ``partition`` (just ``aw`` without transactions)."""
        await self.log.begin(partition)
        result = await aw
        await self.log.commit(partition)
        return result

    async def _adopt_late_orphans(self, partition: int, rec: Recovery, end: int, fenced_at: int) -> None:
        """Decide first, the same way, what a dead owner's in-flight writes decided.

        Records that landed between our read (``end``) and our fence are void for every later
        recovery, but other readers of queue.events (staff's serve-next answer, intake's view)
        may already have read them, e.g. a CaseCalled of a ServeNext. Their inputs go to the
        front of the first batch, in their order, like a visible orphan batch's, so that our
        committed answer equals what those readers saw (found by the late-landing property test:
        a more urgent arrival otherwise took the call). Markers among them commit nothing.
        """
        late = [r for r in await self._guarded(self.log.read(partition, end)) if r.offset < fenced_at]
        adopted = replay_inputs(late, rec.positions, rec.replay_first)
        rec.replay_first += adopted
        rec.orphans += len(adopted)
        rec.late += len(adopted)

    async def flush(self) -> None:
        """Wait until the last batch is appended and its outputs acknowledged; then take due snapshots.

        Raises (and breaks the committer) if a write failed: the worker must restart, and
        recovery rebuilds from the log (replaying an uncommitted batch's inputs, re-sending the
        last committed batch's outputs).
        """
        task, self._in_flight = self._in_flight, None
        if task is not None:
            await self._guard(task)
        for partition in sorted(self.fenced):
            self.forget(partition)
            await self.log.release(partition)
            self.lost.add(partition)
            self.given_up.add(partition)
        self.fenced.clear()
        due, self._after_outputs = self._after_outputs, []
        for partition, events in due:  # after the outputs: nothing a snapshot covers has unsent outputs
            await self._maybe_snapshot(partition, events)

    async def settle(self) -> None:
        """Wait for the outputs and snapshot writes in flight (a clean stop leaves no chunk without its manifest)."""
        try:
            await self.flush()
        except Exception as exc:  # the next owner's recovery replays or re-sends what is missing
            log.warning("the last batch's writes were not all acknowledged at stop: %r", exc)
        pending = [t for t in self._writing.values() if not t.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    def forget(self, partition: int) -> None:
        """Drop the regions of a partition this worker no longer owns."""
        writing = self._writing.pop(partition, None)
        if writing is not None:
            writing.cancel()  # not ours any more: the next owner snapshots it
        self._after_outputs = [(p, n) for p, n in self._after_outputs if p != partition]
        for region in [r for r in self.state.regions if self.partition_of(r) == partition]:
            del self.state.regions[region]
        self.positions.pop(partition, None)
        self.replay_first.pop(partition, None)

    def must_read_up_to(self, partition: int) -> dict[str, int]:
        """The offset per topic the first batch after recovery must include (orphans' inputs)."""
        need: dict[str, int] = {}
        for pos in self.replay_first.get(partition, ()):
            need[pos.topic] = max(need.get(pos.topic, 0), pos.offset + 1)
        return need

    async def commit(self, inputs: Mapping[int, Sequence[Input]]) -> list[BatchCommit]:
        """Decide one batch over several partitions in memory, then write it.

        The batch's write path: append events + markers, await their acks, only then send its
        outputs and await those acks. Without ``overlap_writes`` it is done when this returns.
        With it, it runs in the background while the runtime fetches the next batch's inputs
        (reads only); ``flush`` waits for it, and the next ``commit`` (like ``recover``, a
        revocation or an idle poll) flushes before it decides anything, so the writes and acks
        happen in exactly the order of one batch at a time.
        """
        await self.flush()
        self._check()
        started = time.perf_counter()
        batch_id = uuid.uuid4().hex[:16]
        commits = []
        for partition, items in inputs.items():
            if partition in self.given_up:
                continue  # fenced out meanwhile (flush above forgot it): not ours to decide
            positions = self.positions[partition]
            replay = self.replay_first.get(partition, [])
            ordered = order_inputs(items, positions, replay)
            if replay and {p for p in replay} - {i.position for i in ordered}:
                raise ValueError(
                    f"partition {partition}: the first batch after recovery must include "
                    f"the inputs of the uncommitted batch {replay}"
                )
            if ordered:
                commits.append(decide_batch(self.state, partition, ordered, batch_id, positions))
        decided = time.perf_counter()
        self.observe("decide", decided - started)
        if commits:
            self._in_flight = asyncio.ensure_future(self._write(commits))
            self._in_flight.add_done_callback(self._note_failure)
            if not self.overlap_writes:
                await self.flush()
        return commits

    async def _write(self, commits: list[BatchCommit]) -> None:
        """Write each partition's part of the batch (concurrently); a fenced partition is given up."""
        results = await asyncio.gather(*(self._write_one(c) for c in commits), return_exceptions=True)
        self._after_outputs = []
        for c, result in zip(commits, results, strict=True):
            if isinstance(result, PartitionFencedOut):
                # Another worker took the partition over while we stalled: the broker refused
                # (and aborted) this batch, so nothing of it is visible. Our state of the
                # partition is ahead of the log and no longer ours: flush() drops it.
                log.warning("%s; giving it up (the batch decided for it is void)", result)
                self.fenced.add(c.partition)
                continue
            if isinstance(result, BaseException):
                raise result
            first, after = result
            tip = self.tip.get(c.partition)
            # a transaction's commit marker takes one offset after its records
            self.tip[c.partition] = after if tip is not None and first == tip + self._gap() else None
            self.positions[c.partition] = dict(c.marker.positions)
            self.replay_first[c.partition] = []
            self._after_outputs.append((c.partition, len(c.entries)))

    async def _write_one(self, c: BatchCommit) -> tuple[int, int]:
        """One partition's events, marker and outputs; returns the span its records took on queue.events.

        With transactions they are one transaction: the outputs are sent without waiting for
        the marker's ack (read-committed readers see them with the marker or never), so a
        batch costs AddPartitionsToTxn + Produce + EndTxn. Without, a call goes out only
        after its batch's marker is acknowledged (Produce, then Produce).
        """
        started = time.perf_counter()
        appended = started

        async def append() -> tuple[int, int]:
            nonlocal appended
            span = await self.log.append(c)
            appended = time.perf_counter()
            self.observe("append", appended - started)
            return span

        await self.log.begin(c.partition)
        if self.log.atomic:
            span, _ = await asyncio.gather(append(), self.log.send_outputs(c.outputs, c.partition))
        else:
            span = await append()
            if c.outputs:  # a call goes out only now, after its batch's marker is durable
                await self.log.send_outputs(c.outputs, c.partition)
        await self.log.commit(c.partition)
        self.observe("outputs", time.perf_counter() - appended)  # with transactions: the EndTxn included
        return span

    def _gap(self) -> int:
        return 1 if self.log.atomic else 0

    def take_fenced(self) -> set[int]:
        """Partitions another worker fenced us out of since the last call (already forgotten)."""
        lost, self.lost = self.lost, set()
        return lost

    def _note_failure(self, task: asyncio.Future[None]) -> None:
        """A failed write breaks the committer at once (also while no batch follows)."""
        if not task.cancelled() and task.exception() is not None and self.broken is None:
            self.broken = task.exception()

    def check(self) -> None:
        """Raise CommitterBroken if a write failed (the runtime polls this between batches)."""
        self._check()

    async def _latest_snapshot(self, partition: int) -> Recovery | None:
        """The newest complete snapshot of ``partition`` as a starting point, or None (fold the whole log)."""
        if self.snapshots is None:
            return None
        found = await self._guarded(self.snapshots.latest(partition))
        if found is None:
            return None
        manifest, chunks = found
        try:
            start = decode_snapshot(chunks, self.state.policy)
        except ValueError:
            return None  # a corrupt snapshot costs time, not correctness
        start.owner = manifest.writer
        start.snapshot_covers = (
            manifest.covers
        )  # the owner at ``covers``: others' records after it are late writes
        return start

    async def _maybe_snapshot(self, partition: int, events: int) -> None:
        """Start a snapshot of ``partition`` when enough events or time passed since the last one.

        The state is encoded here, on the loop, between two batches (that pause is measured,
        docs/performance.md); the chunks are written in the background, so the next batches
        do not wait for the broker. One snapshot per partition in flight at a time.
        """
        count, since = self._since.get(partition, (0, time.monotonic()))
        count += events
        regions = [r for r in self.state.regions if self.partition_of(r) == partition]
        cases = sum(len(self.state.regions[r].cases) for r in regions)
        # Encoding costs O(cases): waiting for at least cases/2 new events keeps that cost per
        # event bounded, and the tail recovery folds after a snapshot at most that long.
        due = count >= max(self.snapshot_every, cases // 2) or (
            self.snapshot_every_s is not None and time.monotonic() - since >= self.snapshot_every_s
        )
        covers = self.tip.get(partition)
        busy = partition in self._writing and not self._writing[partition].done()
        if self.snapshots is None or not due or covers is None or busy:
            self._since[partition] = (count, since)
            return
        started = time.perf_counter()
        chunks = encode_snapshot(
            self.state, regions, partition, covers, self.positions[partition], self.chunk_bytes
        )
        encode_ms = (time.perf_counter() - started) * 1000
        manifest = SnapshotManifest(uuid.uuid4().hex[:16], partition, covers, len(chunks), self.log.writer)
        self._since[partition] = (0, time.monotonic())
        self._writing[partition] = asyncio.create_task(
            self._write_snapshot(manifest, chunks, cases, encode_ms)
        )

    async def _write_snapshot(
        self, manifest: SnapshotManifest, chunks: list[bytes], cases: int, encode_ms: float
    ) -> None:
        assert self.snapshots is not None
        started = time.perf_counter()
        try:
            await self.snapshots.write(manifest, chunks)
        except Exception as exc:  # a snapshot is an optimisation: the log still holds everything
            log.warning(
                "snapshot of partition %d not written (%r); the next one is due after the same interval",
                manifest.partition,
                exc,
            )
            return
        log.info(
            "snapshot of partition %d covering queue.events offset %d: %d cases, %d bytes in %d chunks; "
            "encode %.1f ms (the loop's pause), write %.1f ms (in the background)",
            manifest.partition,
            manifest.covers,
            cases,
            sum(map(len, chunks)),
            len(chunks),
            encode_ms,
            (time.perf_counter() - started) * 1000,
        )

    async def _guarded(self, aw: Awaitable[T]) -> T:
        try:
            return await aw
        except BaseException as exc:
            self.broken = exc
            raise

    async def _guard(self, aw: object) -> None:
        try:
            await aw  # type: ignore[misc]
        except BaseException as exc:
            self.broken = exc
            raise

    def _check(self) -> None:
        if self.broken is not None:
            raise CommitterBroken(
                f"a write failed earlier ({self.broken!r}); restart the worker"
            ) from self.broken
