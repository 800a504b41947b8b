"""Shared fixtures: one real embedded broker per test session, fresh namespaces per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.kafka.embedded_broker import EmbeddedBroker
from services.kafka.settings import KafkaSettings
from tests.support.stack import Stack, new_namespace


@pytest.fixture(scope="session")
def bootstrap_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Kafka-protocol broker over TCP: the embedded Tansu, or KAFKA_BOOTSTRAP_SERVERS."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    broker = EmbeddedBroker(port=0, log_path=tmp_path_factory.mktemp("broker") / "tansu.log")
    broker.start()
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


@pytest.fixture
def kafka(bootstrap_servers: str) -> KafkaSettings:
    """Kafka settings with a fresh topic namespace, so tests never see each other's records."""
    return KafkaSettings(bootstrap_servers=bootstrap_servers, namespace=new_namespace())


@pytest.fixture
def stack(kafka: KafkaSettings, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """intake, queue and notifier as real processes (start them with ``stack.start()``)."""
    s = Stack(kafka=kafka, workdir=tmp_path)
    try:
        yield s
    finally:
        s.stop()
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(s.logs())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)
