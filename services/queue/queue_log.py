"""What the queue's durability code needs from the broker: the ``QueueLog`` and ``SnapshotStore`` interfaces.

``services/queue/kafka_log.py`` and ``snapshot_store.py`` implement them over aiokafka; the unit
tests use an in-memory fake that can crash after any write (``tests/unit/queue/fake_queue_log.py``),
and ``tests/e2e/test_queue_log_contract.py`` holds both to the same expectations.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol, TypeVar

from proto import events as ev
from services.queue.domain.batch import BatchCommit
from services.queue.domain.outputs import Outputs
from services.queue.domain.recovery import LoggedRecord

T = TypeVar("T")


class QueueLog(Protocol):
    """queue.events and the output topics, as the write path and recovery use them.

    ``own``/``begin``/``commit`` are the transaction capability: on a broker with
    transactions (``atomic``) every batch of a partition is one transaction of that
    partition's producer, and ``own`` fences the partition's previous owner; without them
    (Tansu) they do nothing and the marker alone is the commit (docs/queue.md).
    """

    writer: str  # this worker process's id, stamped on every record it writes (triage-writer)

    @property
    def atomic(self) -> bool:
        """True once writes of a partition go in broker transactions (begin ... commit)."""

    async def own(self, partition: int) -> None:
        """Become the only writer of ``partition``: on Kafka, fences (and aborts) the previous owner."""

    async def release(self, partition: int) -> None:
        """Give ``partition``'s write channel up (it was revoked or taken over)."""

    async def begin(self, partition: int) -> None:
        """Start a transaction of ``partition``'s writes (no-op without transactions)."""

    async def commit(self, partition: int) -> None:
        """Commit it: everything since ``begin`` becomes visible to read-committed readers at once.

        Raises PartitionFencedOut if another worker took the partition over meanwhile.
        """

    async def read(self, partition: int, start: int = 0) -> list[LoggedRecord]:
        """Every record of queue.events ``partition`` from offset ``start``, in offset order."""

    async def append(self, commit: BatchCommit) -> tuple[int, int]:
        """Write the commit's event records, then its marker, to queue.events; return once acked.

        Returns (offset of its first record, offset after its marker).
        """

    async def send_outputs(self, outputs: Outputs, partition: int) -> None:
        """Send notices, TransferIn commands and contact tombstones of ``partition``'s batch; return once acked."""

    async def fence(self, partition: int, recovered_to: int) -> int:
        """Write a PartitionFenced(writer, recovered_to) to queue.events ``partition``; return its offset once acked."""


class SnapshotStore(Protocol):
    """Where snapshots of a partition's state live (a compacted topic on the broker)."""

    async def latest(self, partition: int) -> tuple[ev.QueueSnapshotManifest, list[bytes]] | None:
        """The newest manifest of ``partition`` whose chunks are all there, with its chunks; None if none."""

    async def write(self, snapshot_id: str, partition: int, covers: int, chunks: list[bytes]) -> None:
        """Write the chunks, then (all acked) their manifest, then tombstones for older snapshots' chunks.

        The manifest names this worker as its writer and the offset of its first chunk.
        """


class PartitionFencedOut(RuntimeError):
    """Another worker owns this partition now: the broker refused our producer epoch."""

    def __init__(self, partition: int, cause: BaseException) -> None:
        super().__init__(f"partition {partition} was taken over by another worker ({cause!r})")
        self.partition = partition


async def in_transaction(log: QueueLog, partition: int, aw: Awaitable[T]) -> T:
    """``aw``'s writes as one transaction of ``partition`` (just ``aw`` without transactions)."""
    await log.begin(partition)
    result = await aw
    await log.commit(partition)
    return result
