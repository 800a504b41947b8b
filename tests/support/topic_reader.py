"""Reading records back from a namespace's topics (for tests that check what was published)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.kafka.partitions import partitions_of
from services.kafka.settings import KafkaSettings


@dataclass(frozen=True)
class Record:
    topic: str  # contract name, without the namespace
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    partition: int = -1
    offset: int = -1


async def _read(kafka: KafkaSettings, names: list[str] | None) -> list[Record]:
    consumer = AIOKafkaConsumer(
        **kafka.client_options(), group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        prefix = f"{kafka.namespace}." if kafka.namespace else ""
        all_topics = await consumer.topics()
        wanted = [
            t for t in all_topics if t.startswith(prefix) and (names is None or t[len(prefix) :] in names)
        ]
        parts = [TopicPartition(t, p) for t in wanted for p in await partitions_of(consumer, t)]
        if not parts:
            return []
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        end = await consumer.end_offsets(parts)
        out: list[Record] = []
        # Tansu 0.6 answers ListOffsets(latest) with the last record BATCH's base offset + 1, not
        # the offset after its last record (services/queue/kafka_log.py): cutting at ``end`` would
        # drop the rest of the last batch. Keep every record read until each position passed it.
        remaining = {tp for tp, off in end.items() if off > 0}
        deadline = asyncio.get_running_loop().time() + 30
        while remaining and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(*remaining, timeout_ms=200)
            for tp, records in batch.items():
                out += [
                    Record(
                        tp.topic[len(prefix) :],
                        r.key,
                        r.value,
                        tuple(r.headers or ()),
                        tp.partition,
                        r.offset,
                    )
                    for r in records
                ]
            remaining = {tp for tp in remaining if await consumer.position(tp) < end[tp]}
        if remaining:
            raise AssertionError(f"could not read to the end of {sorted(str(t) for t in remaining)}")
        return out
    finally:
        await consumer.stop()


def read_records(kafka: KafkaSettings, names: list[str] | None = None) -> list[Record]:
    """Every record now on the namespace's topics (``names``: contract names; None = all)."""
    return asyncio.run(_read(kafka, names))
