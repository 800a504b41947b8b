"""``KafkaSnapshotStore``: the committer's ``SnapshotStore`` on the compacted topic queue.snapshots.

Partition p of queue.snapshots holds the snapshots of queue.events partition p:
- chunk records: key ``chunk/<snapshot id>/<i>``, value = bytes i of the encoded snapshot;
- then, once every chunk is acknowledged, the manifest: key ``manifest``, value =
  ``QueueSnapshotManifest`` as JSON (it names the queue.events offset it covers and the
  offset of its first chunk here);
- then tombstones (value None) for the chunks of older snapshots.
Compaction keeps one manifest and its chunks per partition; until it runs, ``latest``
does not scan old snapshots: it reads a window at the end of the partition to find the
last manifest, then the chunks from the offset the manifest names.
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from proto import codec, topics
from proto import events as ev
from services.kafka.settings import KafkaSettings
from services.queue.kafka_log import SOURCE, KafkaQueueLog, ReaderPool, read_range

log = logging.getLogger("triage.queue")
MANIFEST_KEY = b"manifest"
_MANIFEST = codec.Decoder[ev.QueueSnapshotManifest](ev.QueueSnapshotManifest)
_TAIL_WINDOW = 64  # records read back from the end to find the last manifest (x4 until found); small:
# a wider window reads older snapshots' chunks (up to 512 KB each) that compaction has not removed yet


class KafkaSnapshotStore:
    """Writes and finds the snapshots of the queue's partitions."""

    def __init__(self, kafka: KafkaSettings, qlog: KafkaQueueLog) -> None:
        self.kafka = kafka
        self.topic = kafka.topic(topics.QUEUE_SNAPSHOTS.name)
        self.qlog = qlog  # its producer (built with kafka.client_options() in start()) sends ours too
        # recoveries run concurrently: each read takes a reader of its own (one partition each)
        self._readers = ReaderPool(kafka, max_partition_fetch_bytes=8 * 1024 * 1024)
        # partition -> {snapshot id: chunk count} of snapshots this worker read or wrote there:
        # their chunks get tombstones once a newer manifest is acknowledged
        self._known: dict[int, dict[str, int]] = {}

    async def stop(self) -> None:
        await self._readers.stop()

    async def latest(self, partition: int) -> tuple[ev.QueueSnapshotManifest, list[bytes]] | None:
        """The newest manifest of ``partition`` whose chunks are all there, with its chunks; None if none."""
        async with self._readers.reader() as reader:
            return await self._latest(reader, partition)

    async def _latest(
        self, reader: AIOKafkaConsumer, partition: int
    ) -> tuple[ev.QueueSnapshotManifest, list[bytes]] | None:
        tp = TopicPartition(self.topic, partition)
        reader.assign([tp])
        end = (await reader.end_offsets([tp]))[tp]
        window = _TAIL_WINDOW
        while True:
            begin = max(0, end - window)
            records = await self._read(reader, tp, begin, end)
            manifests = [r for r in records if r.key == MANIFEST_KEY and r.value is not None]
            if manifests or begin == 0:
                break
            window *= 4
        if not manifests:
            return None
        try:
            m = _MANIFEST.decode(manifests[-1].value)
        except codec.DecodeError as exc:
            log.warning(
                "queue.snapshots partition %d: the last manifest does not decode (%s); "
                "recovering from the full queue.events",
                partition,
                exc,
            )
            return None
        chunks: dict[int, bytes] = {}
        prefix = f"chunk/{m.snapshot_id}/".encode()
        window_has_them = m.first_chunk_offset >= begin  # the usual case: do not read the chunks twice
        chunk_records = (
            records
            if window_has_them
            else await self._read(reader, tp, m.first_chunk_offset, manifests[-1].offset)
        )
        for r in chunk_records:
            if not m.first_chunk_offset <= r.offset < manifests[-1].offset:
                continue
            if r.key is not None and r.key.startswith(prefix) and r.value is not None:
                chunks[int(r.key[len(prefix) :])] = r.value
        if sorted(chunks) != list(range(m.chunks)):
            return None  # chunks gone (should not happen: a manifest is written after its chunks)
        # chunks after the manifest are those of a snapshot whose writer died before its
        # manifest: tombstone them too after our next manifest
        known = {m.snapshot_id: m.chunks}
        for r in records:
            if r.offset > manifests[-1].offset and r.key is not None and r.key.startswith(b"chunk/"):
                _, sid, i = r.key.decode().split("/")
                known[sid] = max(known.get(sid, 0), int(i) + 1)
        self._known[partition] = known
        return m, [chunks[i] for i in range(m.chunks)]

    async def write(self, snapshot_id: str, partition: int, covers: int, chunks: list[bytes]) -> None:
        """Chunks (all acked), then the manifest (acked), then tombstones for older snapshots' chunks."""
        p = partition
        futures = [
            await self.qlog.producer.send(
                self.topic, chunk, key=f"chunk/{snapshot_id}/{i}".encode(), partition=p
            )
            for i, chunk in enumerate(chunks)
        ]
        acked = [await f for f in futures]
        body = ev.QueueSnapshotManifest(
            snapshot_id=snapshot_id,
            partition=p,
            covers=covers,
            chunks=len(chunks),
            writer=self.qlog.writer,
            first_chunk_offset=acked[0].offset,
        )
        await (
            await self.qlog.producer.send(
                self.topic,
                codec.encode_for(topics.QUEUE_SNAPSHOTS.name, body),
                key=MANIFEST_KEY,
                partition=p,
                headers=codec.cloudevent_headers(body, SOURCE),
            )
        )
        older = self._known.get(p, {})
        self._known[p] = {snapshot_id: len(chunks)}
        tombs = [
            await self.qlog.producer.send(self.topic, None, key=f"chunk/{sid}/{i}".encode(), partition=p)
            for sid, n in older.items()
            if sid != snapshot_id
            for i in range(n)
        ]
        for t in tombs:
            await t

    @staticmethod
    async def _read(reader: AIOKafkaConsumer, tp: TopicPartition, begin: int, end: int) -> list[Any]:
        return await read_range(reader, tp, begin, end, max_records=10_000)
