"""The whole stack over SASL_SSL with SCRAM-SHA-512 on Apache Kafka's own listener.

Each service logs in as its own SCRAM user (files as a mounted KafkaUser secret would hold
them: KAFKA_SASL_USERNAME_FILE / KAFKA_SASL_PASSWORD_FILE), over TLS verified against the
cluster CA, and gets only its KafkaUser's ACLs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka.errors import KafkaConnectionError

from services.kafka.publisher import Publisher
from tests.support.secure_kafka import SecureKafka
from tests.support.secure_stack import secure_run_to_sms
from tests.support.stack import new_namespace

pytestmark = pytest.mark.e2e


def test_a_submission_becomes_an_sms_when_every_service_logs_in_with_its_own_scram_user(
    secure_kafka: SecureKafka, tmp_path: Path
) -> None:
    stack, body, sms = secure_run_to_sms(secure_kafka, secure_kafka.scram_env, tmp_path)
    assert [(r["case_id"], r["to"]) for r in sms] == [(body["case_id"], "+46700000042")]


def test_a_wrong_scram_password_is_refused_and_the_log_says_the_credentials_are_invalid(
    secure_kafka: SecureKafka, caplog: pytest.LogCaptureFixture
) -> None:
    env = secure_kafka.scram_env("triage-intake", password="not-the-password")
    kafka = secure_kafka.settings(env, new_namespace())

    async def connect() -> None:
        publisher = Publisher(kafka, source="/triage/intake", request_timeout_ms=5000)
        try:
            await publisher.start()
        finally:
            await publisher.stop()

    with pytest.raises(KafkaConnectionError):
        asyncio.run(connect())
    # aiokafka raises "Unable to bootstrap"; the reason is in the service's log
    assert any(
        "SaslAuthenticationFailed" in r.getMessage() and "invalid credentials" in r.getMessage()
        for r in caplog.records
    ), [r.getMessage() for r in caplog.records]
