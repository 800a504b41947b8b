"""A short, varied patient load for the observed run: queued cases across regions and
urgencies, referrals, invalid submissions, a malformed Kafka record, calls and their SMS."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer

from proto import topics
from proto.events import CompleteCase, ServeNext
from services.commands import send_command
from tests.observability.prometheus_server import PrometheusServer
from tests.support.people import personnummer
from tests.support.stack import Stack, wait_until

# (region, symptom, answers, expected status); urgency per the skeleton rules.
SUBMISSIONS: list[tuple[str, str, dict[str, Any], int]] = [
    ("SE-C", "eye_problems", {"vision_loss": True}, 202),  # Prio 1
    ("SE-C", "fever", {"temperature_over_40": True}, 202),  # Prio 2
    ("SE-C", "fever", {}, 202),  # Prio 3
    ("SE-E", "fever", {}, 202),  # Prio 3
    ("SE-E", "cough", {}, 202),  # Prio 4
    ("SE-M", "sore_throat", {"difficulty_swallowing": True}, 202),  # Prio 2
    ("SE-C", "fever", {"chest_pain": True}, 200),  # refer: Ring 112
    ("SE-AB", "fever", {}, 200),  # refer: region not enabled
]
CALLS = ("SE-C", "SE-C", "SE-E")  # leaves one case waiting in each of SE-C, SE-E, SE-M


@dataclass
class Load:
    patients: list[tuple[str, str]] = field(default_factory=list)  # (personnummer, phone) sent
    case_ids: list[str] = field(default_factory=list)
    sms: list[dict[str, Any]] = field(default_factory=list)


async def _send_malformed(stack: Stack) -> None:
    producer = AIOKafkaProducer(**stack.kafka.client_options(), enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(stack.kafka.topic(topics.TRIAGE_EVENTS.name), b"{not json", key=b"SE-C")
    finally:
        await producer.stop()


def drive_load(stack: Stack, prometheus: PrometheusServer) -> Load:
    """Send the load, wait for its SMS, then until Prometheus has scraped and evaluated after it."""
    load = Load()
    for i, (region, symptom, answers, expected) in enumerate(SUBMISSIONS):
        pnr, phone = personnummer(), f"070-555 12 {i:02d}"
        load.patients.append((pnr, phone))
        status, body = stack.post(
            "intake",
            "/v1/triage",
            {"region": region, "personnummer": pnr, "phone": phone, "symptom": symptom, "answers": answers},
        )
        assert status == expected, (region, symptom, status, body)
        if status == 202:
            load.case_ids.append(body["case_id"])
    for bad in ({"personnummer": "19900101-0018"}, {"phone": "08-123 45 67"}, {"region": "SE-QQ"}):
        body = {
            "region": "SE-C",
            "personnummer": personnummer(),
            "phone": "070-555 99 99",
            "symptom": "fever",
            "answers": {},
            **bad,
        }
        load.patients.append((body["personnummer"], body["phone"]))
        status, _ = stack.post("intake", "/v1/triage", body)
        assert status == 422, bad
    asyncio.run(_send_malformed(stack))
    wait_until(
        lambda: stack.get("queue", "/v1/regions/SE-C/queue")[1].get("waiting") == 3,
        60,
        "three cases waiting in SE-C",
    )
    for region in CALLS:
        asyncio.run(
            send_command(
                ServeNext(region=region, clinician_id="nurse-1", request_id=uuid.uuid4().hex), stack.kafka
            )
        )
    load.sms = wait_until(
        lambda: r if len(r := stack.outbox_records()) >= len(CALLS) else None,
        60,
        f"{len(CALLS)} SMS in the outbox",
    )
    # The first SE-C call took its Prio 1 case: the clinician completes it with an outcome kind.
    asyncio.run(
        send_command(
            CompleteCase(
                region="SE-C",
                case_id=load.case_ids[0],
                by="nurse-1",
                outcome="advice",
                request_id=uuid.uuid4().hex,
            ),
            stack.kafka,
        )
    )
    wait_until(
        lambda: stack.get("queue", f"/v1/regions/SE-C/cases/{load.case_ids[0]}")[1].get("status") == "closed",
        60,
        "the completed case closed",
    )
    done = time.time()

    def scraped_after_load() -> bool:
        result = prometheus.query(
            'timestamp(up{job=~"triage-.*"} == 1) or timestamp(triage:admission_cap_cases)'
        )
        samples = result.get("data", {}).get("result", [])
        jobs = len(prometheus.targets)  # every service of the stack, plus the admission-cap rule
        if not (len(samples) == jobs + 1 and all(float(s["value"][1]) > done + 2 for s in samples)):
            return False
        # rate() needs two samples of a series; series born during the load may have been
        # scraped for the first time only after it, so wait for 3 scrapes of each service since.
        window = max(1, int(time.time() - done))
        counts = prometheus.query(f'count_over_time(up{{job=~"triage-.*"}}[{window}s])')
        per_job = counts.get("data", {}).get("result", [])
        return len(per_job) == jobs and all(float(s["value"][1]) >= 3 for s in per_job)

    wait_until(scraped_after_load, 60, "Prometheus scraping every service after the load", interval=0.5)
    return load
