"""Recovery of one partition, the edge half: own it, read the log, fence, adopt late orphans.

The pure half is ``domain/recovery.py`` (``recover``: the fold of the records read into state,
resume positions, orphans to replay first, outputs to re-send). This half does the I/O around
it, in this order (docs/queue.md, "Recovery path"):

0. ``own``: on Kafka, the partition's transactional producer starts (InitProducerId fences the
   previous owner and aborts its open transaction), BEFORE the log is read, so what is read is final;
1. the latest complete snapshot (``snapshots.py``), then queue.events from the offset it covers;
   a fence in the tail that read less than the snapshot covers voids it (fold the whole log);
2. ``recover`` (pure);
3. a ``PartitionFenced`` at the end read, so a dead owner's writes that land from now on are void;
4. records that landed between our read and our fence: their inputs are decided first, the same way.

The write path (``write_path.py``) installs the result and re-sends the last batch's outputs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from proto import events as ev
from services.queue.domain.recovery import Recovery, recover, replay_inputs
from services.queue.domain.state import QueuePolicy
from services.queue.queue_log import QueueLog, in_transaction
from services.queue.snapshots import SnapshotSchedule

_logger = logging.getLogger("triage.queue")
Guard = Callable[[Awaitable[Any]], Awaitable[Any]]  # breaks the write path if the write fails


@dataclass
class Recovered:
    """A partition rebuilt from the log: the fold, how many records it read, where our fence landed."""

    recovery: Recovery
    read: int
    fenced_at: int
    # seconds per step (own, snapshot_read, snapshot_decode, tail_read, fold, fence), logged as
    # "recovery stages of partition p" (benchmarks/queue_recovery.py breaks a restart down by them)
    stages: dict[str, float] = field(default_factory=dict)


async def recover_partition(
    log: QueueLog,
    snapshots: SnapshotSchedule,
    policy: QueuePolicy,
    partition: int,
    guarded: Guard,
) -> Recovered:
    """Steps 0-4 above; writes (and the snapshot read) go through ``guarded``."""
    stages: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[stage] = stages.get(stage, 0.0) + now - clock
        clock = now

    # First become the partition's only writer: on Kafka this fences the previous owner at
    # the broker (its open transaction is aborted, its later writes refused), so what we
    # read next is final. Without transactions the PartitionFenced below does it for recovery.
    await guarded(log.own(partition))
    lap("own")
    start = await guarded(snapshots.latest(partition, stages))
    clock = time.perf_counter()  # latest() timed its read and decode itself
    records = await log.read(partition, start.next_offset if start else 0)
    if start is not None and any(
        isinstance(r.event, ev.PartitionFenced) and r.event.recovered_to < start.next_offset for r in records
    ):
        # An owner that read less than the snapshot covers fenced after it: the snapshot
        # holds records that owner's fence voids (its writer was a zombie). Fold it all.
        start = None
        records = await log.read(partition, 0)
    lap("tail_read")
    rec = recover(records, policy, start)
    lap("fold")
    # Before deciding anything here: declare what we read, so that writes of a dead
    # previous owner that land from now on are void for every later recovery too.
    end = records[-1].offset + 1 if records else (start.next_offset if start else 0)
    fenced_at = await guarded(in_transaction(log, partition, log.fence(partition, end)))
    if fenced_at > end:
        await _adopt_late_orphans(log, partition, rec, end, fenced_at, guarded)
    lap("fence")
    _log_stages(partition, stages, len(records))
    return Recovered(rec, len(records), fenced_at, stages)


def _log_stages(partition: int, stages: dict[str, float], tail_records: int) -> None:
    """One line per recovered partition with the seconds of each step (the restart's breakdown)."""
    _logger.info(
        "recovery stages of partition %d: own %.3fs, snapshot read %.3fs (%d bytes), snapshot decode "
        "%.3fs, tail read %.3fs (%d records), fold %.3fs, fence %.3fs",
        partition,
        stages.get("own", 0.0),
        stages.get("snapshot_read", 0.0),
        int(stages.get("snapshot_bytes", 0)),
        stages.get("snapshot_decode", 0.0),
        stages.get("tail_read", 0.0),
        tail_records,
        stages.get("fold", 0.0),
        stages.get("fence", 0.0),
    )


async def _adopt_late_orphans(
    log: QueueLog, partition: int, rec: Recovery, end: int, fenced_at: int, guarded: Guard
) -> None:
    """Decide first, the same way, what a dead owner's in-flight writes decided.

    Records that landed between our read (``end``) and our fence are void for every later
    recovery, but other readers of queue.events (staff's serve-next answer, intake's view)
    may already have read them, e.g. a CaseCalled of a ServeNext. Their inputs go to the
    front of the first batch, in their order, like a visible orphan batch's, so that our
    committed answer equals what those readers saw (found by the late-landing property test:
    a more urgent arrival otherwise took the call). Markers among them commit nothing.
    """
    late = [r for r in await guarded(log.read(partition, end)) if r.offset < fenced_at]
    adopted = replay_inputs(late, rec.positions, rec.replay_first)
    rec.replay_first += adopted
    rec.orphans += len(adopted)
    rec.late += len(adopted)
