"""The whole stack on the secured Apache Kafka, each service as its own KafkaUser."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from proto import catalog, topics
from services.kafka.acls import user_name
from services.kafka.topic_admin import ensure_topics
from tests.support import staff_client
from tests.support.people import personnummer
from tests.support.secure_kafka import SecureKafka
from tests.support.stack import SERVICES, Stack, new_namespace, wait_until


def secure_stack(kafka: SecureKafka, env_of: Callable[[str], dict[str, str]], workdir: Path) -> Stack:
    """A stack in a fresh namespace with its ACLs granted; ``env_of(user)`` gives a service's credentials.

    The topics are created by the tests' administrator: the services may not create them
    (production's Topic Operator does).
    """
    namespace = new_namespace()
    kafka.grant(namespace)
    admin = kafka.admin(namespace)
    # faust's own topics too, as production's Topic Operator creates them (deploy/k8s KafkaTopics):
    # a changelog that faust creates itself can be missing from the group leader's metadata at
    # the first assignment, and faust then assigns the queue no partition at all
    faust_topics = tuple(replace(spec, name=admin.group(spec.name)) for spec in topics.FAUST_INTERNAL_TOPICS)
    asyncio.run(ensure_topics(replace(admin, namespace=""), faust_topics))
    return Stack(
        kafka=admin,
        workdir=workdir,
        extra_env={"QUEUE_HEADS_UP_POSITION": "0"},
        service_env={name: env_of(user_name(catalog.access(name))) for name in SERVICES},
    )


def secure_run_to_sms(
    kafka: SecureKafka, env_of: Callable[[str], dict[str, str]], workdir: Path
) -> tuple[Stack, dict[str, Any], list[dict[str, Any]]]:
    """``submission_reaches_sms`` on a ``secure_stack``; the stack is stopped (logs shown on failure)."""
    stack = secure_stack(kafka, env_of, workdir)
    try:
        body, sms = submission_reaches_sms(stack)
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop()
    return stack, body, sms


def submission_reaches_sms(stack: Stack) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A patient submits, a nurse calls the next patient via the staff API, the SMS goes out.

    Returns intake's answer and the outbox's records.
    """
    stack.start(("queue", "notifier", "intake", "staff"))
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
    nurse = staff_client.token(stack, "nurse-1", "nurse", "SE-C")
    called = staff_client.call(stack, "POST", "/v1/regions/SE-C/serve-next", nurse, {})
    assert called.status_code == 200, called.text
    assert called.json()["case"]["case_id"] == body["case_id"], called.text
    return body, wait_until(stack.outbox_records, 60, "the your-turn SMS in the outbox")
