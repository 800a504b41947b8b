"""What one Kafka transaction costs on this machine, apart from the queue: the floor under a batch.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:<port> .venv/bin/python -m benchmarks.broker_txn_latency [--count 300]

Needs a broker with transactions (Apache Kafka: `triage broker --kind kafka`; Tansu has none).
In a fresh namespace it creates the queue's events and your-turn topics, then runs ``--count``
rounds, one after another, each of:
- one transaction of the shape of a queue batch (a record on queue.events and one on
  queue.your-turn, the queue worker's 2 ms retry after CONCURRENT_TRANSACTIONS): begin, two
  sends awaited (AddPartitionsToTxn + Produce), EndTxn;
- the same two records without a transaction, acks=all, one after the other (Tansu's write path).
Prints p50 / p90 / p99 of each part in ms. The queue's ServeNext -> YourTurn cannot be faster
than one transaction (docs/performance.md, "Reruns and recovery work of 2026-12-06").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid

import uvloop
from aiokafka import AIOKafkaProducer

import services.queue.transactions  # noqa: F401  (the worker's 2 ms CONCURRENT_TRANSACTIONS retry)
from proto import topics
from services.kafka.settings import KafkaSettings
from services.kafka.topic_admin import ensure_topics


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q / 100 * len(s)))]


async def measure(kafka: KafkaSettings, count: int) -> dict[str, list[float]]:
    await ensure_topics(kafka, (topics.QUEUE_EVENTS, topics.QUEUE_YOUR_TURN))
    events, your_turn = kafka.topic(topics.QUEUE_EVENTS.name), kafka.topic(topics.QUEUE_YOUR_TURN.name)
    txn = AIOKafkaProducer(**kafka.client_options(), transactional_id=f"{kafka.namespace}-probe", linger_ms=0)
    plain = AIOKafkaProducer(**kafka.client_options(), acks="all", linger_ms=0, enable_idempotence=False)
    await txn.start()
    await plain.start()
    out: dict[str, list[float]] = {
        "transaction": [],
        "begin + sends": [],
        "EndTxn": [],
        "two acked produces": [],
    }
    try:
        for i in range(count):
            started = time.perf_counter()
            await txn.begin_transaction()
            sent = [
                await txn.send(events, b"e" * 300, key=b"SE-C", partition=0),
                await txn.send(your_turn, b"y" * 200, key=b"SE-C", partition=0),
            ]
            await asyncio.gather(*sent)
            acked = time.perf_counter()
            await txn.commit_transaction()
            done = time.perf_counter()
            out["transaction"].append(done - started)
            out["begin + sends"].append(acked - started)
            out["EndTxn"].append(done - acked)
            started = time.perf_counter()
            await plain.send_and_wait(events, b"e" * 300, key=b"SE-C", partition=0)
            await plain.send_and_wait(your_turn, b"y" * 200, key=b"SE-C", partition=0)
            out["two acked produces"].append(time.perf_counter() - started)
            if (i + 1) % 100 == 0:
                print(f"  ... {i + 1}/{count}", file=sys.stderr, flush=True)
    finally:
        await txn.stop()
        await plain.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=300, help="rounds, one after another")
    a = p.parse_args(argv)
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
    if not bootstrap:
        p.error(
            "set KAFKA_BOOTSTRAP_SERVERS to an Apache Kafka broker (`.venv/bin/triage broker --kind kafka "
            "--port 19092` in another terminal): the embedded Tansu has no transactions"
        )
    kafka = KafkaSettings(bootstrap, f"txn{uuid.uuid4().hex[:8]}")
    figures = uvloop.run(measure(kafka, a.count))
    print(f"{a.count} rounds on {bootstrap}, ms:")
    print(f"{'':22}{'p50':>8}{'p90':>8}{'p99':>8}")
    for name, values in figures.items():
        print(f"{name:22}" + "".join(f"{pct(values, q) * 1000:>8.2f}" for q in (50, 90, 99)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
