"""No personnummer and no phone number anywhere they must not be: a scan after a real run.

The whole system runs (intake, queue, notifier on a real broker). Patients go through
every intake path over HTTP and Kafka, two are called and get their SMS. Then every
record on every topic of the namespace (keys, values, headers) and every service log
line is searched for each patient's personnummer and phone in every common format.

Allowed, and documented: ``triage.submissions`` (the Kafka twin of the HTTP body) and
its dead-letter topic ``triage.submissions.dlq`` (same access rules) carry them; the
dev SMS outbox (the "provider") holds the phone it sends to. Both are checked to
really contain the numbers, so the scan is shown to be able to find them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path

import pytest

from proto import events as ev
from proto import topics
from services.commands import send_command
from services.kafka.publisher import Publisher
from tests.support.people import personnummer
from tests.support.stack import Stack, wait_until
from tests.support.topic_reader import read_records

pytestmark = pytest.mark.e2e
INGRESS_TOPICS = {"triage.submissions", "triage.submissions.dlq"}


def pnr_formats(pnr: str) -> set[str]:
    twelve = pnr.replace("-", "")
    ten = twelve[2:]
    return {twelve, f"{twelve[:8]}-{twelve[8:]}", ten, f"{ten[:6]}-{ten[6:]}", f"{ten[:6]}+{ten[6:]}"}


def phone_formats(e164: str) -> set[str]:
    national = "0" + e164[3:]
    return {
        e164,
        e164[1:],
        "00" + e164[1:],
        national,
        f"{national[:3]}-{national[3:]}",
        f"{national[:3]}-{national[3:6]} {national[6:8]} {national[8:]}",
        f"+46 {e164[3:5]} {e164[5:8]} {e164[8:10]} {e164[10:]}",
    }


def send_submissions(stack: Stack, submissions: list[ev.TriageSubmission | bytes]) -> None:
    async def go() -> None:
        publisher = Publisher(stack.kafka, source="/tests/scan")
        await publisher.start()
        try:
            for sub in submissions:
                if isinstance(sub, bytes):
                    await publisher.producer.send_and_wait(
                        stack.kafka.topic(topics.TRIAGE_SUBMISSIONS.name), sub, key=b"broken"
                    )
                else:
                    await publisher.publish(topics.TRIAGE_SUBMISSIONS, sub.submission_id, sub)
        finally:
            await publisher.stop()

    asyncio.run(go())


def test_no_personnummer_or_phone_on_any_topic_or_in_any_log(stack: Stack) -> None:
    stack.start()
    people = [
        (personnummer(), f"+4670{n:07d}") for n in (1111111, 2222222, 3333333, 4444444, 5555555, 6666666)
    ]
    (p1, m1), (p2, m2), (p3, m3), (p4, m4), (p5, m5), (p6, m6) = people
    infant = personnummer(dt.date.today() - dt.timedelta(days=100))
    people.append((infant, "+46707777777"))

    def post(pnr: str, phone: str, **extra: object) -> tuple[int, dict[str, object]]:
        body = {
            "region": "SE-C",
            "personnummer": pnr,
            "phone": phone,
            "symptom": "fever",
            "answers": {"temperature_over_40": True},
            **extra,
        }
        return stack.post("intake", "/v1/triage", body)

    assert post(p1, "070-111 11 11")[0] == 202  # queued, national format
    assert post(p2, "+46 70 222 22 22", submission_id=uuid.uuid4().hex)[0] == 202
    assert post(p3, m3, answers={"chest_pain": True})[0] == 200  # red flag: refer
    assert post(infant, "0707777777")[0] == 200  # infant: refer
    assert post(p4, "08-444 44 44")[0] == 422  # invalid phone
    assert post(p1, m1, region="SE-AB")[0] == 200  # region not enabled
    sub = ev.TriageSubmission(
        submission_id=uuid.uuid4().hex,
        region="SE-C",
        personnummer=p5,
        phone="0705555555",
        symptom="cough",
        answers={"fever_over_3_days": True},
    )
    wrong_check_digit = p6[:-1] + str((int(p6[-1]) + 1) % 10)  # always invalid ("0" was p6 itself 1 in 10)
    bad = ev.TriageSubmission(
        submission_id=uuid.uuid4().hex,
        region="SE-C",
        personnummer=wrong_check_digit,
        phone=m6,
        symptom="cough",
    )
    send_submissions(stack, [sub, bad, b'{"personnummer": "%s", "phone": "%s"' % (p6.encode(), m6.encode())])
    wait_until(
        lambda: stack.get("queue", "/v1/regions/SE-C/queue")[1].get("waiting") == 3,
        60,
        "three cases waiting in SE-C",
    )
    for _ in range(2):
        asyncio.run(send_command(ev.ServeNext(region="SE-C", clinician_id="nurse-1"), stack.kafka))
    sms = wait_until(lambda: r if len(r := stack.outbox_records()) >= 2 else None, 60, "two SMS sent")

    def with_dead_letters() -> list | None:  # type: ignore[type-arg]
        found = read_records(stack.kafka)
        return found if sum(r.topic == "triage.submissions.dlq" for r in found) >= 2 else None

    records = wait_until(with_dead_letters, 30, "dead letters of the bad Kafka submissions", interval=0.5)
    seen_topics = {r.topic for r in records}
    assert {
        "triage.events",
        "patient.contacts",
        "queue.events",
        "queue.your-turn",
        "sms.events",
        "triage.results",
    } <= seen_topics
    forbidden = {
        fmt: who for who, (pnr, phone) in enumerate(people) for fmt in pnr_formats(pnr) | phone_formats(phone)
    }

    leaks = []
    for rec in records:
        if rec.topic in INGRESS_TOPICS:
            continue
        blobs = [rec.key or b"", rec.value or b""] + [v for _, v in rec.headers]
        text = b"\n".join(blobs).decode("utf-8", "replace")
        leaks += [f"{rec.topic}: {fmt}" for fmt in forbidden if fmt in text]
    logs = sorted(Path(stack.workdir).glob("*.log"))
    assert {p.name for p in logs} >= {"intake.log", "queue.log", "notifier.log"}
    for log in logs:
        for no, line in enumerate(log.read_text(errors="replace").splitlines(), start=1):
            leaks += [f"{log.name}:{no}: {fmt}" for fmt in forbidden if fmt in line]
    assert not leaks, leaks

    # The contact cards are there, but sealed.
    cards = [r for r in records if r.topic == "patient.contacts" and r.value]
    assert len(cards) >= 3 and all(b"ciphertext" in c.value for c in cards)  # type: ignore[operator]
    # Controls: the scan finds the numbers where they are allowed to be.
    ingress = b"\n".join(r.value or b"" for r in records if r.topic in INGRESS_TOPICS).decode()
    assert p5 in ingress and p6 in ingress
    assert {r["to"] for r in sms} <= {m1, m2, m5}
