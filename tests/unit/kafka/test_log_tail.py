"""The one log reader's catch-up rule (services/kafka/tail.py), against a fake partition log that
fetches whole record batches the way aiokafka does, with each broker's end offset: Tansu's (the
last batch's base + 1) and Kafka's read-committed one (after the last transaction marker).

The same reader on the real brokers: tests/e2e/test_log_tail.py.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import TopicPartition

from services.kafka.settings import KafkaSettings
from services.kafka.tail import LogTail, catch_up

TOPIC = "t"
P0, P1 = TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)


@dataclass
class Batch:
    base: int
    values: list[str] = field(default_factory=list)  # one record per value, offsets base, base+1, ...
    control: bool = False  # a transaction marker: one offset, no record for the reader
    aborted: bool = False  # an aborted transaction's records: skipped by a read-committed reader

    @property
    def next_offset(self) -> int:
        return self.base + max(1, len(self.values))


class FakePartitionLog:
    """Whole batches per fetch (at most one per partition per poll), position as aiokafka keeps it:
    past the last record handed out, past skipped markers and aborted batches."""

    def __init__(self, batches: dict[TopicPartition, list[Batch]]) -> None:
        self.batches = batches
        self.positions = dict.fromkeys(batches, 0)
        self.fetched: dict[TopicPartition, list[Any]] = {tp: [] for tp in batches}  # handed out later
        self.fetch_end: dict[TopicPartition, int] = {}  # where the batch being handed out ends
        self.polls = 0

    def add(self, tp: TopicPartition, batch: Batch) -> None:
        self.batches[tp].append(batch)

    def tansu_end(self, tp: TopicPartition) -> int:
        """Tansu 0.6's ListOffsets(latest): the last batch's base offset + 1."""
        return self.batches[tp][-1].base + 1 if self.batches[tp] else 0

    def kafka_end(self, tp: TopicPartition) -> int:
        """Kafka's (read-committed, no open transaction): the offset after the last batch."""
        return self.batches[tp][-1].next_offset if self.batches[tp] else 0

    async def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]:
        self.polls += 1
        out: dict[TopicPartition, list[Any]] = {}
        room = max_records if max_records is not None else 1 << 30
        for tp in partitions or tuple(self.batches):
            if not self.fetched[tp]:
                self._fetch(tp)
            taken, self.fetched[tp] = self.fetched[tp][:room], self.fetched[tp][room:]
            if taken:
                out[tp] = taken
                room -= len(taken)
                self.positions[tp] = taken[-1].offset + 1
            if not self.fetched[tp]:
                self.positions[tp] = max(self.positions[tp], self.fetch_end.get(tp, 0))
        return out

    def _fetch(self, tp: TopicPartition) -> None:
        """The next batch with a record in it, markers and aborted batches before it skipped."""
        for batch in self.batches[tp]:
            if batch.next_offset <= self.positions[tp]:
                continue
            self.fetch_end[tp] = batch.next_offset
            if batch.control or batch.aborted:
                self.positions[tp] = batch.next_offset
                continue
            self.fetched[tp] = [
                SimpleNamespace(offset=batch.base + i, value=v) for i, v in enumerate(batch.values)
            ]
            return


class Stop(Exception):
    pass


def values_at_ready(
    log: FakePartitionLog, ends: dict[TopicPartition, int], max_records: int = 1000
) -> list[str]:
    """What a LogTail on ``log`` handed out by the time it said it was ready."""
    seen: list[str] = []
    tail = LogTail(KafkaSettings(), (TOPIC,), max_records=max_records)

    async def on_batch(records: list[tuple[str, Any]]) -> None:
        assert not tail.ready.is_set(), "tailing: the test stops at ready"
        seen.extend(r.value for _, r in records)

    async def on_ready() -> None:
        raise Stop

    with pytest.raises(Stop):
        asyncio.run(tail.follow(log, {TOPIC: TOPIC}, ends, on_batch, on_ready))
    assert tail.ready.is_set()
    return seen


def records(base: int, n: int, tag: str = "r") -> Batch:
    return Batch(base, [f"{tag}{base + i}" for i in range(n)])


def test_tansus_short_end_offset_still_hands_out_the_whole_last_batch_before_ready() -> None:
    log = FakePartitionLog({P0: [records(0, 5), records(5, 5)], P1: [records(0, 3)]})
    ends = {tp: log.tansu_end(tp) for tp in (P0, P1)}
    assert ends == {P0: 6, P1: 1}  # inside the last batches
    assert sorted(values_at_ready(log, ends)) == sorted([f"r{i}" for i in range(10)] + ["r0", "r1", "r2"])


def test_a_poll_cap_does_not_let_half_of_tansus_last_batch_count_as_caught_up() -> None:
    log = FakePartitionLog({P0: [records(0, 2), records(2, 8)]})
    seen = values_at_ready(log, {P0: log.tansu_end(P0)}, max_records=3)
    assert seen == [f"r{i}" for i in range(10)]


def test_kafka_markers_and_an_aborted_transaction_at_the_end_count_as_read() -> None:
    log = FakePartitionLog(
        {
            P0: [
                records(0, 3),
                Batch(3, control=True),
                Batch(4, ["zombie4", "zombie5"], aborted=True),
                Batch(6, control=True),
            ]
        }
    )
    ends = {P0: log.kafka_end(P0)}
    assert ends == {P0: 7}
    assert values_at_ready(log, ends) == ["r0", "r1", "r2"]


def test_empty_partitions_are_ready_without_waiting_for_a_record() -> None:
    log = FakePartitionLog({P0: [], P1: []})
    assert values_at_ready(log, {P0: 0, P1: 0}) == []
    assert log.polls == 0


def test_after_ready_the_tail_hands_out_new_records_at_most_max_records_a_poll() -> None:
    log = FakePartitionLog({P0: [records(0, 1)]})
    tail = LogTail(KafkaSettings(), (TOPIC,), max_records=2)
    polls: list[list[str]] = []

    async def on_ready() -> None:
        log.add(P0, records(1, 5, "new"))

    async def on_batch(batch: list[tuple[str, Any]]) -> None:
        if tail.ready.is_set():
            polls.append([r.value for _, r in batch])
            if sum(map(len, polls)) >= 5:
                raise Stop

    with pytest.raises(Stop):
        asyncio.run(tail.follow(log, {TOPIC: TOPIC}, {P0: 1}, on_batch, on_ready))
    assert polls == [["new1", "new2"], ["new3", "new4"], ["new5"]]


def test_a_bounded_read_fetches_only_the_partitions_still_behind() -> None:
    log = FakePartitionLog({P0: [records(0, 1)], P1: [records(0, 1), records(1, 1), records(2, 1)]})
    fetched: list[set[TopicPartition]] = []

    async def keep(batch: dict[TopicPartition, list[Any]]) -> None:
        fetched.append(set(batch))

    ends = {tp: log.kafka_end(tp) for tp in (P0, P1)}
    asyncio.run(catch_up(log, ends, keep, only_behind=True))
    assert fetched == [{P0, P1}, {P1}, {P1}]


def test_a_partition_that_never_reaches_its_end_is_named_when_time_runs_out() -> None:
    log = FakePartitionLog({P0: [records(0, 1)], P1: [records(0, 2)]})
    ends = {P0: 1, P1: 5}  # the broker said 5; only 2 records will ever come

    async def ignore(batch: dict[TopicPartition, list[Any]]) -> None:
        pass

    with pytest.raises(TimeoutError, match=r"partition=1"):
        asyncio.run(catch_up(log, ends, ignore, timeout_s=0.0))
