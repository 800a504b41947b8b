"""The broker a developer's ``triage up`` / ``triage broker`` starts: Tansu or Apache Kafka.

``tansu`` (default): the embedded binary, memory storage, starts in well under a second, needs
nothing but the Python dev extra. ``kafka``: Apache Kafka 4.4 (KRaft, one node) with its data
under the var dir, so the queue survives a restart; needs Java 17+ and, the first time, Maven.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from services.kafka.apache_kafka import KafkaCluster
from services.kafka.embedded_broker import MEMORY_ONLY_WARNING, BrokerStartError, EmbeddedBroker

BROKER_KINDS = ("tansu", "kafka")


class DevBroker(Protocol):
    @property
    def bootstrap_servers(self) -> str: ...

    def start(self, timeout: float = ...) -> str: ...

    def stop(self, timeout: float = ...) -> None: ...


def dev_broker(kind: str, port: int, var_dir: Path, nodes: int = 1) -> DevBroker:
    """A not yet started broker of ``kind`` on ``port`` (0: free); Kafka keeps its data in
    ``var_dir/kafka`` (``kafka-3`` for three nodes)."""
    if kind == "tansu":
        if nodes != 1:
            raise BrokerStartError("the embedded Tansu broker runs as one node only; use --kind kafka for 3")
        (var_dir / "logs").mkdir(parents=True, exist_ok=True)
        return EmbeddedBroker(port=port, log_path=var_dir / "logs" / "broker.log")
    if kind == "kafka":
        return KafkaCluster(var_dir / ("kafka" if nodes == 1 else f"kafka-{nodes}"), nodes=nodes, port=port)
    raise BrokerStartError(f"broker kind {kind!r}: choose one of {', '.join(BROKER_KINDS)}")


def describe(broker: DevBroker) -> str:
    """One line saying what runs where and whether it keeps its data."""
    if isinstance(broker, KafkaCluster):
        nodes = len(broker.node_ids)
        return (
            f"Apache Kafka {nodes} node{'s' if nodes > 1 else ''} on {broker.bootstrap_servers} "
            f"(data in {broker.base_dir}, logs in {broker.node_dir(1)}/server.log)"
        )
    return f"Tansu on {broker.bootstrap_servers} (memory storage)"


def warning(kind: str) -> str | None:
    """What to tell the user before starting ``kind`` (Tansu keeps nothing)."""
    return MEMORY_ONLY_WARNING if kind == "tansu" else None
