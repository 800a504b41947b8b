"""Reading the audit trail for auditors: audit.events read whole into memory, indexed by
case and actor, then tailed. Queries filter by case, actor, region and time range.

This holds every record in memory (``STAFF_AUDIT_MEMORY`` caps it; the oldest are dropped
from the in-memory index, never from the topic). docs/staff.md says how it scales past
memory: a sink into PostgreSQL, or a time-range scan with offsets_for_times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from aiokafka import ConsumerRecord

from proto import codec, topics
from proto.events import AuditRecorded
from services.kafka.settings import KafkaSettings
from services.kafka.tail import LogTail, each_record


class AuditIndex:
    """Audit records in memory, deduplicated by event id, indexed by case and actor. Pure."""

    def __init__(self, capacity: int, on_request: Callable[[str, str], None] | None = None) -> None:
        self.capacity = capacity
        self.on_request = on_request  # (request_id, digest) of each "requested" record: the bindings
        self._records: list[AuditRecorded] = []
        self._ids: set[str] = set()
        self._by_case: dict[str, list[int]] = {}
        self._by_actor: dict[str, list[int]] = {}

    def __len__(self) -> int:
        return len(self._records)

    def add(self, entry: AuditRecorded) -> None:
        """Index one record (a redelivered record with a known event id is ignored)."""
        if entry.event_id in self._ids:
            return
        if entry.outcome == "requested" and entry.request_digest and self.on_request is not None:
            self.on_request(entry.request_id, entry.request_digest)
        if len(self._records) >= self.capacity:
            self._rebuild(self._records[len(self._records) // 2 :])
        self._append(entry)

    def _append(self, entry: AuditRecorded) -> None:
        i = len(self._records)
        self._records.append(entry)
        self._ids.add(entry.event_id)
        for case_id in {entry.case_id, *entry.case_ids} - {""}:
            self._by_case.setdefault(case_id, []).append(i)
        self._by_actor.setdefault(entry.actor, []).append(i)

    def _rebuild(self, keep: list[AuditRecorded]) -> None:
        self._records, self._ids, self._by_case, self._by_actor = [], set(), {}, {}
        for entry in keep:
            self._append(entry)

    def query(
        self,
        *,
        case_id: str = "",
        actor: str = "",
        regions: frozenset[str] | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        limit: int = 100,
    ) -> list[AuditRecorded]:
        """Records matching every given filter, oldest first, at most ``limit``.

        ``regions`` None means all regions; records without a region match only then.
        """
        candidates: Iterable[int] = range(len(self._records))
        if case_id:
            candidates = self._by_case.get(case_id, [])
        if actor:
            by_actor = self._by_actor.get(actor, [])
            candidates = sorted(set(candidates) & set(by_actor)) if case_id else by_actor
        found = []
        for i in candidates:
            entry = self._records[i]
            if regions is not None and entry.region not in regions:
                continue
            if (since and entry.occurred_at < since) or (until and entry.occurred_at >= until):
                continue
            found.append(entry)
        found.sort(key=lambda e: e.occurred_at)
        return found[:limit]


class AuditLog:
    """Fills an AuditIndex from audit.events: from the beginning, ready at the end, then tails."""

    def __init__(
        self, kafka: KafkaSettings, capacity: int, on_request: Callable[[str, str], None] | None = None
    ) -> None:
        self.kafka = kafka
        self.index = AuditIndex(capacity, on_request)
        self._tail = LogTail(kafka, (topics.AUDIT_EVENTS.name,), max_records=5000)
        self.ready = self._tail.ready

    async def run(self) -> None:
        """Read the whole topic, set ``ready`` once caught up, then keep reading."""
        await self._tail.run(each_record(self._apply))

    def _apply(self, _topic: str, record: ConsumerRecord) -> None:
        try:
            self.index.add(codec.AUDIT_EVENTS.decode(record.value))
        except codec.DecodeError:
            pass  # not ours to judge here; writers are our own code
