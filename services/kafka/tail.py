"""The one log reader: read contract topics up to the end they had at start, say so, then tail.

Every read model (intake's submission index and queue view, the staff audit index and case
files, the notifier's ledger and contact cards, the forecaster's tracker), ``triage history
export`` and the tests' topic readers read through here (a bounded read: read_to_end.py), so
three rules live in one place:

- **Read committed.** The consumer is built with ``KafkaSettings.consumer_options()``: on Apache
  Kafka an aborted (fenced zombie's) transaction is never seen, and the end offset is the last
  stable offset, so catching up stops before an open transaction instead of waiting for it.
- **Caught up = every partition's position reached the end offset seen at start.** Tansu 0.6
  answers ListOffsets(latest) with the last record *batch's* base offset + 1, not the offset
  after its last record. A fetch always returns whole batches, so reading until the position
  passes that end still returns the rest of the batch; nothing is ever cut at the end offset.
  While catching up the reader takes everything fetched (no ``max_records``): a cap could hand
  out half of Tansu's last batch and call it caught up with the other half still unread.
- **Partition discovery** (``partitions_of``): a topic created a moment ago may not be in the
  metadata yet; a topic that does not exist is a clear error, not a silently empty read model.

The queue's own recovery reads (services/queue/kafka_log.py, snapshot_store.py) fence and
position themselves per owned partition and stay there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from services.kafka.partitions import partitions_of
from services.kafka.settings import KafkaSettings

POLL_MS = 200  # the longest a poll waits for records (the tail's latency floor when idle)
END_OFFSETS_TIMEOUT_S = 5.0  # ``caught_up``'s ListOffsets: past this the answer is "not known"

Record = tuple[str, ConsumerRecord]  # (contract topic name, the record)
OnBatch = Callable[[list[Record]], Awaitable[None]]  # every poll, possibly with no records
OnReady = Callable[[], Awaitable[None]]
T = TypeVar("T")


def each_record(on_record: Callable[[str, ConsumerRecord], None]) -> OnBatch:
    """An ``OnBatch`` that hands every record to ``on_record(contract topic, record)``."""

    async def on_batch(records: list[Record]) -> None:
        for name, record in records:
            on_record(name, record)

    return on_batch


def keep_latest(into: dict[str, bytes], record: ConsumerRecord) -> None:
    """Fold a compacted topic's record into ``into``: the latest value per key, a tombstone (null
    value) deletes the key, as compaction will on the broker. A record without a key is ignored."""
    if record.key is None:
        return
    if record.value is None:
        into.pop(record.key.decode(), None)
    else:
        into[record.key.decode()] = record.value


async def read_when(look: Callable[[], T], done: Callable[[T], bool], timeout_s: float) -> T:
    """What ``look()`` reads in a tailed read model once it is ``done``, or after ``timeout_s``:
    another service acted on an event this reader may not have folded yet (it lags a little)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not done(found := look()) and loop.time() <= deadline:
        await asyncio.sleep(0.02)
    return found


class TopicMissing(RuntimeError):
    """A topic the reader was asked to read does not exist on the broker."""


class PartitionLog(Protocol):
    """The part of a consumer the catch-up rule uses (an aiokafka consumer, or a fake in tests)."""

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[ConsumerRecord]]: ...

    async def position(self, partition: TopicPartition) -> int: ...


async def behind(log: PartitionLog, ends: Mapping[TopicPartition, int]) -> set[TopicPartition]:
    """The partitions whose position has not yet reached their end offset in ``ends``."""
    return {tp for tp, end in ends.items() if await log.position(tp) < end}


async def catch_up(
    log: PartitionLog,
    ends: Mapping[TopicPartition, int],
    on_batch: Callable[[dict[TopicPartition, list[ConsumerRecord]]], Awaitable[None]],
    *,
    only_behind: bool = False,
    timeout_s: float | None = None,
) -> None:
    """Poll until every partition in ``ends`` reached its end, feeding each poll to ``on_batch``.

    ``only_behind``: fetch only from the partitions still behind (a bounded read that should not
    run on past the end); otherwise every assigned partition goes on being read (a tail).
    Raises TimeoutError after ``timeout_s`` with the partitions still behind.
    """
    loop = asyncio.get_running_loop()
    deadline = None if timeout_s is None else loop.time() + timeout_s
    pending = await behind(log, ends)
    while pending:
        if deadline is not None and loop.time() > deadline:
            raise TimeoutError(
                f"could not read to the end of {sorted(map(str, pending))} within {timeout_s:.0f}s"
            )
        # no max_records: a fetch is whole batches, and Tansu's end may sit inside the last one
        batch = await log.getmany(*(pending if only_behind else ()), timeout_ms=POLL_MS)
        await on_batch(batch)
        pending = await behind(log, {tp: ends[tp] for tp in pending})


