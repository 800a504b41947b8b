"""The queue's write path: decide a batch in memory, append it, then send its outputs.

``BatchCommitter`` is the one place that orders the effects of the write path:

1. decide the whole batch in memory (``decide_batch`` per partition);
2. append, per partition, the batch's event records and then ONE ``BatchCommitted``
   marker, and await all acknowledgements once (group commit);
3. only then send the side effects ``outputs_for`` derives from the committed events,
   and await their acknowledgements before the next batch's writes start (so only the
   LAST committed batch of a partition can have unsent outputs, which recovery re-sends).

Pipelined (issue 24): steps 2 and 3 of batch N run in the background while the runtime
fetches batch N+1 and ``commit`` decides it in memory (step 1, on a state that already holds
N's decisions); N+1's writes start only once N's are all acknowledged. The log is written in
exactly the order of one batch at a time; only the in-memory state runs up to one batch
further ahead (docs/queue.md, "Pipelined write path"). If N's writes fail, N+1 is never
written and the worker exits; if N is fenced on a partition, N+1's decisions there are void
and the partition is given up.

On a broker with transactions (Apache Kafka, ``QueueLog.atomic``) steps 2 and 3 of each
partition are one transaction of that partition's producer, and the outputs are sent
without waiting for the marker's ack (they become visible with it, or never); recovery
first ``own``s the partition, which fences its previous owner at the broker. A batch the
broker refuses because another worker fenced us (``PartitionFencedOut``) is void: the
partition is given up (``take_fenced``), the others go on. Without transactions (Tansu)
``begin``/``commit`` do nothing and the marker is the commit (docs/queue.md).

It talks to the broker only through ``QueueLog`` (``queue_log.py``; ``kafka_log.py`` is the
aiokafka adapter; the unit tests use an in-memory fake that can crash after any write).
Recovery of a partition is ``recovery.py`` (the edge half; the fold is ``domain/recovery.py``),
snapshots are ``snapshots.py``; ``BatchCommitter`` holds what they share per partition (the
resume positions, the inputs to replay first, our last offset on queue.events).
If a write fails the in-memory state is ahead of the log: the committer refuses further
work and the worker must exit (recovery rebuilds from the log).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from services.queue.domain.batch import BatchCommit, Input, InputPosition, decide_batch, order_inputs
from services.queue.domain.recovery import Recovery
from services.queue.domain.snapshot import CHUNK_BYTES
from services.queue.domain.state import QueueState
from services.queue.queue_log import PartitionFencedOut, QueueLog, SnapshotStore, in_transaction
from services.queue.recovery import recover_partition
from services.queue.snapshots import SnapshotSchedule

T = TypeVar("T")
log = logging.getLogger("triage.queue")


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
    ) -> None:
        self.log = log
        self.observe = observe or (lambda stage, seconds: None)  # stage timings (metrics)
        self.state = state
        self.partition_of = partition_of
        self.positions: dict[int, dict[str, int]] = {}  # after the last batch written (committed)
        self.decided: dict[int, dict[str, int]] = {}  # after the last batch decided (one ahead in flight)
        self.replay_first: dict[int, list[InputPosition]] = {}
        self.broken: BaseException | None = None
        self.snapshots = SnapshotSchedule(
            snapshots, state, partition_of, snapshot_every, snapshot_every_s, chunk_bytes
        )
        # The offset after our own last record per partition, or None once another writer's
        # record showed up in between (we may have been fenced: take no snapshot in this life).
        self.tip: dict[int, int | None] = {}
        # Per partition, the writes of its part of the last batch (append, then outputs),
        # acknowledged while the next batch is fetched and decided, and the (partition, events)
        # that may take a snapshot once they are done. A partition's next part waits only for its
        # own previous part: a slow transaction on one partition holds back no other.
        self._in_flight: dict[int, asyncio.Future[None]] = {}
        self._after_outputs: list[tuple[int, int]] = []
        # Partitions with a part decided in memory whose writes have not started: their state is
        # ahead of everything in flight, so no snapshot of them may be taken (it would cover
        # uncommitted decisions). Partitions whose snapshot fell due meanwhile are owed one at
        # their next quiet point.
        self._ahead: set[int] = set()
        self._snapshot_owed: set[int] = set()
        # Partitions whose batch the broker refused (another worker fenced us out), to forget
        # at the next flush; then reported to the runtime once (take_fenced) to stop reading them.
        self.fenced: set[int] = set()
        self.lost: set[int] = set()
        self.given_up: set[int] = set()  # fenced out in this life and not recovered since

    async def recover(self, partition: int) -> Recovery:
        """Rebuild ``partition`` from queue.events (``recovery.py``) and re-send its last batch's outputs."""
        await self.flush()
        self._check()
        found = await recover_partition(self.log, self.snapshots, self.state.policy, partition, self._guarded)
        rec = found.recovery
        self.fenced.discard(partition)
        self.given_up.discard(partition)
        self.tip[partition] = found.fenced_at + 1
        self.forget(partition)  # the old state and snapshot of it, if any
        self.snapshots.recovered(partition, found.read)
        self.state.regions.update(rec.state.regions)
        self.positions[partition] = dict(rec.positions)
        self.decided[partition] = dict(rec.positions)
        self.replay_first[partition] = list(rec.replay_first)
        if rec.resend:
            await self._guarded(
                in_transaction(self.log, partition, self.log.send_outputs(rec.resend, partition))
            )
        return rec

    async def flush(self, partitions: set[int] | None = None) -> None:
        """Wait until the last batch's part of ``partitions`` (default: all) is appended and its
        outputs acknowledged; then take the snapshots that fell due.

        Raises (and breaks the committer) if a write failed: the worker must restart, and
        recovery rebuilds from the log (replaying an uncommitted batch's inputs, re-sending the
        last committed batch's outputs).
        """
        # the asked-for partitions' parts, and every part already done (its failure surfaces here)
        which = {
            p for p, task in self._in_flight.items() if partitions is None or p in partitions or task.done()
        }
        tasks = [self._in_flight.pop(p) for p in sorted(which)]
        if tasks:
            waited = time.perf_counter()
            for task in tasks:
                await self._guarded(task)
            self.observe("wait", time.perf_counter() - waited)  # for the last batch's acks
        for partition in sorted(self.fenced):
            self.forget(partition)
            await self.log.release(partition)
            self.lost.add(partition)
            self.given_up.add(partition)
        self.fenced.clear()
        due, self._after_outputs = self._after_outputs, []
        for partition, events in due:  # after the outputs: nothing a snapshot covers has unsent outputs
            # quiet: the partition's state equals its log (a snapshot covers committed decisions only)
            if self.snapshots.after_outputs(
                partition,
                events,
                self.tip.get(partition),
                self.positions[partition],
                state_is_log=partition not in self._ahead,
            ):
                self._snapshot_owed.add(partition)
        # owed snapshots of partitions with nothing decided ahead and nothing in flight now
        quiet = (self._snapshot_owed & set(self.positions)) - self._ahead - set(self._in_flight)
        for partition in sorted(quiet):
            self.snapshots.after_outputs(partition, 0, self.tip.get(partition), self.positions[partition])
            self._snapshot_owed.discard(partition)

    async def settle(self) -> None:
        """Wait for the outputs and snapshot writes in flight (a clean stop leaves no chunk without its manifest)."""
        try:
            await self.flush()
        except Exception as exc:  # the next owner's recovery replays or re-sends what is missing
            log.warning("the last batch's writes were not all acknowledged at stop: %r", exc)
        await self.snapshots.settle()

    def forget(self, partition: int) -> None:
        """Drop the regions of a partition this worker no longer owns."""
        self.snapshots.forget(partition)
        self._after_outputs = [(p, n) for p, n in self._after_outputs if p != partition]
        for region in [r for r in self.state.regions if self.partition_of(r) == partition]:
            del self.state.regions[region]
        self.positions.pop(partition, None)
        self.decided.pop(partition, None)
        self.replay_first.pop(partition, None)
        self._snapshot_owed.discard(partition)

    def must_read_up_to(self, partition: int) -> dict[str, int]:
        """The offset per topic the first batch after recovery must include (orphans' inputs)."""
        need: dict[str, int] = {}
        for pos in self.replay_first.get(partition, ()):
            need[pos.topic] = max(need.get(pos.topic, 0), pos.offset + 1)
        return need

    async def commit(self, inputs: Mapping[int, Sequence[Input]]) -> list[BatchCommit]:
        """Decide one batch over several partitions in memory, then start writing it.

        The batch is decided while earlier batches' writes may still be in flight (their
        decisions are already in the state); then, per partition of this batch, this waits for
        that partition's previous part (a failure raises: the worker must exit) and starts this
        batch's part in the background: append events + marker, await their acks, only then
        send the outputs and await theirs. Each partition's log is written in exactly the order
        of one batch at a time; a partition not in this batch is not waited for. ``flush`` waits
        for the parts in flight (``recover``, a revocation, an idle poll and stop call it).
        """
        self._check()
        owed = self._snapshot_owed & set(inputs)
        if owed:  # a snapshot of a partition of this batch fell due: take it while its state equals its log
            await self.flush(owed)
        started = time.perf_counter()
        batch_id = uuid.uuid4().hex[:16]
        commits = []
        for partition, items in inputs.items():
            if partition in self.given_up:
                continue  # fenced out earlier (flush forgot it): not ours to decide
            positions = self.decided[partition]
            replay = self.replay_first.get(partition, [])
            ordered = order_inputs(items, positions, replay)
            if replay and {p for p in replay} - {i.position for i in ordered}:
                raise ValueError(
                    f"partition {partition}: the first batch after recovery must include "
                    f"the inputs of the uncommitted batch {replay}"
                )
            if ordered:
                c = decide_batch(self.state, partition, ordered, batch_id, positions)
                commits.append(c)
                self.decided[partition] = dict(c.marker.positions)
                self.replay_first[partition] = []  # decided: a failure before its commit exits the worker
                self._ahead.add(partition)
        self.observe("decide", time.perf_counter() - started)
        # Each partition's part starts only after that partition's previous part is acknowledged.
        await self.flush({c.partition for c in commits})
        # Fenced out on the previous batch: flush gave the partition up, and what this batch
        # decided there (on a state that was no longer ours) is void.
        for c in commits:
            if c.partition not in self.given_up:
                task = asyncio.ensure_future(self._write_part(c))
                task.add_done_callback(self._note_failure)
                self._in_flight[c.partition] = task
        self._ahead.clear()
        return [c for c in commits if c.partition not in self.given_up]

    async def _write_part(self, c: BatchCommit) -> None:
        """Write one partition's part of a batch; a fenced partition is given up at the next flush."""
        try:
            first, after = await self._write_one(c)
        except PartitionFencedOut as exc:
            # Another worker took the partition over while we stalled: the broker refused
            # (and aborted) this part, so nothing of it is visible. Our state of the
            # partition is ahead of the log and no longer ours: flush() drops it.
            log.warning("%s; giving it up (the batch decided for it is void)", exc)
            self.fenced.add(c.partition)
            return
        tip = self.tip.get(c.partition)
        # a transaction's commit marker takes one offset after its records
        self.tip[c.partition] = after if tip is not None and first == tip + self._gap() else None
        self.positions[c.partition] = dict(c.marker.positions)
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

    async def _guarded(self, aw: Awaitable[T]) -> T:
        """``aw``; if it fails, the committer is broken (the state may be ahead of the log)."""
        try:
            return await aw
        except BaseException as exc:
            self.broken = exc
            raise

    def _check(self) -> None:
        if self.broken is not None:
            raise CommitterBroken(
                f"a write failed earlier ({self.broken!r}); restart the worker"
            ) from self.broken
