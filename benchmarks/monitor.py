"""Watching an output topic until the expected records are there; rates from record timestamps."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from proto.topics import TopicSpec
from services.kafka.settings import KafkaSettings


@dataclass
class OutputWatch:
    name: str
    expected: int
    count: int = 0
    first_ms: int | None = None
    last_ms: int | None = None
    timestamps_ms: list[int] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def complete(self) -> bool:
        return self.count >= self.expected

    @property
    def span_s(self) -> float:
        if self.first_ms is None or self.last_ms is None:
            return 0.0
        return max(0.001, (self.last_ms - self.first_ms) / 1000)

    @property
    def rate(self) -> float:
        """Input events per second between the first and the last output record."""
        return (self.count - 1) / self.span_s if self.count > 1 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "events_per_s": round(self.rate, 1),
            "span_s": round(self.span_s, 3),
            "outputs": self.count,
            "expected": self.expected,
            "complete": self.complete,
            "by_type": dict(self.kinds),
        }


# Records on queue.events that answer no input of their own (commit markers, fences, heads-ups):
# counted by type, but not as outputs.
NOT_ANSWERS = frozenset({"queue.batch-committed.v1", "queue.partition-fenced.v1", "patient.heads-up.v1"})


async def watch_outputs(
    kafka: KafkaSettings, spec: TopicSpec, expected: int, timeout_s: float, name: str
) -> OutputWatch:
    """Read ``spec`` from the beginning until ``expected`` answer records or ``timeout_s``."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    watch = OutputWatch(name, expected)
    consumer = AIOKafkaConsumer(
        **kafka.consumer_options(), group_id=None, enable_auto_commit=False, fetch_max_wait_ms=50
    )
    await consumer.start()
    parts = [TopicPartition(kafka.topic(spec.name), p) for p in range(spec.partitions)]
    consumer.assign(parts)
    await consumer.seek_to_beginning(*parts)
    deadline = time.monotonic() + timeout_s
    try:
        while watch.count < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            for records in batches.values():
                for r in records:
                    kind = _kind(r.value)
                    watch.kinds[kind] += 1
                    if kind in NOT_ANSWERS:
                        continue
                    watch.count += 1
                    watch.timestamps_ms.append(r.timestamp)
        if watch.timestamps_ms:
            watch.first_ms, watch.last_ms = min(watch.timestamps_ms), max(watch.timestamps_ms)
    finally:
        await consumer.stop()
    print(f"{name}: {watch.count}/{expected} outputs, {watch.rate:.0f} events/s", flush=True)
    return watch


def _kind(value: bytes | None) -> str:
    try:
        return str(orjson.loads(value or b"{}").get("type", "?"))
    except orjson.JSONDecodeError:
        return "undecodable"


def plot_watches(watches: list[tuple[str, OutputWatch]], path: Path, title: str) -> None:
    """Cumulative outputs over time since each phase's first output."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    for name, w in watches:
        if not w.timestamps_ms:
            continue
        ts = sorted(w.timestamps_ms)
        ax.plot(
            [(t - ts[0]) / 1000 for t in ts], range(1, len(ts) + 1), label=f"{name}: {w.rate:.0f} events/s"
        )
    ax.set_xlabel("seconds since first output")
    ax.set_ylabel("outputs on the events topic")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
