"""Snapshots on a compacted topic (services/kafka/snapshot_topic.py) against a real broker:
the newest complete one is found from the end, whatever came after it."""

from __future__ import annotations

import asyncio
import datetime as dt

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


def manifest(snapshot_id: str, chunks: int, first: int) -> ev.IntakeSnapshotManifest:
    return ev.IntakeSnapshotManifest(
        snapshot_id=snapshot_id,
        covers={"queue.events:0": chunks},
        chunks=chunks,
        writer="w",
        first_chunk_offset=first,
        taken_at=dt.datetime.now(dt.UTC),
    )


def test_the_newest_complete_snapshot_is_found_past_tombstones_and_an_unfinished_one(
    bootstrap_servers: str,
) -> None:
    async def go() -> None:
        kafka = KafkaSettings(bootstrap_servers, new_namespace())
        await ensure_topics(kafka, (topics.INTAKE_SNAPSHOTS,))
        producer = AIOKafkaProducer(**kafka.client_options(), enable_idempotence=False)
        await producer.start()
        writer = SnapshotTopic(kafka, topics.INTAKE_SNAPSHOTS.name, producer, "/tests")
        reader = SnapshotTopic(kafka, topics.INTAKE_SNAPSHOTS.name, producer, "/tests")
        try:
            assert await writer.latest(_MANIFEST) is None  # an empty topic: no snapshot
            for n, sid in enumerate(("a", "b", "c")):  # each tombstones the one before: 40 records
                body = [f"{sid}{i}".encode() * 100 for i in range(40 + n)]
                k = len(body)
                await writer.write(sid, body, lambda first, sid=sid, k=k: manifest(sid, k, first))
            # a writer that died after its chunks, before its manifest
            for i in range(20):
                await producer.send_and_wait(writer.tp.topic, b"x", key=f"chunk/dead/{i}".encode())
            found = await reader.latest(_MANIFEST)
            assert found is not None
            m, chunks = found
            assert m.snapshot_id == "c" and chunks == [f"c{i}".encode() * 100 for i in range(42)]
            assert (await reader.last_manifest(_MANIFEST)).snapshot_id == "c"  # type: ignore[union-attr]
            # the reader learned what to tombstone after its own next manifest: c's and the dead
            # chunks (not b's: its tombstones are already there)
            assert reader._known == {"c": 42, "dead": 20}
        finally:
            await reader.stop()
            await writer.stop()
            await producer.stop()

    asyncio.run(go())
