"""Where the Kafka cluster is and which topic namespace this stack uses."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


@dataclass(frozen=True)
class KafkaSettings:
    """``KAFKA_BOOTSTRAP_SERVERS`` and ``TRIAGE_NAMESPACE`` (a topic and group prefix)."""

    bootstrap_servers: str = DEFAULT_BOOTSTRAP
    namespace: str = ""
    # faust consumers' longest wait per fetch (KAFKA_FETCH_MAX_WAIT_MS); see faust_transport.py
    fetch_max_wait_ms: int = 20

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> KafkaSettings:
        return cls(
            bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS", "") or DEFAULT_BOOTSTRAP,
            namespace=env.get("TRIAGE_NAMESPACE", ""),
            fetch_max_wait_ms=int(env.get("KAFKA_FETCH_MAX_WAIT_MS", "20")),
        )

    def client_options(self) -> dict[str, Any]:
        """Connection options for every aiokafka client (producer, consumer, admin).

        The one place where how to reach the cluster is spelled out: every client in the
        project is built with ``**kafka.client_options()``, so connection and security
        settings apply to all of them alike.
        """
        return {"bootstrap_servers": self.bootstrap_servers}

    def topic(self, name: str) -> str:
        """The broker-side name of a contract topic in this namespace."""
        return f"{self.namespace}.{name}" if self.namespace else name

    def group(self, name: str) -> str:
        """A consumer group / faust app id in this namespace."""
        return f"{self.namespace}-{name}" if self.namespace else name
