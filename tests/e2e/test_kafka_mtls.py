"""The whole stack over mutual TLS: every service's Kafka clients present a certificate.

The embedded broker advertises only the TLS terminator's address (tests/support/tls_proxy.py),
so a client that bypassed the TLS settings could not reach it at all.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from aiokafka.helpers import create_ssl_context

from proto import topics
from proto.events import ServeNext
from services.commands import send_command
from services.kafka.embedded_broker import EmbeddedBroker, free_port
from services.kafka.security import KafkaSecurity
from services.kafka.settings import KafkaSettings
from tests.support.people import personnummer
from tests.support.stack import Stack, new_namespace, wait_until
from tests.support.tls_proxy import MutualTlsProxy, Pki, make_pki
from tests.support.topic_reader import read_records

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def mtls_proxy(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MutualTlsProxy]:
    """A broker reachable only through a TLS terminator that demands a client certificate."""
    proxy_port = free_port()
    broker = EmbeddedBroker(
        port=0,
        log_path=tmp_path_factory.mktemp("tls-broker") / "tansu.log",
        advertised=f"127.0.0.1:{proxy_port}",
    )
    broker.start()
    proxy = MutualTlsProxy(pki, upstream=(broker.host, broker.port), port=proxy_port)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
        broker.stop()


def _mtls_env(pki: Pki) -> dict[str, str]:
    return {
        "KAFKA_SECURITY_PROTOCOL": "SSL",
        "KAFKA_SSL_CAFILE": str(pki.ca_crt),
        "KAFKA_SSL_CERTFILE": str(pki.user_crt),
        "KAFKA_SSL_KEYFILE": str(pki.user_key),
    }


def test_a_submission_becomes_an_sms_when_every_service_talks_to_kafka_over_mutual_tls(
    pki: Pki, mtls_proxy: MutualTlsProxy, tmp_path: Path
) -> None:
    env = _mtls_env(pki)
    kafka = KafkaSettings(
        f"127.0.0.1:{mtls_proxy.port}", new_namespace(), security=KafkaSecurity.from_env(env)
    )
    stack = Stack(kafka=kafka, workdir=tmp_path, extra_env={**env, "QUEUE_HEADS_UP_POSITION": "0"})
    try:
        stack.start()
        status, body = stack.post(
            "intake",
            "/v1/triage",
            {
                "region": "SE-C",
                "personnummer": personnummer(),
                "phone": "070-000 00 42",
                "symptom": "eye_problems",
                "answers": {"vision_loss": True},
            },
        )
        assert status == 202, body
        wait_until(
            lambda: stack.get("queue", "/v1/regions/SE-C/queue")[1]["waiting"] == 1,
            60,
            "the case waiting in SE-C",
        )
        asyncio.run(
            send_command(ServeNext(region="SE-C", clinician_id="nurse-1", request_id=uuid.uuid4().hex), kafka)
        )
        sms = wait_until(stack.outbox_records, 60, "the your-turn SMS in the outbox")
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop()
    assert [(r["case_id"], r["to"]) for r in sms] == [(body["case_id"], "+46700000042")]
    # The notifier's ledger records carry CloudEvents headers like every other record.
    ledger = read_records(kafka, [topics.SMS_LEDGER.name])
    assert ledger, "the notifier wrote its SMS ledger"
    for record in ledger:
        headers = dict(record.headers)
        assert headers["ce_specversion"] == b"1.0" and headers["ce_source"] == b"/triage/notifier"
        assert headers["ce_type"].endswith(b"sms.ledger-entry.v1") and headers["ce_id"] and headers["ce_time"]
    # Every connection came through the terminator with the KafkaUser's certificate.
    assert set(mtls_proxy.client_names) == {"triage-queue"}
    assert len(mtls_proxy.client_names) >= 6, "expected the clients of intake, queue and notifier"


def test_a_kafka_client_without_a_client_certificate_is_refused(pki: Pki, mtls_proxy: MutualTlsProxy) -> None:
    async def connect(**tls: object) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=f"127.0.0.1:{mtls_proxy.port}", request_timeout_ms=3000, **tls
        )  # type: ignore[arg-type]
        try:
            await producer.start()
        finally:
            await producer.stop()

    before = len(mtls_proxy.client_names)
    # Trusts the broker's CA but has no certificate of its own.
    with pytest.raises(KafkaConnectionError):
        asyncio.run(connect(security_protocol="SSL", ssl_context=create_ssl_context(cafile=str(pki.ca_crt))))
    with pytest.raises(KafkaConnectionError):
        asyncio.run(connect())  # plaintext
    assert len(mtls_proxy.client_names) == before, "no connection passed the terminator"


def test_the_same_certificate_settings_reach_the_broker_from_an_ordinary_client(
    pki: Pki, mtls_proxy: MutualTlsProxy
) -> None:
    kafka = KafkaSettings(
        f"127.0.0.1:{mtls_proxy.port}", new_namespace(), security=KafkaSecurity.from_env(_mtls_env(pki))
    )

    async def send() -> None:
        producer = AIOKafkaProducer(**kafka.client_options())
        await producer.start()
        try:
            await producer.send_and_wait(kafka.topic("mtls-check"), b"ok")
        finally:
            await producer.stop()

    asyncio.run(send())
