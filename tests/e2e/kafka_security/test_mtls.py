"""The whole stack on Apache Kafka's own mutual-TLS listener, each service with its own certificate.

Kafka (StandardAuthorizer) maps each certificate's CN to its KafkaUser's name and grants only
the ACLs that the KafkaUsers of deploy/k8s carry (both from proto/catalog.py). This replaces
the former test through a Python TLS terminator in front of Tansu: Kafka's listener checks the
same client certificates itself, and its authorizer also checks what each service may do,
which the terminator could not.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from aiokafka.helpers import create_ssl_context

from proto import topics
from tests.support.secure_kafka import TLS, SecureKafka
from tests.support.secure_stack import secure_run_to_sms
from tests.support.topic_reader import read_records

pytestmark = pytest.mark.e2e


def test_a_submission_becomes_an_sms_when_every_service_has_its_own_certificate_and_only_its_acls(
    secure_kafka: SecureKafka, tmp_path: Path
) -> None:
    stack, body, sms = secure_run_to_sms(secure_kafka, secure_kafka.mtls_env, tmp_path)
    assert [(r["case_id"], r["to"]) for r in sms] == [(body["case_id"], "+46700000042")]
    # The notifier's ledger records carry CloudEvents headers like every other record.
    ledger = read_records(stack.kafka, [topics.SMS_LEDGER.name])
    assert ledger, "the notifier wrote its SMS ledger"
    for record in ledger:
        headers = dict(record.headers)
        assert headers["ce_specversion"] == b"1.0" and headers["ce_source"] == b"/triage/notifier"
        assert headers["ce_type"].endswith(b"sms.ledger-entry.v1") and headers["ce_id"] and headers["ce_time"]


def test_a_kafka_client_without_a_client_certificate_is_refused(secure_kafka: SecureKafka) -> None:
    bootstrap = secure_kafka.cluster.listener_bootstrap(TLS)

    async def connect(**tls: object) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=5000, **tls)  # type: ignore[arg-type]
        try:
            await producer.start()
        finally:
            await producer.stop()

    # Trusts the broker's CA but has no certificate of its own.
    with pytest.raises(KafkaConnectionError):
        asyncio.run(
            connect(
                security_protocol="SSL", ssl_context=create_ssl_context(cafile=str(secure_kafka.pki.ca_crt))
            )
        )
    with pytest.raises(KafkaConnectionError):
        asyncio.run(connect())  # plaintext on the TLS port
