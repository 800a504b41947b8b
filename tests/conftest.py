"""Shared fixtures: one real broker per test session (Tansu or Apache Kafka), fresh namespaces
per test. ``make test`` runs the e2e tier once per broker (``--broker``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.kafka.apache_kafka import KafkaCluster
from services.kafka.dev_broker import BROKER_KINDS
from services.kafka.embedded_broker import EmbeddedBroker
from services.kafka.kafka_dist import KAFKA_VERSION
from services.kafka.settings import KafkaSettings
from tests.support.stack import Stack, new_namespace


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--broker",
        choices=BROKER_KINDS,
        default=None,
        help="the session broker of the e2e tier: tansu (embedded, default) or kafka (Apache Kafka "
        "4.4, one KRaft node); default: TRIAGE_TEST_BROKER or tansu",
    )
    parser.addoption(
        "--broker-tests-only",
        action="store_true",
        help="run only the tests that use the session broker (or are marked only_broker): the "
        "second broker's pass of `make test`",
    )


def broker_kind(config: pytest.Config) -> str:
    """Which broker this run's e2e tests talk to (``--broker``, else TRIAGE_TEST_BROKER)."""
    kind = config.getoption("--broker") or os.environ.get("TRIAGE_TEST_BROKER", "").strip() or "tansu"
    if kind not in BROKER_KINDS:
        raise pytest.UsageError(f"TRIAGE_TEST_BROKER={kind!r}: choose one of {', '.join(BROKER_KINDS)}")
    return kind


def _broker_line(config: pytest.Config) -> str:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return f"broker: external, KAFKA_BOOTSTRAP_SERVERS={os.environ['KAFKA_BOOTSTRAP_SERVERS']}"
    if broker_kind(config) == "kafka":
        return f"broker: Apache Kafka {KAFKA_VERSION}, one KRaft node (--broker kafka)"
    return "broker: embedded Tansu, memory storage (--broker tansu)"


def pytest_report_header(config: pytest.Config) -> str:
    return _broker_line(config)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    terminalreporter.write_line(f"e2e tests of this run: {_broker_line(config)}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked for the other broker; with --broker-tests-only keep only broker tests."""
    kind = broker_kind(config)
    kept, dropped = [], []
    for item in items:
        mark = item.get_closest_marker("only_broker")
        if mark is not None and mark.args[0] != kind:
            item.add_marker(pytest.mark.skip(reason=f"{kind}: {mark.kwargs.get('why', 'other broker only')}"))
        uses_broker = "bootstrap_servers" in getattr(item, "fixturenames", ())
        if config.getoption("--broker-tests-only") and not uses_broker and mark is None:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def test_broker(request: pytest.FixtureRequest) -> str:
    """``tansu`` or ``kafka``: for the few tests that must differ by broker (they say why)."""
    return broker_kind(request.config)


@pytest.fixture(scope="session")
def bootstrap_servers(test_broker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Kafka-protocol broker over TCP: the embedded Tansu or one Apache Kafka node
    (``--broker``), or KAFKA_BOOTSTRAP_SERVERS."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    broker: EmbeddedBroker | KafkaCluster
    if test_broker == "kafka":
        broker = KafkaCluster(tmp_path_factory.mktemp("kafka"), nodes=1)
    else:
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
