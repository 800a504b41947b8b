"""Feeding the notifier by hand (contact cards, YourTurn notices) and reading what it wrote."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import urllib.request
import uuid
from collections.abc import Sequence

from aiokafka.structs import ConsumerRecord

from proto import codec, topics
from proto import events as ev
from proto.contact_crypto import DEV_CONTACT_KEYS, parse_keyring, seal
from services.kafka.publisher import Publisher
from services.kafka.read_to_end import read_to_end
from services.kafka.settings import KafkaSettings

DEV_KEY_ID, DEV_KEY = next(iter(parse_keyring(DEV_CONTACT_KEYS).items()))


def your_turn(case_id: str, region: str = "SE-C", language: str = "sv") -> ev.YourTurn:
    """A YourTurn whose event_id is fixed per case (as a replayed ServeNext would give)."""
    return ev.YourTurn(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"your-turn/{case_id}").hex,
        case_id=case_id,
        region=region,
        urgency=3,
        clinician_id="nurse-1",
        called_at=ev.utcnow(),
        language=language,
    )


async def _publish(
    kafka: KafkaSettings, cards: Sequence[tuple[str, str]], notices: Sequence[ev.Message]
) -> None:
    publisher = Publisher(kafka, "/tests/sms-feed")
    await publisher.start()
    try:
        for case_id, phone in cards:
            await publisher.publish(
                topics.PATIENT_CONTACTS, case_id, seal(case_id, phone, DEV_KEY_ID, DEV_KEY)
            )
        for notice in notices:
            await publisher.publish(topics.QUEUE_YOUR_TURN, notice.region, notice)  # type: ignore[attr-defined]
    finally:
        await publisher.stop()


def publish(
    kafka: KafkaSettings, cards: Sequence[tuple[str, str]] = (), notices: Sequence[ev.Message] = ()
) -> None:
    """Sealed contact cards (case_id, phone) first, then the notices, acknowledged by the broker."""
    asyncio.run(_publish(kafka, cards, notices))


async def _publish_raw(kafka: KafkaSettings, name: str, key: bytes, value: bytes) -> None:
    publisher = Publisher(kafka, "/tests/sms-feed")
    await publisher.start()
    try:
        await publisher.producer.send_and_wait(kafka.topic(name), value, key=key)
    finally:
        await publisher.stop()


def publish_raw(kafka: KafkaSettings, name: str, key: bytes, value: bytes) -> None:
    """Any bytes onto a topic of this namespace (to test what happens to garbage)."""
    asyncio.run(_publish_raw(kafka, name, key, value))


def read_topic(kafka: KafkaSettings, name: str) -> list[ConsumerRecord]:
    """Every record now on a topic of this namespace, read from the beginning to its end."""
    return [r for _, r in asyncio.run(read_to_end(kafka, [name]))]


def sms_events(kafka: KafkaSettings) -> list[ev.SmsSent | ev.SmsFailed | ev.SmsDelivered]:
    return [codec.SMS_EVENTS.decode(r.value) for r in read_topic(kafka, topics.SMS_EVENTS.name)]


def series(base_url: str, name: str) -> list[tuple[dict[str, str], float]]:
    """Every series of the Prometheus sample ``name`` on a service's /metrics: (labels, value)."""
    with urllib.request.urlopen(base_url + "/metrics", timeout=5) as resp:
        text = resp.read().decode()
    out = []
    for line in text.splitlines():
        m = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if m:
            out.append((dict(re.findall(r'(\w+)="([^"]*)"', m.group(1) or "")), float(m.group(2))))
    return out


def metric(base_url: str, name: str, **labels: str) -> float:
    """The sum of a Prometheus sample over series matching ``labels`` (0.0 when absent)."""
    return sum(v for found, v in series(base_url, name) if all(found.get(k) == x for k, x in labels.items()))


def age(ts: dt.datetime) -> float:
    return (ev.utcnow() - ts).total_seconds()
