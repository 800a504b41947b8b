"""Broker-side fencing of the queue's writes: one Kafka transaction per batch and partition.

On Apache Kafka each owned input partition p has its own transactional producer, id
``<namespace>-queue-p<p>`` (stable per partition, NOT per process or per destination, so the
next owner of p fences the last one). Starting it sends InitProducerId: the broker bumps
the producer epoch of that id, aborts the previous owner's open transaction and refuses
every later request of the old epoch (ProducerFenced). A batch's event records, its
marker and its outputs (on other topics too) go in one transaction of that producer:
read-committed readers see all of it or nothing.

aiokafka supports the v0 transaction requests only (InitProducerId, AddPartitionsToTxn,
EndTxn); Kafka 4.4 still accepts them (checked against a real broker). We never commit
consumer offsets in a transaction (the positions are in our own marker), so aiokafka's
missing KIP-447 generation fencing of TxnOffsetCommit does not matter here.

Tansu has no transactions (InitProducerId with a transactional id answers UnknownError):
with QUEUE_TRANSACTIONS=auto the first partition taken over finds that out and the log
runs without the wrapper (``atomic`` False): the same write path, and the marker protocol
is the commit for recovery (docs/queue.md, "What each broker guarantees").
"""

from __future__ import annotations

import logging
from typing import Any

import aiokafka.producer.sender as _aiokafka_sender
from aiokafka import AIOKafkaProducer
from aiokafka.errors import InvalidProducerEpoch, ProducerFenced, UnknownError

from services.kafka.settings import KafkaSettings
from services.queue.queue_log import PartitionFencedOut

log = logging.getLogger("triage.queue")
# A transaction begun right after the last one's EndTxn gets CONCURRENT_TRANSACTIONS on its
# AddPartitionsToTxn until the coordinator has written the last one's markers (KAFKA-5477);
# aiokafka (0.14.0, pinned) then waits a fixed 20 ms before it retries. Every batch of a busy
# partition paid those 20 ms (measured on Kafka 4.4, busy machine: a transaction of two records
# took 16-25 ms median with it, ~4 ms with 2 ms; docs/performance.md). The markers take a few ms.
if hasattr(_aiokafka_sender, "BACKOFF_OVERRIDE"):
    _aiokafka_sender.BACKOFF_OVERRIDE = 0.002
MODES = ("auto", "on", "off")
# What a write of a fenced producer answers: another worker took the partition over.
FENCED_ERRORS: tuple[type[BaseException], ...] = (ProducerFenced, InvalidProducerEpoch)


class TransactionsUnavailable(RuntimeError):
    """QUEUE_TRANSACTIONS=on, but the broker has no transactions."""


class PartitionProducers:
    """The transactional producer of each partition this worker owns (Kafka), or none (Tansu)."""

    def __init__(self, kafka: KafkaSettings, mode: str, timeout_ms: int, **producer_options: Any) -> None:
        if mode not in MODES:
            raise ValueError(f"QUEUE_TRANSACTIONS={mode!r}: use one of {', '.join(MODES)}")
        self.kafka = kafka
        self.timeout_ms = timeout_ms
        self.options = producer_options
        # None: not known yet (auto, before the first takeover); then True or False for good
        self.atomic: bool | None = {"auto": None, "on": True, "off": False}[mode]
        self.required = mode == "on"
        self._producers: dict[int, AIOKafkaProducer] = {}

    def transactional_id(self, partition: int) -> str:
        return self.kafka.group(f"queue-p{partition}")

    async def own(self, partition: int) -> None:
        """Become the only writer of ``partition`` (fences its previous owner on Kafka)."""
        await self.release(partition)
        if self.atomic is False:
            return
        producer = AIOKafkaProducer(
            **self.kafka.client_options(),
            **self.options,
            transactional_id=self.transactional_id(partition),
            transaction_timeout_ms=self.timeout_ms,
        )
        try:
            await producer.start()  # InitProducerId: bumps the epoch, aborts the old owner's transaction
        except UnknownError as exc:
            await producer.stop()
            if self.required:
                raise TransactionsUnavailable(
                    "QUEUE_TRANSACTIONS=on, but the broker refused InitProducerId with a transactional id "
                    f"({exc!r}); set QUEUE_TRANSACTIONS=auto or off for a broker without transactions (Tansu)"
                ) from exc
            if self.atomic is None:
                log.warning(
                    "the broker has no transactions (InitProducerId answered %r): the queue writes without "
                    "them; the commit markers keep recovery sound, but a stalled worker is not fenced "
                    "(docs/queue.md, what each broker guarantees)",
                    exc,
                )
            self.atomic = False
            return
        if self.atomic is None:
            log.info("the broker has transactions: every batch is one transaction per partition")
        self.atomic = True
        self._producers[partition] = producer

    def producer(self, partition: int) -> AIOKafkaProducer | None:
        """The transactional producer of ``partition``; None without transactions."""
        if not self.atomic:
            return None
        try:
            return self._producers[partition]
        except KeyError:
            raise RuntimeError(f"partition {partition} is not owned by this worker: own() it first") from None

    async def begin(self, partition: int) -> None:
        producer = self.producer(partition)
        if producer is not None:
            await self._fenced_as(partition, producer.begin_transaction())

    async def commit(self, partition: int) -> None:
        producer = self.producer(partition)
        if producer is not None:
            await self._fenced_as(partition, producer.commit_transaction())

    async def release(self, partition: int) -> None:
        """Close the producer of a partition we no longer own (an open transaction is aborted)."""
        producer = self._producers.pop(partition, None)
        if producer is not None:
            try:
                await producer.stop()
            except Exception as exc:  # a fenced producer may refuse its goodbye: it is gone either way
                log.info("closing the producer of partition %d: %r", partition, exc)

    async def stop(self) -> None:
        for partition in list(self._producers):
            await self.release(partition)

    async def _fenced_as(self, partition: int, aw: Any) -> Any:
        try:
            return await aw
        except FENCED_ERRORS as exc:
            raise PartitionFencedOut(partition, exc) from exc
