"""Snapshots of a read model on a compacted topic: chunks, then a manifest written last.

The protocol of ``queue.snapshots`` (docs/queue.md, "Snapshots"), for any one partition:
- chunk records: key ``chunk/<snapshot id>/<i>``, value = bytes i of the encoded snapshot;
- once every chunk is acknowledged, the manifest: key ``manifest``, a contract message that
  names ``snapshot_id``, ``chunks`` and ``first_chunk_offset`` (where its chunks start);
- then tombstones for the chunks of the older snapshots this writer knew.
A manifest whose chunks are not all there is not a snapshot. Compaction keeps one manifest and
its chunks; until it runs, ``latest`` does not scan old snapshots: it reads backwards from the end
of the partition to find the last manifest, then the chunks from the offset it names.

Several writers may share the partition (intake's replicas): chunks of different snapshot ids
interleave harmlessly, the last manifest wins, and a writer tombstones only the snapshots it
read or wrote (an older one another writer still lists is never the last manifest again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from proto import codec
from proto import events as ev
from services.kafka.settings import KafkaSettings
from services.kafka.tail import catch_up, open_consumer

log = logging.getLogger("triage.kafka.snapshots")
MANIFEST_KEY = b"manifest"
_STEP = 16  # records read back at a time from the end to find the last manifest


class Manifest(Protocol):
    @property
    def snapshot_id(self) -> str: ...
    @property
    def chunks(self) -> int: ...
    @property
    def first_chunk_offset(self) -> int: ...


M = TypeVar("M", bound=Manifest)


class SnapshotTopic:
    """Writes and finds snapshots on partition ``partition`` of contract topic ``name``."""

    def __init__(
        self, kafka: KafkaSettings, name: str, producer: AIOKafkaProducer, source: str, partition: int = 0
    ) -> None:
        self.kafka = kafka
        self.name = name
        self.producer = producer
        self.source = source
        self.tp = TopicPartition(kafka.topic(name), partition)
        self._reader: AIOKafkaConsumer | None = None
        self._known: dict[str, int] = {}  # snapshot id -> chunks: tombstoned after our next manifest

    async def stop(self) -> None:
        if self._reader is not None:
            await self._reader.stop()
            self._reader = None

    async def last_manifest(self, decoder: codec.Decoder[M]) -> M | None:
        """The newest manifest on the partition (its chunks unchecked), or None."""
        found = await self._find_manifest(decoder)
        return found[0] if found is not None else None

    async def latest(self, decoder: codec.Decoder[M]) -> tuple[M, list[bytes]] | None:
        """The newest manifest whose chunks are all there, with its chunks; None if none."""
        found = await self._find_manifest(decoder)
        if found is None:
            return None
        m, at, window = found
        prefix = f"chunk/{m.snapshot_id}/".encode()
        begin = window[0].offset if window else at
        before = await self._read(m.first_chunk_offset, begin) if m.first_chunk_offset < begin else []
        chunks: dict[int, bytes] = {}
        for r in before + window:  # each chunk read once
            if m.first_chunk_offset <= r.offset < at and r.key is not None and r.key.startswith(prefix):
                if r.value is not None:
                    chunks[int(r.key[len(prefix) :])] = r.value
        if sorted(chunks) != list(range(m.chunks)):
            log.warning("%s: snapshot %s lacks chunks (compacted away?)", self.name, m.snapshot_id)
            return None
        # chunks after the manifest are a writer's that died before its manifest: ours to tombstone
        self._known = {m.snapshot_id: m.chunks}
        for r in window:
            if r.offset > at and r.value is not None and r.key is not None and r.key.startswith(b"chunk/"):
                _, sid, i = r.key.decode().split("/")
                self._known[sid] = max(self._known.get(sid, 0), int(i) + 1)
        return m, [chunks[i] for i in range(m.chunks)]

    async def write(
        self, snapshot_id: str, chunks: list[bytes], manifest: Callable[[int], ev.Message]
    ) -> None:
        """Chunks (all acked), then ``manifest(first_chunk_offset)`` (acked), then tombstones."""
        topic, p = self.tp.topic, self.tp.partition
        futures = [
            await self.producer.send(topic, chunk, key=f"chunk/{snapshot_id}/{i}".encode(), partition=p)
            for i, chunk in enumerate(chunks)
        ]
        acked = [await f for f in futures]
        body = manifest(acked[0].offset)
        await (
            await self.producer.send(
                topic,
                codec.encode_for(self.name, body),
                key=MANIFEST_KEY,
                partition=p,
                headers=codec.cloudevent_headers(body, self.source),
            )
        )
        older, self._known = self._known, {snapshot_id: len(chunks)}
        tombs = [
            await self.producer.send(topic, None, key=f"chunk/{sid}/{i}".encode(), partition=p)
            for sid, n in older.items()
            if sid != snapshot_id
            for i in range(n)
        ]
        for t in tombs:
            await t

    async def _find_manifest(self, decoder: codec.Decoder[M]) -> tuple[M, int, list[Any]] | None:
        """(the last manifest, its offset, the records read from a little before it to the end)
        or None. Read backwards ``_STEP`` records at a time: after a manifest come only
        tombstones (small), so finding it reads at most a step's worth of chunks."""
        reader = await self._start_reader()
        end = (await reader.end_offsets([self.tp]))[self.tp]
        read: dict[int, Any] = {}
        begin, manifests = end, []
        while begin > 0 and not manifests:
            begin, upto = max(0, begin - _STEP), begin
            segment = [r for r in await self._read(begin, upto) if r.offset not in read]
            read.update((r.offset, r) for r in segment)
            manifests = [r for r in segment if r.key == MANIFEST_KEY and r.value is not None]
        if not manifests:
            return None
        last = max(manifests, key=lambda r: r.offset)
        window = [read[offset] for offset in sorted(read) if offset >= begin]
        try:
            return decoder.decode(last.value), last.offset, window
        except codec.DecodeError as exc:
            log.warning("%s: the last manifest does not decode (%s)", self.name, exc)
            return None

    async def _start_reader(self) -> AIOKafkaConsumer:
        if self._reader is None:
            self._reader = open_consumer(self.kafka, max_partition_fetch_bytes=8 * 1024 * 1024)
            await self._reader.start()
            self._reader.assign([self.tp])
        return self._reader

    async def _read(self, begin: int, end: int) -> list[ConsumerRecord]:
        """Every record from ``begin`` to at least ``end`` (the shared catch-up rule: never cut)."""
        reader = await self._start_reader()
        reader.seek(self.tp, begin)
        out: list[ConsumerRecord] = []

        async def keep(batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
            out.extend(r for records in batch.values() for r in records if r.offset >= begin)

        await catch_up(reader, {self.tp: end}, keep, only_behind=True, timeout_s=60)
        return out
