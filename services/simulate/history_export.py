"""``triage history export``: read triage.events and queue.events for a period into a history file.

Each triage.events partition is read from ``offsets_for_times(since)``, each queue.events
partition from its beginning (a team lead's opening-hours change made before ``since`` is
still in force in the period; of earlier records only OpeningHoursChanged is kept), to its end
offset as of the start, through the one log reader (services/kafka/tail.py), so the export ends
by itself (records produced meanwhile may come along with the last batch read). Record types the
history does not know (new queue records such as batch markers) and undecodable records
are skipped and counted; the output carries no personal data (see domain/history.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from proto import codec, topics
from services.kafka.read_to_end import read_to_end
from services.kafka.settings import KafkaSettings
from services.simulate.domain.history import HistoryBuilder

_DECODERS = {topics.TRIAGE_EVENTS.name: codec.TRIAGE_EVENTS, topics.QUEUE_EVENTS.name: codec.QUEUE_EVENTS}


async def export_history(
    kafka: KafkaSettings, since: dt.datetime, until: dt.datetime, timeout_s: float = 60.0
) -> tuple[HistoryBuilder, int]:
    """The history of [since, until) and how many records were skipped (unknown or undecodable)."""
    builder = HistoryBuilder(since, until)
    since_ms = int(since.timestamp() * 1000)
    try:
        # Queue facts about a case come after its arrival, so triage.events starts at ``since``;
        # queue.events from its beginning, for the hours changes made before ``since``.
        records = await read_to_end(
            kafka, tuple(_DECODERS), since_ms={topics.TRIAGE_EVENTS.name: since_ms}, timeout_s=timeout_s
        )
    except TimeoutError as exc:
        raise TimeoutError(f"history export: {exc}; is the broker at {kafka.bootstrap_servers} up?") from None
    skipped = 0
    messages = []
    for name, r in records:  # every record read, also past the end offsets (the reader never cuts)
        early = 0 < r.timestamp < since_ms  # before the period: only the hours in force matter
        try:
            m = _DECODERS[name].decode(r.value)
        except codec.DecodeError:
            skipped += 0 if early else 1
            continue
        if not early or type(m).__name__ == "OpeningHoursChanged":
            messages.append(m)
    # Arrivals first, so a call read from another partition before its arrival is not lost.
    messages.sort(key=lambda m: 0 if m.__class__.__name__ == "CaseTriaged" else 1)
    for m in messages:
        builder.add(m)
    return builder, skipped


def write_history(
    kafka: KafkaSettings, since: dt.datetime, until: dt.datetime, path: Path
) -> tuple[int, int]:
    """Export to ``path``; returns (lines written, records skipped)."""
    builder, skipped = asyncio.run(export_history(kafka, since, until))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(builder.text(), encoding="utf-8")
    return len(builder.lines), skipped
