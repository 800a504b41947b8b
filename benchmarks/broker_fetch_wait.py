"""How long a record waits on the embedded broker before a long-polling consumer gets it,
by the consumer's ``fetch_max_wait_ms``, for a one-partition and a 2x8-partition fetch.

    .venv/bin/python -m benchmarks.broker_fetch_wait

Why: faust 0.15.3 builds its consumer with ``fetch_max_wait_ms=1500`` (hard-coded in
faust/transport/drivers/aiokafka.py). If the broker does not answer a waiting fetch when
new data arrives, every hop through a faust service costs up to that long.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.kafka.embedded_broker import EmbeddedBroker
from services.kafka.settings import KafkaSettings

WAITS_MS = (1500, 500, 100, 20, 5)
PINGS = 15


async def one_setting(
    bs: str, producer: AIOKafkaProducer, topics: tuple[str, ...], partitions: int, wait_ms: int
) -> list[float]:
    consumer = AIOKafkaConsumer(
        **KafkaSettings(bs).consumer_options(), group_id=None, fetch_max_wait_ms=wait_ms
    )
    await consumer.start()
    parts = [TopicPartition(t, p) for t in topics for p in range(partitions)]
    consumer.assign(parts)
    await consumer.seek_to_end(*parts)
    for tp in parts:
        await consumer.position(tp)
    latencies = []
    try:
        for i in range(PINGS):
            await asyncio.sleep(0.137)  # idle gaps, so each record meets a waiting fetch
            started = time.monotonic()
            await producer.send_and_wait(topics[0], b"ping", partition=i % partitions)
            await consumer.getone()
            latencies.append((time.monotonic() - started) * 1000)
    finally:
        await consumer.stop()
    return latencies


async def main(bs: str) -> None:
    admin = AIOKafkaAdminClient(**KafkaSettings(bs).client_options())
    await admin.start()
    await admin.create_topics([NewTopic("one", 1, 1), NewTopic("eight-a", 8, 1), NewTopic("eight-b", 8, 1)])
    await admin.close()
    producer = AIOKafkaProducer(**KafkaSettings(bs).client_options(), linger_ms=0)
    await producer.start()
    try:
        print(f"{'fetch_max_wait_ms':>18}  {'1 partition':>22}  {'2 topics x 8 partitions':>24}")
        for wait in WAITS_MS:
            one = await one_setting(bs, producer, ("one",), 1, wait)
            many = await one_setting(bs, producer, ("eight-a", "eight-b"), 8, wait)
            print(
                f"{wait:>18}  median {statistics.median(one):6.1f} max {max(one):6.1f} ms"
                f"  median {statistics.median(many):6.1f} max {max(many):6.1f} ms",
                flush=True,
            )
    finally:
        await producer.stop()


if __name__ == "__main__":
    with EmbeddedBroker(port=0) as broker:
        asyncio.run(main(broker.bootstrap_servers))