def open_consumer(kafka: KafkaSettings, **options: Any) -> AIOKafkaConsumer:
    """A group-less, read-committed consumer that starts at the beginning (assign partitions);
    ``options``: more aiokafka consumer options (e.g. ``max_partition_fetch_bytes``)."""
    return AIOKafkaConsumer(
        **kafka.consumer_options(),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # Short: Tansu holds a fetch for its full wait, and a ListOffsets queues behind it on the
        # same connection.
        fetch_max_wait_ms=kafka.fetch_max_wait_ms,
        **options,
    )


async def assign_all(
    consumer: AIOKafkaConsumer, kafka: KafkaSettings, names: Sequence[str]
) -> tuple[dict[str, str], list[TopicPartition]]:
    """Assign every partition of the contract topics ``names``; return (broker name -> contract
    name, the partitions). Raises TopicMissing for a topic that does not exist."""
    contract = {kafka.topic(name): name for name in names}
    parts: list[TopicPartition] = []
    for topic in contract:
        found = await partitions_of(consumer, topic)  # metadata may lag just after creation
        if not found:
            raise TopicMissing(f"topic {topic} not found: create the topics first (triage topics)")
        parts += [TopicPartition(topic, p) for p in sorted(found)]
    consumer.assign(parts)
    return contract, parts


class LogTail:
    """Reads contract topics from the beginning; ``ready`` once each partition reached the end
    it had at start; then tails until cancelled.

    ``on_batch`` gets every poll's records as (contract topic, record), also an empty list when a
    poll found nothing (a caller may retry work then); ``on_ready`` is awaited once, right after
    ``ready`` is set and before the next poll. After catching up a poll hands out at most
    ``max_records`` records.
    """

    def __init__(self, kafka: KafkaSettings, names: Sequence[str], *, max_records: int = 1000) -> None:
        self.kafka = kafka
        self.names = tuple(names)
        self.max_records = max_records
        self.ready = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None  # while ``run`` reads
        self._parts: list[TopicPartition] = []

    async def run(
        self, on_batch: OnBatch, on_ready: OnReady | None = None, start: Mapping[str, int] | None = None
    ) -> None:
        """Catch up, set ``ready``, then tail forever (cancel to stop).

        ``start`` (``"<contract topic>:<partition>"`` -> offset, a snapshot's cover): begin those
        partitions there instead of at the beginning. A start past the end seen is not checked:
        Tansu's end may be the base offset of its last batch + 1, behind a record already read.
        """
        consumer = open_consumer(self.kafka)
        await consumer.start()
        try:
            contract, parts = await assign_all(consumer, self.kafka, self.names)
            self._consumer, self._parts = consumer, list(parts)
            await consumer.seek_to_beginning(*parts)
            ends = await consumer.end_offsets(parts)
            for tp in parts:
                offset = (start or {}).get(f"{contract[tp.topic]}:{tp.partition}")
                if offset:
                    consumer.seek(tp, offset)
            await self.follow(consumer, contract, ends, on_batch, on_ready)
        finally:
            self._consumer = None
            await consumer.stop()

    async def caught_up(self) -> bool:
        """Whether every partition's position has reached the end offset the broker gives now.

        False while ``run`` is not reading, or when the broker does not answer in time (during a
        leader failover the reader cannot tell, so it must not claim to have read everything).
        Records a poll returned are folded before the next await, so once this is True everything
        up to those ends is in the read model.
        """
        consumer = self._consumer
        if consumer is None:
            return False
        try:
            ends = await asyncio.wait_for(consumer.end_offsets(self._parts), END_OFFSETS_TIMEOUT_S)
        except (KafkaError, TimeoutError):
            return False
        return not await behind(consumer, ends)

    async def follow(
        self,
        log: PartitionLog,
        contract: Mapping[str, str],
        ends: Mapping[TopicPartition, int],
        on_batch: OnBatch,
        on_ready: OnReady | None = None,
    ) -> None:
        """The reader's loop on a positioned ``log`` (``contract``: broker -> contract topic name)."""

        async def feed(batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
            await on_batch([(contract[tp.topic], r) for tp, records in batch.items() for r in records])

        await catch_up(log, ends, feed)
        self.ready.set()
        if on_ready is not None:
            await on_ready()
        while True:
            await feed(await log.getmany(timeout_ms=POLL_MS, max_records=self.max_records))
