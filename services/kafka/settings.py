"""Where the Kafka cluster is and which topic namespace this stack uses."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.config.env import EnvReader
from services.kafka.security import KafkaAccessDenied, KafkaSecurity

__all__ = [
    "DEFAULT_BOOTSTRAP",
    "KafkaAccessDenied",
    "KafkaSecurity",
    "KafkaSettings",
    "bootstrap_from_env",
    "broker_port_from_env",
]

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


@dataclass(frozen=True)
class KafkaSettings:
    """``KAFKA_BOOTSTRAP_SERVERS``, ``TRIAGE_NAMESPACE`` (a topic and group prefix) and security."""

    bootstrap_servers: str = DEFAULT_BOOTSTRAP
    namespace: str = ""
    # faust consumers' longest wait per fetch (KAFKA_FETCH_MAX_WAIT_MS); see faust_transport.py
    fetch_max_wait_ms: int = 20
    # KAFKA_SECURITY_PROTOCOL and its files (services/kafka/security.py)
    security: KafkaSecurity = field(default_factory=KafkaSecurity)
    # KAFKA_GROUP_INSTANCE_ID: this process's static member name in the faust worker groups
    # (queue, notifier); empty = dynamic membership. docs/deployment.md, "Group timeouts".
    group_instance_id: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> KafkaSettings:
        """Read the Kafka settings; raise SettingsError naming a bad variable."""
        read = EnvReader(env)
        return cls(
            bootstrap_servers=bootstrap_from_env(env),
            namespace=read.text("TRIAGE_NAMESPACE"),
            fetch_max_wait_ms=read.int(
                "KAFKA_FETCH_MAX_WAIT_MS", 20, minimum=0, expected="a whole number of milliseconds"
            ),
            security=KafkaSecurity.from_env(env),
            group_instance_id=read.text("KAFKA_GROUP_INSTANCE_ID").strip(),
        )

    def client_options(self) -> dict[str, Any]:
        """Connection options for every aiokafka client (producer, consumer, admin).

        The one place where how to reach the cluster is spelled out: every client in the
        project is built with ``**kafka.client_options()``, so connection and security
        settings apply to all of them alike.
        """
        return {"bootstrap_servers": self.bootstrap_servers, **self.security.client_options()}

    def consumer_options(self) -> dict[str, Any]:
        """``client_options`` for a consumer: every reader in the project reads committed.

        On Apache Kafka the queue writes each batch in one transaction and a fenced owner's
        open transaction is aborted (docs/queue.md), so a reader that read uncommitted could see a
        zombie's call. Read-committed, ``end_offsets`` answers the last stable offset (LSO): a
        "read up to the end" loop stops before an open transaction instead of waiting for it.
        Tansu has no transactions and reads the same either way.
        """
        return {**self.client_options(), "isolation_level": "read_committed"}

    def topic(self, name: str) -> str:
        """The broker-side name of a contract topic in this namespace."""
        return f"{self.namespace}.{name}" if self.namespace else name

    def group(self, name: str) -> str:
        """A consumer group / faust app id in this namespace."""
        return f"{self.namespace}-{name}" if self.namespace else name


def bootstrap_from_env(env: Mapping[str, str] = os.environ) -> str:
    """``KAFKA_BOOTSTRAP_SERVERS``, else the embedded broker at ``TRIAGE_BROKER_PORT`` on loopback.

    Every subcommand finds the broker this way, so ``TRIAGE_BROKER_PORT=19092 triage up`` and
    ``TRIAGE_BROKER_PORT=19092 triage serve-next ...`` meet.
    """
    external = EnvReader(env).text("KAFKA_BOOTSTRAP_SERVERS").strip()
    return external or f"127.0.0.1:{broker_port_from_env(env)}"


def broker_port_from_env(env: Mapping[str, str] = os.environ) -> int:
    """The embedded broker's port: ``TRIAGE_BROKER_PORT`` (default 9092), validated."""
    return EnvReader(env).int("TRIAGE_BROKER_PORT", 9092, minimum=1, maximum=65535, expected="a TCP port")
