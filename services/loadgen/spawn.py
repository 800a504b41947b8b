"""``--spawn``: a private system for one load run, started and stopped by the load generator.

The embedded broker on a free loopback port, a fresh topic namespace, and intake, queue
and notifier as child processes on free ports (logs in ``<out>/stack-logs``). This makes
benchmark commands self-contained: nothing to start first, nothing left running after.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from services.kafka.embedded_broker import EmbeddedBroker, free_port
from services.kafka.settings import KafkaSettings
from services.kafka.topic_admin import ensure_topics
from services.process_group import Child, service_argv, stop_all, wait_healthy


@dataclass
class SpawnedSystem:
    kafka: KafkaSettings
    intake_url: str
    queue_url: str
    children: dict[str, Child] = field(default_factory=dict)

    def pid(self, name: str) -> int | None:
        child = self.children.get(name)
        return child.proc.pid if child and child.proc else None


@dataclass(frozen=True)
class SpawnOptions:
    log_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)


@contextmanager
def spawned_system(options: SpawnOptions) -> Iterator[SpawnedSystem]:
    """Broker (unless KAFKA_BOOTSTRAP_SERVERS is set) + topics + the three services."""
    options.log_dir.mkdir(parents=True, exist_ok=True)
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
    broker = None if external else EmbeddedBroker(port=0, log_path=options.log_dir / "broker.log")
    children: list[Child] = []
    try:
        bootstrap = external or broker.start()  # type: ignore[union-attr]
        kafka = KafkaSettings(bootstrap, f"lg{uuid.uuid4().hex[:8]}")
        asyncio.run(ensure_topics(kafka))
        ports = {"intake": free_port(), "queue": free_port(), "notifier": free_port()}
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "TRIAGE_NAMESPACE": kafka.namespace,
            "INTAKE_PORT": str(ports["intake"]),
            "QUEUE_WEB_PORT": str(ports["queue"]),
            "NOTIFIER_WEB_PORT": str(ports["notifier"]),
            "QUEUE_DATA_DIR": str(options.log_dir / "queue-data"),
            "NOTIFIER_DATA_DIR": str(options.log_dir / "notifier-data"),
            "SMS_OUTBOX_PATH": str(options.log_dir / "sms-outbox.jsonl"),
            # The dev outbox is a file, not 46elks: the provider rate limit (default 10/s) would
            # measure the throttle, not the system (SpawnOptions.extra_env overrides it).
            "SMS_RATE_PER_S": "1000",
            **options.extra_env,
        }
        system = SpawnedSystem(
            kafka, f"http://127.0.0.1:{ports['intake']}", f"http://127.0.0.1:{ports['queue']}"
        )
        for name in ("queue", "notifier", "intake"):
            health = "/readyz" if name == "intake" else "/healthz"
            child = Child(name, service_argv(name), f"http://127.0.0.1:{ports[name]}{health}", env)
            log = os.open(options.log_dir / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            child.start(log)
            os.close(log)
            children.append(child)
            system.children[name] = child
        failed = wait_healthy(children, timeout=120)
        if failed:
            raise RuntimeError(f"spawned services not healthy: {failed}; see {options.log_dir}/")
        yield system
    finally:
        stop_all(children)
        if broker is not None:
            broker.stop()
