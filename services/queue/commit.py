"""The queue's durability loop around the pure core: recover a partition, commit a batch.

``BatchCommitter`` is the one place that orders the effects of the write path:

1. decide the whole batch in memory (``decide_batch`` per partition);
2. append, per partition, the batch's event records and then ONE ``BatchCommitted``
   marker, and await all acknowledgements once (group commit);
3. only then send the side effects ``outputs_for`` derives from the committed events,
   and await them before the next batch (so only the LAST committed batch of a
   partition can have unsent outputs, which recovery re-sends).

It talks to the broker only through ``QueueLog`` (``services/queue/kafka_log.py`` is the
aiokafka adapter; the unit tests use an in-memory fake that can crash after any write).
If a write fails the in-memory state is ahead of the log: the committer refuses further
work and the worker must exit (recovery rebuilds from the log).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from services.queue.domain.batch import BatchCommit, Input, InputPosition, decide_batch, order_inputs
from services.queue.domain.outputs import Outputs
from services.queue.domain.recovery import LoggedRecord, Recovery, recover
from services.queue.domain.state import QueueState


class QueueLog(Protocol):
    """What the committer needs from the broker (queue.events and the output topics)."""

    writer: str  # this worker process's id, stamped on every record it writes (triage-writer)

    async def read(self, partition: int) -> list[LoggedRecord]:
        """Every record of queue.events ``partition``, in offset order."""

    async def append(self, commit: BatchCommit) -> None:
        """Write the commit's event records, then its marker, to queue.events; return once acked."""

    async def send_outputs(self, outputs: Outputs) -> None:
        """Send notices, TransferIn commands and contact tombstones; return once acked."""

    async def fence(self, partition: int, recovered_to: int) -> None:
        """Write a PartitionFenced(writer, recovered_to) to queue.events ``partition``; return once acked."""


class CommitterBroken(RuntimeError):
    """A write failed after the batch was decided in memory: the worker must restart."""


class BatchCommitter:
    """Owns the resume positions of the partitions this worker serves."""

    def __init__(self, log: QueueLog, state: QueueState, partition_of: Callable[[str], int]) -> None:
        self.log = log
        self.state = state
        self.partition_of = partition_of
        self.positions: dict[int, dict[str, int]] = {}
        self.replay_first: dict[int, list[InputPosition]] = {}
        self.broken: BaseException | None = None

    async def recover(self, partition: int) -> Recovery:
        """Rebuild ``partition`` from queue.events and re-send its last batch's outputs."""
        self._check()
        records = await self.log.read(partition)
        rec = recover(records, self.state.policy)
        # Before deciding anything here: declare what we read, so that writes of a dead
        # previous owner that land from now on are void for every later recovery too.
        await self._guard(self.log.fence(partition, records[-1].offset + 1 if records else 0))
        self.forget(partition)
        self.state.regions.update(rec.state.regions)
        self.positions[partition] = dict(rec.positions)
        self.replay_first[partition] = list(rec.replay_first)
        if rec.resend:
            await self._guard(self.log.send_outputs(rec.resend))
        return rec

    def forget(self, partition: int) -> None:
        """Drop the regions of a partition this worker no longer owns."""
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
        """Decide, append and acknowledge one batch over several partitions; then send its outputs."""
        self._check()
        batch_id = uuid.uuid4().hex[:16]
        commits = []
        for partition, items in inputs.items():
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
        await self._guard(asyncio.gather(*(self.log.append(c) for c in commits)))
        outputs = Outputs()
        for c in commits:
            self.positions[c.partition] = dict(c.marker.positions)
            self.replay_first[c.partition] = []
            outputs = outputs + c.outputs
        if outputs:
            await self._guard(self.log.send_outputs(outputs))
        return commits

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
