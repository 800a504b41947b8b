"""``triage history export``: read triage.events and queue.events for a period into a history file.

Each partition is read from ``offsets_for_times(since)`` to its end offset as of the start
(records produced later are left out), so the export ends by itself. Record types the
history does not know (new queue records such as batch markers) and undecodable records
are skipped and counted; the output carries no personal data (see domain/history.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from proto import codec, topics
from services.kafka.partitions import partitions_of
from services.kafka.settings import KafkaSettings
from services.simulate.domain.history import HistoryBuilder

_DECODERS = {topics.TRIAGE_EVENTS.name: codec.TRIAGE_EVENTS, topics.QUEUE_EVENTS.name: codec.QUEUE_EVENTS}


async def export_history(
    kafka: KafkaSettings, since: dt.datetime, until: dt.datetime, timeout_s: float = 60.0
) -> tuple[HistoryBuilder, int]:
    """The history of [since, until) and how many records were skipped (unknown or undecodable)."""
    builder = HistoryBuilder(since, until)
    consumer = AIOKafkaConsumer(
        **kafka.client_options(), group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    skipped = 0
    try:
        await consumer.start()
        names = {kafka.topic(name): name for name in _DECODERS}
        parts = [TopicPartition(t, p) for t in names for p in sorted(await partitions_of(consumer, t))]
        consumer.assign(parts)
        ends = await consumer.end_offsets(parts)
        # Queue facts about a case come after its arrival, so both topics start at ``since``.
        firsts = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in parts})
        remaining = set()
        for tp in parts:
            found = firsts.get(tp)
            if found is None or ends[tp] == 0:  # nothing at or after ``since``
                continue
            # min(): Tansu's end is the last batch's base + 1 (below), and answers a time past the
            # last record with an offset at or past that end: start at the last batch's base then
            # (the builder drops what is before ``since``).
            consumer.seek(tp, min(found.offset, ends[tp] - 1))
            remaining.add(tp)
        messages = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while remaining:
            if loop.time() > deadline:
                raise TimeoutError(
                    f"history export: could not read to the end of {sorted(map(str, remaining))} "
                    f"within {timeout_s:.0f}s; is the broker at {kafka.bootstrap_servers} up?"
                )
            batch = await consumer.getmany(*remaining, timeout_ms=200)
            for tp, records in batch.items():
                for r in records:  # never cut at ``ends``: see below
                    try:
                        messages.append(_DECODERS[names[tp.topic]].decode(r.value))
                    except codec.DecodeError:
                        skipped += 1
            # Tansu 0.6 answers ListOffsets(latest) with the last record batch's base offset + 1
            # (services/queue/kafka_log.py): read until the position passed it, keeping the whole batch.
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
        # Arrivals first, so a call read from another partition before its arrival is not lost.
        messages.sort(key=lambda m: 0 if m.__class__.__name__ == "CaseTriaged" else 1)
        for m in messages:
            builder.add(m)
    finally:
        await consumer.stop()
    return builder, skipped


def write_history(
    kafka: KafkaSettings, since: dt.datetime, until: dt.datetime, path: Path
) -> tuple[int, int]:
    """Export to ``path``; returns (lines written, records skipped)."""
    builder, skipped = asyncio.run(export_history(kafka, since, until))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(builder.text(), encoding="utf-8")
    return len(builder.lines), skipped
