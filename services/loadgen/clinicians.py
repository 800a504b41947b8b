"""Clinicians answering: ServeNext commands on a fixed schedule, spread over the regions
that have queues, weighted by population (a bigger region staffs more nurses)."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from aiokafka import AIOKafkaProducer

from proto import codec, topics
from proto import events as ev
from services.kafka.settings import KafkaSettings
from services.loadgen.ledger import Ledger
from services.queue_model.population import RegionPicker

SOURCE = "/triage/loadgen"


class QueueUnavailable(RuntimeError):
    """Nothing answers ServeNext: no queue worker consumes queue.commands."""


class Clinicians:
    """Sends ServeNext for ``clinicians`` clinicians per region; the clinician id rotates."""

    def __init__(
        self, kafka: KafkaSettings, ledger: Ledger, regions: RegionPicker, clinicians: int, rng: random.Random
    ) -> None:
        self.kafka = kafka
        self.ledger = ledger
        self.regions = regions
        self.clinicians = max(1, clinicians)
        self.rng = rng
        self._n = 0
        self.errors = 0
        self.producer = AIOKafkaProducer(
            **kafka.client_options(), acks="all", linger_ms=0, enable_idempotence=False
        )

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def serve_next(self, intended_t: float) -> None:
        """One clinician in a population-weighted region is free: send ServeNext."""
        region = self.regions.pick(self.rng)
        self._n += 1
        cmd = ev.ServeNext(region=region, clinician_id=f"{region}-nurse-{self._n % self.clinicians + 1}")
        self.ledger.serve_sent(cmd.request_id, region, intended_t)
        try:
            # send() only enqueues; the broker ack comes later and is awaited in the background.
            fut = await self.producer.send(
                self.kafka.topic(topics.QUEUE_COMMANDS.name),
                codec.encode_for(topics.QUEUE_COMMANDS.name, cmd),
                key=region.encode(),
                headers=codec.cloudevent_headers(cmd, SOURCE),
            )
            fut.add_done_callback(self._check)
        except Exception:
            self.errors += 1

    async def probe(self, region: str, tracker: Any, timeout_s: float) -> None:
        """Wait until the queue answers one ServeNext: it is up and consuming (a warm-up that
        keeps a worker's start-up out of the figures). Raises QueueUnavailable otherwise."""
        cmd = ev.ServeNext(region=region, clinician_id="loadgen-warm-up")
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        tracker.waiters[cmd.request_id] = answer
        await self.producer.send_and_wait(
            self.kafka.topic(topics.QUEUE_COMMANDS.name),
            codec.encode_for(topics.QUEUE_COMMANDS.name, cmd),
            key=region.encode(),
            headers=codec.cloudevent_headers(cmd, SOURCE),
        )
        try:
            await asyncio.wait_for(answer, timeout_s)
        except TimeoutError:
            raise QueueUnavailable(
                f"the queue did not answer a ServeNext on {self.kafka.topic(topics.QUEUE_COMMANDS.name)} "
                f"within {timeout_s:.0f}s: is the queue service running with TRIAGE_NAMESPACE="
                f"{self.kafka.namespace!r} on {self.kafka.bootstrap_servers}?"
            ) from None

    def _check(self, fut: asyncio.Future[object]) -> None:
        if fut.cancelled() or fut.exception() is not None:
            self.errors += 1
