"""``KafkaSnapshotStore``: the committer's ``SnapshotStore`` on the compacted topic queue.snapshots.

Partition p of queue.snapshots holds the snapshots of queue.events partition p, in the protocol
of ``services/kafka/snapshot_topic.py`` (shared with intake's snapshots): chunks, then, once
every chunk is acknowledged, the manifest ``QueueSnapshotManifest`` (it names the queue.events
offset it covers, this worker as its writer and the offset of its first chunk here), then
tombstones for the chunks of older snapshots.
"""

from __future__ import annotations

from proto import codec, topics
from proto import events as ev
from services.kafka.settings import KafkaSettings
from services.kafka.snapshot_topic import SnapshotTopic
from services.queue.kafka_log import SOURCE, KafkaQueueLog

_MANIFEST = codec.Decoder[ev.QueueSnapshotManifest](ev.QueueSnapshotManifest)


class KafkaSnapshotStore:
    """Writes and finds the snapshots of the queue's partitions."""

    def __init__(self, kafka: KafkaSettings, qlog: KafkaQueueLog) -> None:
        self.qlog = qlog  # its producer (built in start()) sends ours too
        self.snapshots = SnapshotTopic(kafka, topics.QUEUE_SNAPSHOTS.name, lambda: qlog.producer, SOURCE)

    async def stop(self) -> None:
        await self.snapshots.stop()

    async def latest(self, partition: int) -> tuple[ev.QueueSnapshotManifest, list[bytes]] | None:
        """The newest manifest of ``partition`` whose chunks are all there, with its chunks; None if
        none (recovery then folds the full queue.events partition)."""
        return await self.snapshots.latest(_MANIFEST, partition)

    async def write(self, snapshot_id: str, partition: int, covers: int, chunks: list[bytes]) -> None:
        """Chunks (all acked), then the manifest (acked), then tombstones for older snapshots' chunks."""
        await self.snapshots.write(
            snapshot_id,
            chunks,
            lambda **fields: ev.QueueSnapshotManifest(**fields),  # the manifest, built here
            {"partition": partition, "covers": covers, "writer": self.qlog.writer},
            partition,
        )
