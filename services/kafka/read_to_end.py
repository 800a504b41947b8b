"""A bounded read through the one log reader (services/kafka/tail.py): every record now on some
contract topics, up to the end offsets seen at start, then stop. ``triage history export`` and
the tests' topic readers use it; the same catch-up rule decides when the end is reached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from services.kafka.settings import KafkaSettings
from services.kafka.tail import Record, assign_all, catch_up, open_consumer


async def read_to_end(
    kafka: KafkaSettings,
    names: Sequence[str] | None,
    *,
    since_ms: Mapping[str, int] | None = None,
    timeout_s: float = 30.0,
) -> list[Record]:
    """Every record now on the contract topics ``names`` (None: every topic of the namespace),
    read up to the end offsets seen at start (records written meanwhile may come along).

    ``since_ms`` (contract name -> epoch ms): start those topics at the first record at or after
    that time instead of the beginning. Raises TimeoutError if the end is not reached in time.
    """
    consumer = open_consumer(kafka)
    await consumer.start()
    try:
        if names is None:
            prefix = f"{kafka.namespace}." if kafka.namespace else ""
            names = sorted(t.removeprefix(prefix) for t in await consumer.topics() if t.startswith(prefix))
        contract, parts = await assign_all(consumer, kafka, names)
        ends = await consumer.end_offsets(parts) if parts else {}
        await consumer.seek_to_beginning(*parts)
        starts = await _time_starts(consumer, contract, ends, since_ms or {})
        wanted = {tp: end for tp, end in ends.items() if starts.get(tp, 0) is not None}
        for tp, offset in starts.items():
            if offset is not None:
                consumer.seek(tp, offset)
        out: list[Record] = []

        async def keep(batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
            out.extend((contract[tp.topic], r) for tp, records in batch.items() for r in records)

        await catch_up(consumer, wanted, keep, only_behind=True, timeout_s=timeout_s)
        return out
    finally:
        await consumer.stop()


async def _time_starts(
    consumer: AIOKafkaConsumer,
    contract: Mapping[str, str],
    ends: Mapping[TopicPartition, int],
    since_ms: Mapping[str, int],
) -> dict[TopicPartition, int | None]:
    """Where each time-started partition begins; None: nothing at or after the time."""
    timed = {tp: since_ms[contract[tp.topic]] for tp in ends if contract[tp.topic] in since_ms}
    if not timed:
        return {}
    found: dict[TopicPartition, Any] = await consumer.offsets_for_times(timed)
    starts: dict[TopicPartition, int | None] = {}
    for tp in timed:
        first = found.get(tp)
        if first is None or ends[tp] == 0:
            starts[tp] = None
        else:
            # Tansu answers a time past the last record with an offset at or past its (short) end:
            # start at the last batch's base then; the caller drops what is before its time.
            starts[tp] = min(first.offset, ends[tp] - 1)
    return starts
