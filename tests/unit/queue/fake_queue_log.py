"""An in-memory ``QueueLog`` whose process can 'die' after any single record write.

It models the broker for the committer: queue.events per partition, the output topics,
and the two input topics (TransferIn outputs land on queue.commands like on the broker).
Records of one ``append`` are written one at a time with a scheduling point between
them, so concurrent appends to several partitions interleave and a crash leaves a
prefix per partition, as aiokafka (one in-flight batch per partition) does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from proto import events as ev
from services.queue.domain.batch import COMMANDS_TOPIC, TRIAGE_TOPIC, BatchCommit, Input, InputPosition
from services.queue.domain.outputs import Outputs
from services.queue.domain.recovery import LoggedRecord
from services.queue.domain.snapshot import SnapshotManifest
from services.queue.partitioning import region_partition

PARTITIONS = 8


class Crash(Exception):
    """The worker process died (kill -9) at this write."""


@dataclass
class InputRecord:
    message: ev.Message | None
    now: dt.datetime


@dataclass
class FakeQueueLog:
    events: dict[int, list[LoggedRecord]] = field(default_factory=lambda: defaultdict(list))
    inputs: dict[tuple[str, int], list[InputRecord]] = field(default_factory=lambda: defaultdict(list))
    notices: list[ev.Message] = field(default_factory=list)
    transfers: list[ev.TransferIn] = field(default_factory=list)
    tombstones: list[str] = field(default_factory=list)
    now: dt.datetime = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    writes_left: int | None = None  # crash when it reaches 0
    dead: bool = False
    writes: int = 0
    writer: str = "life-0"
    late_landing: bool = False  # the write a crash interrupts lands after the next owner read the log
    late: dict[int, LoggedRecord] = field(default_factory=dict)
    snapshot_store: FakeSnapshotStore | None = None  # set by the store that shares this process

    # ---------------------------------------------------------------- crash control
    def arm(self, writes: int | None) -> None:
        """A fresh process: it dies after ``writes`` more record writes (None: never)."""
        self.dead = False
        self.writes_left = writes
        self.writer = f"life-{int(self.writer.split('-')[1]) + 1}"

    async def _write(
        self, writer: str, partition: int | None = None, record: LoggedRecord | None = None
    ) -> None:
        # ``writer``: the life that issued the write. A dead life's other pending writes
        # (the tasks gather() leaves running) never land, except the one ``late`` keeps.
        if self.dead or writer != self.writer:
            raise Crash("already dead")
        await asyncio.sleep(0)
        if self.dead or writer != self.writer:
            raise Crash("already dead")
        if self.writes_left is not None:
            if self.writes_left == 0:
                self.dead = True
                if self.late_landing and partition is not None and record is not None:
                    self.late[partition] = record  # in flight: the broker writes it later
                raise Crash("killed")
            self.writes_left -= 1
        self.writes += 1

    # ---------------------------------------------------------------- inputs
    def produce(self, message: ev.Message | None, topic: str, region: str) -> None:
        """An input record arrives on the broker (``message`` None: undecodable)."""
        self.inputs[(topic, region_partition(region, PARTITIONS))].append(InputRecord(message, self.now))

    def ends(self) -> dict[tuple[str, int], int]:
        return {k: len(v) for k, v in self.inputs.items()}

    def fetch(self, partition: int, start: dict[str, int], end: dict[tuple[str, int], int]) -> list[Input]:
        out = []
        for topic in (TRIAGE_TOPIC, COMMANDS_TOPIC):
            records = self.inputs.get((topic, partition), [])
            for offset in range(start.get(topic, 0), end.get((topic, partition), 0)):
                r = records[offset]
                out.append(Input(InputPosition(topic, partition, offset), r.message, r.now))
        return out

    # ---------------------------------------------------------------- QueueLog
    async def read(self, partition: int, start: int = 0) -> list[LoggedRecord]:
        if self.dead:
            raise Crash("dead")
        seen = list(self.events[partition][start:])
        stale = self.late.pop(partition, None)
        if stale is not None:  # lands just after the new owner read the partition
            log = self.events[partition]
            log.append(
                LoggedRecord(
                    len(log), stale.event, stale.input, stale.answer_key, stale.batch_id, stale.writer
                )
            )
        return seen

    async def append(self, commit: BatchCommit) -> tuple[int, int]:
        p, writer = commit.partition, self.writer
        log = self.events[p]
        first: int | None = None
        for e in commit.entries:
            record = LoggedRecord(len(log), e.event, e.input, e.answer_key, e.batch_id, writer)
            await self._write(writer, p, record)
            first = len(log) if first is None else first
            log.append(LoggedRecord(len(log), e.event, e.input, e.answer_key, e.batch_id, writer))
        record = LoggedRecord(len(log), commit.marker, writer=writer)
        await self._write(writer, p, record)
        first = len(log) if first is None else first
        log.append(LoggedRecord(len(log), commit.marker, writer=writer))
        return first, len(log)

    async def fence(self, partition: int, recovered_to: int) -> None:
        log, writer = self.events[partition], self.writer
        fenced = ev.PartitionFenced(writer=writer, partition=partition, recovered_to=recovered_to)
        await self._write(writer, partition, LoggedRecord(len(log), fenced, writer=writer))
        log.append(LoggedRecord(len(log), fenced, writer=writer))
        return len(log) - 1

    async def send_outputs(self, outputs: Outputs) -> None:
        writer = self.writer
        for notice in outputs.notices:
            await self._write(writer)
            self.notices.append(notice)
        for command in outputs.commands:
            await self._write(writer)
            self.transfers.append(command)
            self.produce(command, COMMANDS_TOPIC, command.region)
        for case_id in outputs.forget_contacts:
            await self._write(writer)
            self.tombstones.append(case_id)


@dataclass
class FakeSnapshotStore:
    """The compacted snapshot topic: chunk and manifest writes are crash points of the same process."""

    log: FakeQueueLog
    chunks: dict[tuple[int, str, int], bytes] = field(default_factory=dict)  # (partition, snapshot id, i)
    manifests: dict[int, SnapshotManifest] = field(default_factory=dict)  # compacted: the last per partition
    written: int = 0  # complete snapshots written (manifest acked)

    def __post_init__(self) -> None:
        self.log.snapshot_store = self

    async def latest(self, partition: int) -> tuple[SnapshotManifest, list[bytes]] | None:
        if self.log.dead:
            raise Crash("dead")
        m = self.manifests.get(partition)
        if m is None:
            return None
        parts = [self.chunks.get((partition, m.snapshot_id, i)) for i in range(m.chunks)]
        if any(c is None for c in parts):
            return None
        return m, [c for c in parts if c is not None]

    async def write(self, manifest: SnapshotManifest, chunks: list[bytes]) -> None:
        writer, p = self.log.writer, manifest.partition
        for i, chunk in enumerate(chunks):
            await self.log._write(writer)
            self.chunks[(p, manifest.snapshot_id, i)] = chunk
        await self.log._write(writer)
        self.manifests[p] = manifest
        self.written += 1
        for key in [k for k in self.chunks if k[0] == p and k[1] != manifest.snapshot_id]:
            await self.log._write(writer)  # tombstone of an older snapshot's chunk
            del self.chunks[key]
