"""Reading contract topics whole: from the beginning, ``ready`` at the end offsets seen at start,
then tailing forever. No consumer group: every process reads every partition (a read model).

One loop for the read models that need it (the staff API's audit index and case files), so the
catch-up rule is written once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from services.kafka.partitions import partitions_of
from services.kafka.settings import KafkaSettings

OnRecord = Callable[[str, ConsumerRecord], None]  # (contract topic name, record)


async def read_whole_topics(
    kafka: KafkaSettings, names: tuple[str, ...], on_record: OnRecord, ready: asyncio.Event
) -> None:
    """Feed every record of the contract topics ``names`` to ``on_record``; set ``ready`` once
    each partition reached the end it had at start. Runs until cancelled."""
    consumer = AIOKafkaConsumer(
        **kafka.consumer_options(),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=kafka.fetch_max_wait_ms,
    )
    contract = {kafka.topic(name): name for name in names}
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t in contract for p in sorted(await partitions_of(consumer, t))]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps) if tps else {}
        while True:
            if not ready.is_set() and await _caught_up(consumer, ends):
                ready.set()
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            for tp, records in batches.items():
                for record in records:
                    on_record(contract[tp.topic], record)
    finally:
        await consumer.stop()


async def _caught_up(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True
