"""The per-record pipeline of the queue worker, with our own durable input offsets.

Why our own offsets: faust 0.15 acks (and so commits past) records that reach a stream while
flow control is suspended during a rebalance, and treats offset gaps as acked; in our
kill -9 tests this skipped input records for good (faust-streaming issues #216/#221 are
the same family). A patient's case must never be skipped, so the worker stores, with
every record's outcome and in the same changelog partition, the next offset it expects
for that input partition (``o/<partition>/<topic>``). A record below it was already
handled (ignored); a record above it means faust skipped some: we read the missing range
ourselves with a plain aiokafka consumer and handle it first. A timer does the same for
partitions that went quiet after a skip.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from proto import codec
from proto import events as ev
from services.kafka.dead_letters import dead_letter_headers
from services.kafka.metrics import DEAD_LETTERS
from services.kafka.settings import KafkaSettings
from services.queue.domain.process import handle
from services.queue.metrics import REROUTED
from services.queue.partitioning import region_partition
from services.queue.runtime import QueueRuntime

log = logging.getLogger("triage.queue")
_INPUT = codec.Decoder[Any](ev.TRIAGE_EVENT | ev.QUEUE_COMMAND | ev.TransferIn)
Headers = list[tuple[str, bytes]]


class RecordPipeline:
    """Decode, re-route, handle, persist, emit: one input record at a time, in offset order."""

    def __init__(self, runtime: QueueRuntime, dlqs: dict[str, Any], kafka: KafkaSettings) -> None:
        self.runtime = runtime
        self.dlqs = dlqs
        self.kafka = kafka
        self.lock = asyncio.Lock()
        self.last_seen: dict[tuple[str, int], float] = {}
        self._reader: AIOKafkaConsumer | None = None

    async def on_record(self, topic: str, partition: int, offset: int, key: bytes | None,
                        value: bytes | None, headers: Headers) -> None:
        """A record from the faust stream."""
        async with self.lock:
            self.last_seen[(topic, partition)] = time.monotonic()
            expected = self.runtime.offsets.get((topic, partition), 0)
            if offset < expected:
                return  # handled before (redelivered after a restart or rebalance)
            if offset > expected:
                await self._fill(topic, partition, expected, offset)
            await self._handle(topic, partition, offset, key, value, headers)

    async def check_gaps(self) -> None:
        """Handle records of owned partitions that faust skipped and will not deliver."""
        tps = [TopicPartition(t, p) for t in self.runtime.input_topics for p in self.runtime.owned_partitions()]
        if not tps or not self.runtime.ready:
            return
        reader = await self._get_reader()
        ends = await reader.end_offsets(tps)
        now = time.monotonic()
        for tp in tps:
            key = (tp.topic, tp.partition)
            if now - self.last_seen.get(key, 0) < 3.0:
                continue  # the stream is delivering this partition; let it
            async with self.lock:
                expected = self.runtime.offsets.get(key, 0)
                if expected < ends[tp] and self.runtime.owns_partition(tp.partition):
                    await self._fill(tp.topic, tp.partition, expected, ends[tp])

    async def _fill(self, topic: str, partition: int, start: int, end: int) -> None:
        log.warning("input %s/%d: records %d..%d were not delivered by the stream; reading them directly",
                    topic, partition, start, end - 1)
        reader = await self._get_reader()
        tp = TopicPartition(topic, partition)
        reader.assign([tp])
        reader.seek(tp, start)
        done = False
        while not done:
            batch = await reader.getmany(tp, timeout_ms=2000)
            if not batch:
                break  # nothing more (the range may start below the log start)
            for record in batch.get(tp, []):
                if record.offset >= end:
                    done = True
                    break
                if record.offset >= self.runtime.offsets.get((topic, partition), 0):
                    await self._handle(topic, partition, record.offset, record.key, record.value,
                                       [(k, bytes(v)) for k, v in record.headers or ()])
            else:
                done = done or (await reader.position(tp)) >= end

    async def _get_reader(self) -> AIOKafkaConsumer:
        if self._reader is None:
            # Inputs wait while a gap is filled: do not sit out aiokafka's 500 ms on an empty fetch.
            self._reader = AIOKafkaConsumer(**self.kafka.client_options(), group_id=None,
                                            enable_auto_commit=False, auto_offset_reset="earliest",
                                            fetch_max_wait_ms=self.kafka.fetch_max_wait_ms)
            await self._reader.start()
        return self._reader

    async def stop(self) -> None:
        if self._reader is not None:
            await self._reader.stop()

    async def _handle(self, topic: str, partition: int, offset: int, key: bytes | None,
                      value: bytes | None, headers: Headers) -> None:
        rt = self.runtime
        done = (topic, partition, offset + 1)
        try:
            message = _INPUT.decode(value)
        except codec.DecodeError as exc:
            await self._dead_letter(topic, partition, offset, key, value, headers, str(exc), "decode_error")
            await rt.persist(None, done)
            return
        region = message.region
        if region_partition(region, rt.partitions) != partition:
            # Written by a producer with another partitioner: forward it to the region's
            # partition, so that exactly one heap (one worker) holds each region.
            await rt.reroute(topic, partition, offset, region, value, headers)
            REROUTED.labels(self._contract(topic)).inc()
            await rt.persist(None, done)
            return
        try:
            outcome = handle(rt.state, message, ev.utcnow())
        except Exception as exc:  # a bug must not stop the region's queue; keep the record
            log.exception("could not process %s/%s@%s", topic, partition, offset)
            await self._dead_letter(topic, partition, offset, key, value, headers,
                                    f"processing error: {type(exc).__name__}: {exc}", "processing_error")
            await rt.persist(None, done)
            return
        await rt.persist(region, done)  # durable first (outbox), then tell the world
        await rt.emit(outcome)

    async def _dead_letter(self, topic: str, partition: int, offset: int, key: bytes | None,
                           value: bytes | None, headers: Headers, error: str, reason: str) -> None:
        log.warning("dead-lettered %s/%s@%s: %s", topic, partition, offset, error)
        DEAD_LETTERS.labels(self._contract(topic), reason).inc()
        fut = await self.dlqs[topic].send(key=key, value=value,
                                          headers=dead_letter_headers(error, topic, partition, offset, headers),
                                          force=True)
        await fut

    def _contract(self, topic: str) -> str:
        ns = self.kafka.namespace
        return topic[len(ns) + 1:] if ns and topic.startswith(ns + ".") else topic
