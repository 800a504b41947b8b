"""``KafkaQueueLog``: the committer's ``QueueLog`` over aiokafka (queue.events and the outputs).

Record format on queue.events (the wire contract, docs/queue.md):
- key = region (the marker: ``partition-<p>``), value = the event (msgspec JSON),
  CloudEvents headers, plus
- ``triage-input: <contract topic>:<partition>:<offset>`` the input it answers,
- ``triage-batch: <batch id>`` the group-commit batch it belongs to,
- ``triage-answer: <key>`` the idempotency key of its input (request id / triaged-<case>).
Every record of a partition is sent to that partition explicitly, by one producer:
aiokafka keeps one request in flight per partition (sender.py mutes a partition until
its request is done), so what lands of a batch is a prefix, the marker last.
On a broker with transactions that producer is the partition's transactional producer
(``transactions.py``): a batch's records and outputs are one transaction, and every read
here is read-committed (it stops at the last stable offset, never at an open transaction).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from proto import codec, topics
from proto import events as ev
from services.kafka.reader_pool import ReaderPool
from services.kafka.settings import KafkaSettings
from services.queue.domain.batch import BatchCommit, InputPosition
from services.queue.domain.outputs import Outputs
from services.queue.domain.recovery import LoggedRecord
from services.queue.queue_log import PartitionFencedOut
from services.queue.transactions import FENCED_ERRORS, PartitionProducers

SOURCE = "/triage/queue"
_LOGGED = codec.Decoder[Any](ev.QUEUE_EVENT)


class KafkaQueueLog:
    """Reads a partition of queue.events; appends batches; sends the derived outputs."""

    def __init__(
        self, kafka: KafkaSettings, transactions: str = "auto", transaction_timeout_ms: int = 60_000
    ) -> None:
        self.kafka = kafka
        # One transactional producer per owned partition (Kafka); QUEUE_TRANSACTIONS auto|on|off
        self.partitions = PartitionProducers(
            kafka,
            transactions,
            transaction_timeout_ms,
            linger_ms=0,
            max_batch_size=1024 * 1024,
            max_request_size=4 * 1024 * 1024,
        )
        self.events_topic = kafka.topic(topics.QUEUE_EVENTS.name)
        self.contacts_topic = kafka.topic(topics.PATIENT_CONTACTS.name)
        self._producer: AIOKafkaProducer | None = None  # built in start(): aiokafka needs the loop
        # recoveries run concurrently: each read takes a reader of its own (one partition each)
        self._readers = ReaderPool(kafka, max_partition_fetch_bytes=8 * 1024 * 1024)
        self.writer = uuid.uuid4().hex[:12]
        self.last_written: dict[int, int] = {}  # partition -> offset of our last acked record
        self._writer_header = ("triage-writer", self.writer.encode())

    @property
    def producer(self) -> AIOKafkaProducer:
        """The plain producer: dead letters, re-routes, snapshots (none of them part of a batch's transaction)."""
        assert self._producer is not None, "KafkaQueueLog.start() first"
        return self._producer

    @property
    def atomic(self) -> bool:
        return bool(self.partitions.atomic)

    def _producer_of(self, partition: int) -> AIOKafkaProducer:
        """Who writes ``partition``'s batches: its transactional producer, or the plain one."""
        return self.partitions.producer(partition) or self.producer

    async def own(self, partition: int) -> None:
        await self.partitions.own(partition)

    async def release(self, partition: int) -> None:
        await self.partitions.release(partition)

    async def begin(self, partition: int) -> None:
        await self.partitions.begin(partition)

    async def commit(self, partition: int) -> None:
        await self.partitions.commit(partition)

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            **self.kafka.client_options(),
            acks="all",
            linger_ms=0,
            enable_idempotence=False,
            max_batch_size=1024 * 1024,
            max_request_size=4 * 1024 * 1024,
        )
        await self._producer.start()

    async def stop(self) -> None:
        await self.partitions.stop()
        if self._producer is not None:
            await self._producer.stop()
        await self._readers.stop()

    # ---------------------------------------------------------------- recovery
    async def read(self, partition: int, start: int = 0) -> list[LoggedRecord]:
        """Every record of queue.events ``partition`` from ``start`` up to its end now, decoded, in offset order."""
        async with self._readers.reader() as reader:
            return await self._read(reader, partition, start)

    async def _read(self, reader: AIOKafkaConsumer, partition: int, start: int) -> list[LoggedRecord]:
        tp = TopicPartition(self.events_topic, partition)
        reader.assign([tp])
        # Read-committed, the end is the last stable offset: after the last committed or
        # aborted transaction (own() came first, so no transaction of a previous owner is open).
        end = (await reader.end_offsets([tp]))[tp]
        records = await read_range(reader, tp, start, end, max_records=50_000)
        return [_logged(r.offset, r.value, r.headers) for r in records]

    # ---------------------------------------------------------------- write path
    async def append(self, commit: BatchCommit) -> tuple[int, int]:
        async with self._fenced_as(commit.partition):
            return await self._append(commit)

    async def _append(self, commit: BatchCommit) -> tuple[int, int]:
        futures = []
        p = commit.partition
        for entry in commit.entries:
            headers = [
                ("triage-input", entry.input.header().encode()),
                ("triage-batch", entry.batch_id.encode()),
                self._writer_header,
            ]
            if entry.answer_key is not None:
                headers.append(("triage-answer", entry.answer_key.encode()))
            event = entry.event
            futures.append(await self._send(p, topics.QUEUE_EVENTS, event, event.region, p, headers))  # type: ignore[attr-defined]
        futures.append(
            await self._send(
                p, topics.QUEUE_EVENTS, commit.marker, f"partition-{p}", p, [self._writer_header]
            )
        )
        acked = await asyncio.gather(*futures)
        self.last_written[p] = acked[-1].offset
        return acked[0].offset, acked[-1].offset + 1

    async def fence(self, partition: int, recovered_to: int) -> int:
        fenced = ev.PartitionFenced(writer=self.writer, partition=partition, recovered_to=recovered_to)
        async with self._fenced_as(partition):
            key = f"partition-{partition}"
            acked = await (
                await self._send(
                    partition, topics.QUEUE_EVENTS, fenced, key, partition, [self._writer_header]
                )
            )
        self.last_written[partition] = acked.offset
        return int(acked.offset)

    async def _send(
        self,
        owner: int,
        topic: topics.TopicSpec,
        message: ev.Message,
        key: str,
        partition: int | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Any:
        """Queue ``message`` on ``topic`` through ``owner``'s producer (CloudEvents headers first); the ack's future."""
        return await self._producer_of(owner).send(
            self.kafka.topic(topic.name),
            codec.encode_for(topic.name, message),
            key=key.encode(),
            partition=partition,
            headers=codec.cloudevent_headers(message, SOURCE) + (headers or []),
        )

    async def written_by_others(self, partitions: set[int]) -> set[int]:
        """The partitions whose queue.events grew past our last record (another worker wrote there)."""
        if not partitions:
            return set()
        tps = {p: TopicPartition(self.events_topic, p) for p in partitions}
        async with self._readers.reader() as reader:
            ends = await reader.end_offsets(list(tps.values()))
        # Tansu's end offset is at most the true end (see read()), so "grew" is never a false alarm
        # and another worker's batch after ours always shows (its base offset > our last offset).
        # With transactions our last transaction's commit marker takes one more offset.
        marker = 1 if self.atomic else 0
        return {p for p, tp in tps.items() if ends[tp] > self.last_written.get(p, -1) + 1 + marker}

    async def send_outputs(self, outputs: Outputs, partition: int) -> None:
        async with self._fenced_as(partition):
            await self._send_outputs(outputs, partition)

    async def _send_outputs(self, outputs: Outputs, partition: int) -> None:
        futures = [await self._send(partition, topics.QUEUE_YOUR_TURN, n, n.region) for n in outputs.notices]
        # a TransferIn is keyed by the TARGET region: its owner enqueues it
        futures += [await self._send(partition, topics.QUEUE_COMMANDS, c, c.region) for c in outputs.commands]
        send = self._producer_of(partition).send
        for case_id in outputs.forget_contacts:  # the case left the system: delete the phone
            futures.append(await send(self.contacts_topic, None, key=case_id.encode()))
        await asyncio.gather(*futures)

    async def forward(
        self,
        topic: str,
        partition: int,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
    ) -> Any:
        """Send a raw record (a re-route or a dead letter); returns the future of its ack."""
        return await self.producer.send(topic, value, key=key, partition=partition, headers=headers)

    @contextlib.asynccontextmanager
    async def _fenced_as(self, partition: int) -> AsyncIterator[None]:
        """A write refused because another worker owns ``partition`` now raises PartitionFencedOut."""
        try:
            yield
        except FENCED_ERRORS as exc:
            raise PartitionFencedOut(partition, exc) from exc


async def read_range(
    reader: AIOKafkaConsumer, tp: TopicPartition, begin: int, end: int, max_records: int
) -> list[Any]:
    """Every record of ``tp`` (assigned to ``reader``) from offset ``begin`` to at least ``end``.

    Tansu 0.6 answers ListOffsets(latest) with the LAST RECORD BATCH's base offset + 1, not
    the offset after its last record. Reading until the position passes it still returns that
    whole batch, so every record read is kept (never cut at ``end``): this bug once made
    recovery miss a committed marker.
    """
    if begin:
        reader.seek(tp, begin)
    else:
        await reader.seek_to_beginning(tp)
    out: list[Any] = []
    while await reader.position(tp) < end:
        batch = await reader.getmany(tp, timeout_ms=500, max_records=max_records)
        out += batch.get(tp, [])
    return out


def _logged(offset: int, value: bytes | None, headers: Any) -> LoggedRecord:
    """One record of queue.events as recovery sees it: its value decoded, the ``triage-`` headers read.

    A plain loop over the headers (the CloudEvents ones come first and are skipped on their
    prefix): recovery calls this once per record of the tail, and a dict of all of them cost
    twice as much.
    """
    position = answer = batch = writer = None
    for key, raw in headers or ():
        if key[:7] != "triage-":
            continue
        text = bytes(raw).decode()
        if key == "triage-input":
            position = InputPosition.parse(text)
        elif key == "triage-batch":
            batch = text
        elif key == "triage-writer":
            writer = text
        elif key == "triage-answer":
            answer = text
    return LoggedRecord(offset, _LOGGED.decode(value), position, answer, batch, writer)
