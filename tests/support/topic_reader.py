"""Reading records back from a namespace's topics (for tests that check what was published)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from services.kafka.read_to_end import read_to_end
from services.kafka.settings import KafkaSettings


@dataclass(frozen=True)
class Record:
    topic: str  # contract name, without the namespace
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    partition: int = -1
    offset: int = -1
    timestamp: int = -1  # the record's timestamp (ms; the producer's create time)


async def _read(kafka: KafkaSettings, names: list[str] | None) -> list[Record]:
    # the one log reader: whole batches, read committed, never cut at Tansu's short end offset
    return [
        Record(
            topic,
            r.key,
            r.value,
            tuple(r.headers or ()),
            r.partition,
            r.offset,
            r.timestamp,
        )
        for topic, r in await read_to_end(kafka, names)
    ]


def read_records(kafka: KafkaSettings, names: list[str] | None = None) -> list[Record]:
    """Every record now on the namespace's topics (``names``: contract names; None = all)."""
    return asyncio.run(_read(kafka, names))
