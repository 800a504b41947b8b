"""Reading the queue's inputs (triage.events + queue.commands) for the partitions it owns.

A plain aiokafka consumer without a group, assigned by hand to the input partitions
whose numbers faust assigned to this worker, and positioned at the resume offsets that
recovery read from queue.events. Why not a faust agent: faust acks (and commits) records
on its own terms (FAUST-NOTES.md: take() acks a batch itself, records delivered during a
rebalance were acked and skipped here); our positions come from our own log instead.

``fetch`` returns one batch: whatever is buffered (up to ``max_records``), and for every
partition whose part of the batch holds a command, triage.events of that partition read
up to its end offset as seen AFTER the commands were read (issue 11, item 3).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from services.kafka.settings import KafkaSettings
from services.queue.domain.batch import COMMANDS_TOPIC, TRIAGE_TOPIC

Fetched = dict[int, list[tuple[str, ConsumerRecord[Any, Any]]]]  # partition -> (contract topic, record)


class InputReader:
    """The input consumer of one worker."""

    def __init__(
        self,
        kafka: KafkaSettings,
        max_records: int,
        fetch_wait_ms: int,
        observe: Callable[[str, float], None] | None = None,
    ) -> None:
        self.kafka = kafka
        self.observe = observe or (lambda stage, seconds: None)  # stage timings (metrics)
        self.triage = kafka.topic(TRIAGE_TOPIC)
        self.commands = kafka.topic(COMMANDS_TOPIC)
        self.contract = {self.triage: TRIAGE_TOPIC, self.commands: COMMANDS_TOPIC}
        self.max_records = max_records
        self.fetch_wait_ms = fetch_wait_ms
        self._consumer: AIOKafkaConsumer | None = None  # built in start(): aiokafka needs the loop
        self.partitions: set[int] = set()

    @property
    def consumer(self) -> AIOKafkaConsumer:
        assert self._consumer is not None, "InputReader.start() first"
        return self._consumer

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            **self.kafka.consumer_options(),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.fetch_wait_ms,
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        await self._consumer.start()

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    def highwaters(self) -> list[tuple[str, int, int]]:
        """(contract topic, partition, high watermark from the last fetch) of every assigned partition."""
        if self._consumer is None:
            return []
        out = []
        for tp in sorted(self._consumer.assignment()):
            highwater = self._consumer.highwater(tp)
            if highwater is not None:
                out.append((self.contract[tp.topic], tp.partition, highwater))
        return out

    def broker_topic(self, contract_topic: str) -> str:
        return self.kafka.topic(contract_topic)

    async def assign(self, positions: Mapping[int, Mapping[str, int]]) -> None:
        """Read exactly these partitions, from these next offsets (per contract topic)."""
        tps = [TopicPartition(t, p) for p in positions for t in (self.triage, self.commands)]
        self.consumer.assign(tps)
        for p, pos in positions.items():
            for t in (self.triage, self.commands):
                self.consumer.seek(TopicPartition(t, p), pos.get(self.contract[t], 0))
        self.partitions = set(positions)

    async def fetch(self, timeout_ms: int, must_reach: Mapping[int, Mapping[str, int]]) -> Fetched:
        """One batch of input records per partition (see the module doc for what it includes)."""
        out: Fetched = {}
        if not self.partitions:
            return out
        started = time.perf_counter()
        got = await self.consumer.getmany(timeout_ms=timeout_ms, max_records=self.max_records)
        self._add(out, got)
        if not out and not must_reach:
            return out  # an idle poll: not a stage of any batch
        fetched = time.perf_counter()
        self.observe("fetch", fetched - started)
        ends: dict[TopicPartition, int] = {}
        with_commands = [p for p, recs in out.items() if any(t == COMMANDS_TOPIC for t, _ in recs)]
        if with_commands:
            tps = [TopicPartition(self.triage, p) for p in with_commands]
            ends.update(await self.consumer.end_offsets(tps))  # observed after reading the commands
        for p, need in must_reach.items():
            for topic, offset in need.items():
                tp = TopicPartition(self.broker_topic(topic), p)
                ends[tp] = max(ends.get(tp, 0), offset)
        for tp, end in ends.items():
            while await self.consumer.position(tp) < end:
                self._add(
                    out, await self.consumer.getmany(tp, timeout_ms=timeout_ms, max_records=self.max_records)
                )
        self.observe("drain", time.perf_counter() - fetched)
        return out

    def _add(self, out: Fetched, got: Mapping[TopicPartition, list[ConsumerRecord[Any, Any]]]) -> None:
        for tp, records in got.items():
            if tp.partition in self.partitions:
                topic = self.contract[tp.topic]
                out.setdefault(tp.partition, []).extend((topic, r) for r in records)
