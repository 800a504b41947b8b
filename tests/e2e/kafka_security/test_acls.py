"""Kafka's StandardAuthorizer enforces each service's KafkaUser ACLs (proto/catalog.py).

The same rules are written into deploy/k8s's KafkaUsers and granted here
(services/kafka/acls.py), so a refusal here is a refusal in production.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from proto import topics
from proto.events import ServeNext, ServeNextEmpty
from services.kafka.publisher import Publisher
from services.kafka.settings import KafkaAccessDenied
from services.kafka.topic_admin import ensure_topics
from tests.support.secure_kafka import SecureKafka
from tests.support.stack import new_namespace

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("login", ["certificate", "scram"])
def test_intakes_principal_may_not_write_queue_events_and_is_told_which_topic_and_principal(
    secure_kafka: SecureKafka, login: str
) -> None:
    namespace = new_namespace()
    asyncio.run(ensure_topics(secure_kafka.admin(namespace)))
    secure_kafka.grant(namespace)
    env = (
        secure_kafka.mtls_env("triage-intake")
        if login == "certificate"
        else secure_kafka.scram_env("triage-intake")
    )
    intake = secure_kafka.settings(env, namespace)

    async def as_intake() -> None:
        publisher = Publisher(intake, source="/triage/intake", request_timeout_ms=10_000)
        await publisher.start()
        try:
            # allowed: intake writes contact cards (here a tombstone)
            await publisher.tombstone(topics.PATIENT_CONTACTS, "case-1")
            # refused: only the queue writes its own log (a well-formed queue event, so it is the
            # broker that refuses it, not the publisher's catalog check)
            answer = ServeNextEmpty(region="SE-C", clinician_id="nurse-1", request_id=uuid.uuid4().hex)
            await publisher.publish(topics.QUEUE_EVENTS, "SE-C", answer)
        finally:
            await publisher.stop()

    with pytest.raises(KafkaAccessDenied) as refused:
        asyncio.run(as_intake())
    message = str(refused.value)
    assert f"topic '{namespace}.queue.events'" in message, message
    assert "User:triage-intake" in message and "TOPIC_AUTHORIZATION_FAILED" in message, message
    assert "proto/catalog.py" in message, "the message says where the ACLs come from"
    assert (refused.value.principal, refused.value.topic) == (
        "User:triage-intake",
        f"{namespace}.queue.events",
    )


def test_a_namespace_without_granted_acls_is_closed_to_every_service(secure_kafka: SecureKafka) -> None:
    namespace = new_namespace()
    asyncio.run(ensure_topics(secure_kafka.admin(namespace)))  # topics, but no ACLs for them
    queue = secure_kafka.settings(secure_kafka.mtls_env("triage-queue"), namespace)

    async def as_queue() -> None:
        publisher = Publisher(queue, source="/triage/queue", request_timeout_ms=10_000)
        await publisher.start()
        try:
            command = ServeNext(region="SE-C", clinician_id="nurse-1", request_id=uuid.uuid4().hex)
            await publisher.publish(topics.QUEUE_COMMANDS, "SE-C", command)
        finally:
            await publisher.stop()

    with pytest.raises(KafkaAccessDenied, match="User:triage-queue"):
        asyncio.run(as_queue())
