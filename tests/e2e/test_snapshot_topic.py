"""Snapshots on a compacted topic (services/kafka/snapshot_topic.py, intake's and the queue's)
against a real broker: the newest complete one is found from the end, whatever came after it;
the partitions of queue.snapshots are read concurrently."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer

from proto import codec, topics
from proto import events as ev
from services.kafka.settings import KafkaSettings
from services.kafka.snapshot_topic import SnapshotTopic
from services.kafka.topic_admin import ensure_topics
from tests.support.stack import new_namespace

pytestmark = pytest.mark.e2e
_MANIFEST = codec.Decoder[ev.IntakeSnapshotManifest](ev.IntakeSnapshotManifest)


@contextlib.asynccontextmanager
async def writer_and_reader(
    bootstrap_servers: str, spec: topics.TopicSpec
) -> AsyncIterator[tuple[AIOKafkaProducer, SnapshotTopic, SnapshotTopic]]:
    """A producer, and two SnapshotTopic on ``spec`` (one writes, the other reads what it wrote)."""
    kafka = KafkaSettings(bootstrap_servers, new_namespace())
    await ensure_topics(kafka, (spec,))
    producer = AIOKafkaProducer(**kafka.client_options(), enable_idempotence=False)
    await producer.start()
    writer = SnapshotTopic(kafka, spec.name, lambda: producer, "/tests")
    reader = SnapshotTopic(kafka, spec.name, lambda: producer, "/tests")
    try:
        yield producer, writer, reader
    finally:
        await reader.stop()
        await writer.stop()
        await producer.stop()


def fields(chunks: int) -> dict[str, object]:
    return {"covers": {"queue.events:0": chunks}, "writer": "w", "taken_at": dt.datetime.now(dt.UTC)}


def test_the_newest_complete_snapshot_is_found_past_tombstones_and_an_unfinished_one(
    bootstrap_servers: str,
) -> None:
    async def go() -> None:
        async with writer_and_reader(bootstrap_servers, topics.INTAKE_SNAPSHOTS) as (
            producer,
            writer,
            reader,
        ):
            assert await writer.latest(_MANIFEST) is None  # an empty topic: no snapshot
            for n, sid in enumerate(("a", "b", "c")):  # each tombstones the one before: 40 records
                body = [f"{sid}{i}".encode() * 100 for i in range(40 + n)]
                await writer.write(sid, body, ev.IntakeSnapshotManifest, fields(len(body)))
            # a writer that died after its chunks, before its manifest
            for i in range(20):
                await producer.send_and_wait(writer.topic, b"x", key=f"chunk/dead/{i}".encode())
            found = await reader.latest(_MANIFEST)
            assert found is not None
            m, chunks = found
            assert m.snapshot_id == "c" and chunks == [f"c{i}".encode() * 100 for i in range(42)]
            assert (await reader.last_manifest(_MANIFEST)).snapshot_id == "c"  # type: ignore[union-attr]
            # the reader learned what to tombstone after its own next manifest: c's and the dead
            # chunks (not b's: its tombstones are already there)
            assert reader._known == {0: {"c": 42, "dead": 20}}

    asyncio.run(go())


def test_the_snapshots_of_several_partitions_are_read_at_once_each_with_its_own_chunks(
    bootstrap_servers: str,
) -> None:
    """queue.snapshots: one reader per concurrent read; a snapshot of more chunks than the window
    read back from the end (64 records) is read whole."""
    decoder = codec.Decoder[ev.QueueSnapshotManifest](ev.QueueSnapshotManifest)
    sizes = {0: 3, 1: 150, 2: 1, 3: 70}

    async def go() -> None:
        async with writer_and_reader(bootstrap_servers, topics.QUEUE_SNAPSHOTS) as (_, writer, reader):
            for p, n in sizes.items():
                for sid in (f"old{p}", f"new{p}"):
                    body = [f"{sid}/{i}".encode() * 50 for i in range(n)]
                    extra = {"partition": p, "covers": 10 * n, "writer": "w"}
                    await writer.write(sid, body, ev.QueueSnapshotManifest, extra, p)
            found = await asyncio.gather(*(reader.latest(decoder, p) for p in sizes))
            for (p, n), got in zip(sizes.items(), found, strict=True):
                assert got is not None
                m, chunks = got
                assert (m.snapshot_id, m.partition, m.covers, m.chunks) == (f"new{p}", p, 10 * n, n)
                assert chunks == [f"new{p}/{i}".encode() * 50 for i in range(n)]
            assert await reader.latest(decoder, 4) is None  # a partition without a snapshot
            assert len(reader._readers._all) == len(sizes)  # the reads overlapped: a reader each

    asyncio.run(go())
