"""faust's aiokafka transport with a configurable consumer fetch wait, reading committed, and a
table manager that starts without faust's fixed 1 s pause.

faust 0.15.3 hard-codes ``fetch_max_wait_ms=1500`` for its worker consumer. Apache Kafka
answers a fetch as soon as data arrives, so that bound rarely matters there; Tansu answers
a fetch over several partitions only when the wait runs out, so every faust hop cost about
0.7 s median (benchmarks/broker_fetch_wait.py). The bound is set per app instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiokafka
import faust
from aiokafka.errors import KafkaConnectionError, NodeNotReadyError, RequestTimedOutError
from aiokafka.protocol.metadata import MetadataRequest
from faust.tables import TableManager
from faust.transport.drivers import aiokafka as faust_aiokafka

# A broker that is down (killed, restarting) answers nothing: ask another one, or wait for it.
_BROKER_DOWN = (NodeNotReadyError, KafkaConnectionError, RequestTimedOutError)
TOPIC_START_PATIENCE_S = 60.0  # how long a starting worker retries its topic declarations


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # Read by AIOKafkaConsumer.start() when it builds its Fetcher; set before start.
        consumer._fetch_max_wait_ms = self.app.fetch_max_wait_ms
        # faust reads committed only with its own exactly_once guarantee; every reader here
        # reads committed (a fenced queue owner's aborted transaction is invisible, docs/queue.md).
        consumer._isolation_level = "read_committed"
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(faust_aiokafka.Transport):
    """Declares its topics through any live broker, and retries while a broker is down.

    faust 0.15.3 asks only the FIRST broker of its metadata who the controller is, and gives up
    at once when that broker (or the controller it names) is down: a worker started during a
    broker fault exited at start with NodeNotReadyError (the 3-broker chaos test saw it on every
    queue restart near a broker kill, and the queue then stayed down until a supervisor's
    restart). A dead broker leaves the metadata once the controller fences it (a broker session,
    docs/deployment.md), so retrying with fresh metadata gets through.
    """

    Consumer = _Consumer

    async def _get_controller_node(self, owner: Any, client: Any, timeout: int = 30000) -> int | None:
        last: BaseException | None = None
        for broker in client.cluster.brokers():
            try:
                result = await owner.wait(client.send(broker.nodeId, MetadataRequest([])), timeout=timeout)
            except _BROKER_DOWN as exc:
                last = exc
                continue
            return None if result.stopped else int(result.result.controller_id)
        raise last or NodeNotReadyError("no broker answered a metadata request")

    async def _really_create_topic(
        self, owner: Any, client: Any, topic: str, *args: Any, **kwargs: Any
    ) -> None:
        deadline = time.monotonic() + TOPIC_START_PATIENCE_S
        while True:
            try:
                await super()._really_create_topic(owner, client, topic, *args, **kwargs)
                return
            except _BROKER_DOWN as exc:
                if owner.should_stop or time.monotonic() > deadline:
                    raise
                owner.log.warning("declaring topic %r: %r (a broker is down); retrying", topic, exc)
            await asyncio.sleep(0.5)
            await client.force_metadata_update()


class _TableManager(TableManager):
    """faust's table manager sleeps 1 s when it starts, before the consumer may subscribe, so
    that tables declared after start-up are still included. Every table here is declared when
    the app is built (a later one raises "Too late to add tables"), so that second is only
    delay: every worker start and every notifier restart paid it (docs/deployment.md)."""

    async def on_start(self) -> None:
        if not self.should_stop:
            await self._update_channels()
            await self.recovery.start()


class TriageFaustApp(faust.App):
    """A faust App whose worker consumer waits at most ``fetch_max_wait_ms`` per fetch."""

    def __init__(self, *args: Any, fetch_max_wait_ms: int = 20, **kwargs: Any) -> None:
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self._early_tasks: list[Callable[[], Awaitable[None]]] = []
        kwargs.setdefault("TableManager", _TableManager)
        super().__init__(*args, **kwargs)

    def early_task(self, fn: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """Run ``fn`` as soon as the app starts, beside the group join. faust starts its
        ``app.task``s only once the worker has joined its group and recovered its tables; a
        catch-up read (the notifier's SMS ledger and contact cards) started here is done or
        nearly done by then, instead of starting only then."""
        self._early_tasks.append(fn)
        return fn

    async def on_first_start(self) -> None:
        await super().on_first_start()
        for fn in self._early_tasks:
            self.add_future(fn())

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)
