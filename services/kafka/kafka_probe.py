"""Asking a starting Kafka cluster whether it is ready, and who leads a partition.

Synchronous on purpose (the launcher is driven by fixtures, the CLI and tests alike): each
question runs on its own event loop in a short-lived thread, so it also works when called
from inside a running loop (an async test).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from services.kafka.embedded_broker import BrokerStartError, port_open
from services.kafka.settings import KafkaSettings

T = TypeVar("T")
READY_TOPIC = "triage-ready-probe"  # created once per cluster: proof that the controller works


def run_sync(make: Callable[[], Awaitable[T]], timeout: float = 60.0) -> T:
    """Run the coroutine ``make()`` on a fresh event loop in a thread and return its result."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(_bounded(make(), timeout))
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout + 5)
    if "error" in box:
        raise box["error"]
    if "value" not in box:
        raise TimeoutError(f"no answer from Kafka within {timeout:.0f}s")
    return box["value"]  # type: ignore[no-any-return]


async def _bounded(aw: Awaitable[T], timeout: float) -> T:
    return await asyncio.wait_for(aw, timeout)


async def _with_admin(bootstrap: str, use: Callable[[AIOKafkaAdminClient], Awaitable[T]]) -> T:
    # the cluster's own PLAINTEXT listener: no security options, whatever the services use
    admin = AIOKafkaAdminClient(**KafkaSettings(bootstrap).client_options(), request_timeout_ms=5000)
    await admin.start()
    try:
        return await use(admin)
    finally:
        await admin.close()


def cluster_brokers(bootstrap: str) -> set[int]:
    """The node ids of the live (registered, unfenced) brokers; empty if none answers."""

    async def ask(admin: AIOKafkaAdminClient) -> set[int]:
        meta = await admin.describe_cluster()
        return {int(b["node_id"]) for b in meta["brokers"]}

    try:
        return run_sync(lambda: _with_admin(bootstrap, ask), timeout=10)
    except (KafkaError, OSError, TimeoutError):
        return set()


def partition_leader(bootstrap: str, topic: str, partition: int = 0) -> int:
    """The leader's node id of ``topic``/``partition`` (-1: no leader now)."""

    async def ask(admin: AIOKafkaAdminClient) -> int:
        for t in await admin.describe_topics([topic]):
            for p in t["partitions"]:
                if p["partition"] == partition:
                    return int(p["leader"])
        raise KeyError(f"{topic}/{partition} does not exist")

    deadline = time.monotonic() + 30
    while True:  # a node just killed can still be in the metadata the client picks from
        try:
            return run_sync(lambda: _with_admin(bootstrap, ask), timeout=10)
        except (KafkaError, OSError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def wait_ready(bootstrap: str, nodes: int, timeout: float, check_alive: Callable[[], None]) -> None:
    """Wait until all ``nodes`` brokers are registered and a replicated topic has a leader.

    ``check_alive`` raises when a node process has exited (no point in waiting on).
    """
    deadline = time.monotonic() + timeout
    first = bootstrap.split(",")[0].rsplit(":", 1)
    while not port_open(first[0], int(first[1])):  # the JVM starts: no client noise meanwhile
        check_alive()
        if time.monotonic() > deadline:
            raise BrokerStartError(f"Kafka ({bootstrap}) did not listen within {timeout:.0f}s")
        time.sleep(0.1)
    while len(cluster_brokers(bootstrap)) < nodes:
        check_alive()
        if time.monotonic() > deadline:
            raise BrokerStartError(
                f"Kafka ({bootstrap}) did not register {nodes} broker(s) within {timeout:.0f}s"
            )
        time.sleep(0.25)

    async def probe(admin: AIOKafkaAdminClient) -> bool:
        try:
            await admin.create_topics([NewTopic(READY_TOPIC, 1, nodes)])
        except TopicAlreadyExistsError:
            pass
        topics = await admin.describe_topics([READY_TOPIC])
        parts = topics[0]["partitions"] if topics and topics[0]["error_code"] == 0 else []
        return bool(parts) and all(p["leader"] >= 0 and len(p["isr"]) == nodes for p in parts)

    while True:
        check_alive()
        try:
            if run_sync(lambda: _with_admin(bootstrap, probe), timeout=20):
                return
        except (KafkaError, OSError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise BrokerStartError(f"Kafka ({bootstrap}) could not create a topic within {timeout:.0f}s")
        time.sleep(0.25)
