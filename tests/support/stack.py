"""Real service processes for end-to-end tests: a fresh topic namespace and ports per stack."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.kafka.embedded_broker import free_port
from services.kafka.settings import KafkaSettings
from services.kafka.topic_admin import TopicPlacement, ensure_topics
from services.process_group import Child, service_argv, stop_all, wait_healthy
from services.staff.dev_issuer import DevIssuer

SERVICES = ("queue", "notifier", "intake", "staff", "forecast")
CORE = ("queue", "notifier", "intake")  # started by default; staff tests add "staff"


@dataclass
class Stack:
    """intake, queue and notifier as real processes on one broker, in one namespace."""

    kafka: KafkaSettings
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    # per service, over extra_env: e.g. each service's own Kafka credentials (its KafkaUser)
    service_env: dict[str, dict[str, str]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)
    placement: TopicPlacement | None = None  # replication of the topics it creates (default: 1 and 1)

    @property
    def dev_issuer(self) -> DevIssuer:
        """The stack's own token issuer (the staff service trusts only its key)."""
        return DevIssuer(self.workdir / "dev-issuer")

    @property
    def outbox(self) -> Path:
        return self.workdir / "sms-outbox.jsonl"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def env(self, service: str) -> dict[str, str]:
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "TRIAGE_NAMESPACE": self.kafka.namespace,
            "INTAKE_PORT": str(self.ports["intake"]),
            "QUEUE_WEB_PORT": str(self.ports["queue"]),
            "NOTIFIER_WEB_PORT": str(self.ports["notifier"]),
            "STAFF_PORT": str(self.ports["staff"]),
            "FORECAST_PORT": str(self.ports["forecast"]),
            **self.dev_issuer.env(),
            "QUEUE_DATA_DIR": str(self.workdir / "queue-data"),
            "NOTIFIER_DATA_DIR": str(self.workdir / "notifier-data"),
            "SMS_OUTBOX_PATH": str(self.outbox),
            # tests run at any hour: staffed around the clock unless a test sets its own hours
            "OPENING_HOURS_PATH": str(Path(__file__).with_name("always-open-hours.toml")),
            **self.extra_env,
            **self.service_env.get(service, {}),
        }

    def start(self, services: tuple[str, ...] = CORE, timeout: float = 90) -> None:
        asyncio.run(ensure_topics(self.kafka, placement=self.placement))
        for name in SERVICES:
            self.ports.setdefault(name, free_port())
        for name in services:
            self.start_service(name)
        self.wait_healthy(services, timeout)

    def start_service(self, name: str) -> None:
        # /readyz everywhere (queue: table recovered; notifier: ledger read), so tests never
        # act on a half-built state
        health = "/readyz"
        child = Child(name, service_argv(name), self.url(name) + health, self.env(name))
        log = os.open(self.workdir / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        child.start(log)
        os.close(log)
        self.children[name] = child

    def wait_healthy(self, services: tuple[str, ...], timeout: float = 90) -> None:
        failed = wait_healthy([self.children[s] for s in services], timeout)
        if failed:
            raise RuntimeError(f"not healthy: {failed}\n" + self.logs(*failed))

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        child = self.children[name]
        child.stop(sig)
        assert child.proc is not None
        child.proc.wait(30)

    def stop(self) -> None:
        stop_all(list(self.children.values()))

    def logs(self, *names: str) -> str:
        out = []
        for name in names or tuple(self.children):
            path = self.workdir / f"{name}.log"
            if path.exists():
                out.append(f"----- {name}.log (tail)\n" + "\n".join(path.read_text().splitlines()[-40:]))
        return "\n".join(out)

    # ------------------------------------------------------------------ HTTP helpers
    def post(self, service: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        req = urllib.request.Request(
            self.url(service) + path,
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def get(self, service: str, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(self.url(service) + path, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def outbox_records(self) -> list[dict[str, Any]]:
        if not self.outbox.exists():
            return []
        return [json.loads(line) for line in self.outbox.read_text().splitlines() if line.strip()]


def new_namespace() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll until ``predicate()`` is truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
