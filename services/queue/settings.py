"""Queue service configuration, built once from the environment in ``main()``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.kafka.settings import KafkaSettings


@dataclass(frozen=True)
class QueueSettings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    data_dir: str = "var/queue"
    # Short session timeout so a killed worker's partitions move quickly (see docs/operations.md).
    session_timeout_s: float = 10.0
    heartbeat_interval_s: float = 1.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> QueueSettings:
        return cls(
            kafka=KafkaSettings.from_env(env),
            web_host=env.get("QUEUE_WEB_HOST", "127.0.0.1"),
            web_port=int(env.get("QUEUE_WEB_PORT", "6066")),
            data_dir=env.get("QUEUE_DATA_DIR", "var/queue"),
            session_timeout_s=float(env.get("QUEUE_SESSION_TIMEOUT_S", "10")),
            heartbeat_interval_s=float(env.get("QUEUE_HEARTBEAT_INTERVAL_S", "1")),
        )
