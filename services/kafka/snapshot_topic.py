"""Snapshots of a state on a compacted topic: chunks, then a manifest written last.

The protocol of ``queue.snapshots`` (docs/queue.md, "Snapshots") and ``intake.snapshots``
(docs/intake.md), for any one partition:
- chunk records: key ``chunk/<snapshot id>/<i>``, value = bytes i of the encoded snapshot;
- once every chunk is acknowledged, the manifest: key ``manifest``, a contract message that
  names ``snapshot_id``, ``chunks`` and ``first_chunk_offset`` (where its chunks start);
- then tombstones for the chunks of the older snapshots this writer knew.
A manifest whose chunks are not all there is not a snapshot. Compaction keeps one manifest and
its chunks; until it runs, ``latest`` does not scan old snapshots: it reads a window of
``_TAIL_WINDOW`` records back from the end of the partition (then further back, x4 each time,
never re-reading) to find the last manifest, then only the chunks before that window.

Several writers may share a partition (intake's replicas): chunks of different snapshot ids
interleave harmlessly, the last manifest wins, and a writer tombstones only the snapshots it
read or wrote (an older one another writer still lists is never the last manifest again).
Reads of different partitions run concurrently (the queue's recoveries), each with a reader
of its own from a ``ReaderPool``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from proto import codec
from proto import events as ev
from services.kafka.reader_pool import ReaderPool
from services.kafka.settings import KafkaSettings
from services.kafka.tail import catch_up

log = logging.getLogger("triage.kafka.snapshots")
MANIFEST_KEY = b"manifest"
_TAIL_WINDOW = 64  # records read back from the end to find the last manifest (x4 until found); small:
# a wider window reads older snapshots' chunks (up to 512 KB each) that compaction has not removed yet


class Manifest(Protocol):
    @property
    def snapshot_id(self) -> str: ...
    @property
    def chunks(self) -> int: ...
    @property
    def first_chunk_offset(self) -> int: ...


M = TypeVar("M", bound=Manifest)


class SnapshotTopic:
    """Writes and finds snapshots on the partitions of contract topic ``name``.

    ``producer`` is called at each write (the queue's producer is built after this object).
    """

    def __init__(
        self, kafka: KafkaSettings, name: str, producer: Callable[[], AIOKafkaProducer], source: str
    ) -> None:
        self.name = name
        self.topic = kafka.topic(name)
        self.producer = producer
        self.source = source
        self._readers = ReaderPool(kafka, max_partition_fetch_bytes=8 * 1024 * 1024)
        # partition -> {snapshot id: chunks} this process read or wrote there: tombstoned after
        # its next manifest on that partition
        self._known: dict[int, dict[str, int]] = {}

    async def stop(self) -> None:
        await self._readers.stop()

    async def last_manifest(self, decoder: codec.Decoder[M], partition: int = 0) -> M | None:
        """The newest manifest on ``partition`` (its chunks unchecked), or None."""
        async with self._readers.reader() as reader:
            found = await self._find_manifest(reader, decoder, partition)
        return found[0] if found is not None else None

    async def latest(self, decoder: codec.Decoder[M], partition: int = 0) -> tuple[M, list[bytes]] | None:
        """The newest manifest on ``partition`` whose chunks are all there, with its chunks; None if none."""
        async with self._readers.reader() as reader:
            return await self._latest(reader, decoder, partition)

    async def write(
        self,
        snapshot_id: str,
        chunks: list[bytes],
        manifest: Callable[..., ev.Message],
        fields: Mapping[str, Any],
        partition: int = 0,
    ) -> None:
        """Chunks (all acked), then the manifest (acked), then tombstones for older snapshots' chunks.

        The manifest is ``manifest(snapshot_id=, chunks=, first_chunk_offset=, **fields)``: the
        protocol's fields, then the caller's own (what the snapshot covers, its writer, ...).
        """
        producer, topic, p = self.producer(), self.topic, partition
        futures = [
            await producer.send(topic, chunk, key=f"chunk/{snapshot_id}/{i}".encode(), partition=p)
            for i, chunk in enumerate(chunks)
        ]
        acked = [await f for f in futures]
        body = manifest(
            snapshot_id=snapshot_id, chunks=len(chunks), first_chunk_offset=acked[0].offset, **fields
        )
        await (
            await producer.send(
                topic,
                codec.encode_for(self.name, body),
                key=MANIFEST_KEY,
                partition=p,
                headers=codec.cloudevent_headers(body, self.source),
            )
        )
        older, self._known[p] = self._known.get(p, {}), {snapshot_id: len(chunks)}
        tombs = [
            await producer.send(topic, None, key=f"chunk/{sid}/{i}".encode(), partition=p)
            for sid, n in older.items()
            if sid != snapshot_id
            for i in range(n)
        ]
        for t in tombs:
            await t

    async def _latest(
        self, reader: AIOKafkaConsumer, decoder: codec.Decoder[M], partition: int
    ) -> tuple[M, list[bytes]] | None:
        found = await self._find_manifest(reader, decoder, partition)
        if found is None:
            return None
        m, at, window = found
        tp = TopicPartition(self.topic, partition)
        prefix = f"chunk/{m.snapshot_id}/".encode()
        begin = window[0].offset if window else at
        before = await _read(reader, tp, m.first_chunk_offset, begin) if m.first_chunk_offset < begin else []
        chunks: dict[int, bytes] = {}
        for r in before + window:  # each chunk read once
            if m.first_chunk_offset <= r.offset < at and r.key is not None and r.key.startswith(prefix):
                if r.value is not None:
                    chunks[int(r.key[len(prefix) :])] = r.value
        if sorted(chunks) != list(range(m.chunks)):
            log.warning(
                "%s partition %d: snapshot %s lacks chunks (compacted away?)",
                self.name,
                partition,
                m.snapshot_id,
            )
            return None
        # chunks (not tombstones) after the manifest are a writer's that died before its
        # manifest: ours to tombstone after our next manifest
        known = {m.snapshot_id: m.chunks}
        for r in window:
            if r.offset > at and r.value is not None and r.key is not None and r.key.startswith(b"chunk/"):
                _, sid, i = r.key.decode().split("/")
                known[sid] = max(known.get(sid, 0), int(i) + 1)
        self._known[partition] = known
        return m, [chunks[i] for i in range(m.chunks)]

    async def _find_manifest(
        self, reader: AIOKafkaConsumer, decoder: codec.Decoder[M], partition: int
    ) -> tuple[M, int, list[Any]] | None:
        """(the last manifest, its offset, the records read from a little before it to the end)
        or None. After a manifest come only tombstones (small) and perhaps a dead writer's chunks,
        so the first window usually holds it."""
        tp = TopicPartition(self.topic, partition)
        reader.assign([tp])
        end = (await reader.end_offsets([tp]))[tp]
        read: dict[int, Any] = {}
        begin, step, manifests = end, _TAIL_WINDOW, []
        while begin > 0 and not manifests:
            begin, upto, step = max(0, begin - step), begin, step * 4
            segment = [r for r in await _read(reader, tp, begin, upto) if r.offset not in read]
            read.update((r.offset, r) for r in segment)
            manifests = [r for r in segment if r.key == MANIFEST_KEY and r.value is not None]
        if not manifests:
            return None
        last = max(manifests, key=lambda r: r.offset)
        window = [read[offset] for offset in sorted(read) if offset >= begin]
        try:
            return decoder.decode(last.value), last.offset, window
        except codec.DecodeError as exc:
            log.warning("%s partition %d: the last manifest does not decode (%s)", self.name, partition, exc)
            return None


async def _read(reader: AIOKafkaConsumer, tp: TopicPartition, begin: int, end: int) -> list[ConsumerRecord]:
    """Every record of ``tp`` from ``begin`` to at least ``end`` (the shared catch-up rule: never cut)."""
    reader.seek(tp, begin)
    reader.resume(tp)  # a pooled reader comes back paused
    out: list[ConsumerRecord] = []

    async def keep(batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        out.extend(r for records in batch.values() for r in records if r.offset >= begin)

    await catch_up(reader, {tp: end}, keep, only_behind=True, timeout_s=60)
    return out
