"""The Apache Kafka launcher itself: a 3-node KRaft cluster survives losing its leader, and a
reused data directory keeps records, ports and SCRAM users across a restart.

These tests start their own clusters, so they run once, in the Kafka pass of ``make test``.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError

from services.kafka.apache_kafka import KafkaCluster, Listener, ScramCredential

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.only_broker("kafka", why="starts its own Apache Kafka clusters; once is enough"),
]


async def _create(bootstrap: str, topic: str, replicas: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, replicas)])
    finally:
        await admin.close()


async def _produce(bootstrap: str, topic: str, values: list[bytes], **options: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **options)
    await producer.start()
    try:
        for v in values:
            await producer.send_and_wait(topic, v)
    finally:
        await producer.stop()


async def _read_all(bootstrap: str, topic: str, expected: int, **options: Any) -> list[bytes]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", **options)
    await consumer.start()
    out: list[bytes] = []
    try:
        deadline = time.monotonic() + 30
        while len(out) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                out += [r.value for r in records if r.value is not None]
    finally:
        await consumer.stop()
    return out


async def _isr(bootstrap: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
        return sorted(described["partitions"][0]["isr"])
    finally:
        await admin.close()


def test_a_three_node_cluster_elects_a_new_leader_keeps_acked_records_and_takes_the_killed_node_back(
    tmp_path: Path,
) -> None:
    cluster = KafkaCluster(tmp_path / "kafka", nodes=3)
    cluster.start()
    try:
        bootstrap = cluster.bootstrap_servers
        assert len(bootstrap.split(",")) == 3
        asyncio.run(_create(bootstrap, "beats", 3))
        asyncio.run(_produce(bootstrap, "beats", [b"before-%d" % i for i in range(10)]))
        old = cluster.leader("beats")
        assert old in (1, 2, 3)

        cluster.kill(old)  # SIGKILL: no clean hand-over of leadership
        killed_at = time.monotonic()
        new = cluster.leader("beats")
        while new in (old, -1) and time.monotonic() - killed_at < 60:
            time.sleep(0.5)
            new = cluster.leader("beats")
        assert new not in (old, -1), f"no new leader 60 s after node {old} was killed"
        print(
            f"new leader {new} {time.monotonic() - killed_at:.1f}s after node {old} was killed (busy machine)"
        )

        # two replicas left = min.insync.replicas: acks=all writes still succeed
        asyncio.run(_produce(bootstrap, "beats", [b"after-%d" % i for i in range(10)]))
        values = asyncio.run(_read_all(bootstrap, "beats", 20))
        assert values == [b"before-%d" % i for i in range(10)] + [b"after-%d" % i for i in range(10)]

        cluster.restart(old)
        deadline = time.monotonic() + 60
        while asyncio.run(_isr(bootstrap, "beats")) != [1, 2, 3] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert asyncio.run(_isr(bootstrap, "beats")) == [1, 2, 3]
    finally:
        cluster.stop()
    assert not any(cluster.running(n) for n in cluster.node_ids)


SASL = {
    "security_protocol": "SASL_PLAINTEXT",
    "sasl_mechanism": "SCRAM-SHA-512",
    "sasl_plain_username": "alice",
    "sasl_plain_password": "alice-secret",
}


def _scram_cluster(base: Path) -> KafkaCluster:
    return KafkaCluster(
        base,
        listeners=[Listener("SASL", "SASL_PLAINTEXT")],
        properties={
            "sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "listener.name.sasl.scram-sha-512.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            ),
        },
        scram=[ScramCredential("alice", "alice-secret")],
    )


def test_a_restarted_single_node_keeps_its_records_its_port_and_its_scram_users(tmp_path: Path) -> None:
    first = _scram_cluster(tmp_path / "kafka")
    first.start()
    try:
        plain, sasl = first.bootstrap_servers, first.listener_bootstrap("SASL")
        asyncio.run(_create(plain, "kept", 1))
        asyncio.run(_produce(sasl, "kept", [b"one", b"two"], **SASL))
    finally:
        first.stop()

    again = _scram_cluster(tmp_path / "kafka")  # same directory: no reformat
    again.start()
    try:
        assert again.bootstrap_servers == plain
        assert again.listener_bootstrap("SASL") == sasl
        assert asyncio.run(_read_all(sasl, "kept", 2, **SASL)) == [b"one", b"two"]
        wrong = {**SASL, "sasl_plain_password": "not-alice"}
        with pytest.raises(KafkaConnectionError):  # how aiokafka reports a refused login
            asyncio.run(_produce(sasl, "kept", [b"three"], **wrong))
        assert "invalid credentials with SASL mechanism SCRAM-SHA-512" in again.log_path(1).read_text()
    finally:
        again.stop()
