"""One Apache Kafka with TLS and SCRAM listeners and StandardAuthorizer for these tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.secure_kafka import SecureKafka


@pytest.fixture(scope="session")
def secure_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureKafka]:
    kafka = SecureKafka.start(tmp_path_factory.mktemp("secure-kafka"))
    try:
        yield kafka
    finally:
        kafka.stop()
