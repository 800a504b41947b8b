"""Patient notices over real processes (issue 14): a staff cancellation, a transfer and a closure
after no-shows each send the patient one plain-text SMS (through the notifier's outbox), and the
phone of a case that left the system is deleted only after its last SMS -- so the notifier never
finds a tombstone where the phone should be.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from proto import events as ev
from proto import topics
from services.commands import send_command
from tests.support.people import personnummer
from tests.support.stack import Stack, wait_until
from tests.support.topic_reader import read_records

pytestmark = pytest.mark.e2e


def _command(stack: Stack, command: ev.Message) -> None:
    asyncio.run(send_command(command, stack.kafka))


def test_cancel_transfer_and_no_show_closure_each_send_one_sms_and_the_phone_goes_after_the_last(
    stack: Stack,
) -> None:
    stack.extra_env.update({"QUEUE_HEADS_UP_POSITION": "0", "QUEUE_NO_SHOW_ATTEMPTS": "1"})
    stack.start()
    cases = []
    for i, language in enumerate(("sv", "sv", "en")):
        status, body = stack.post(
            "intake",
            "/v1/triage",
            {
                "region": "SE-C",
                "personnummer": personnummer(),
                "phone": f"070-111 22 3{i}",
                "symptom": "fever",
                "answers": {},
                "language": language,
            },
        )
        assert status == 202, body
        cases.append(body["case_id"])
    cancelled, moved, absent = cases
    wait_until(lambda: stack.get("queue", "/v1/regions/SE-C/queue")[1]["waiting"] == 3, 30, "three waiting")

    _command(
        stack,
        ev.CancelCase(
            region="SE-C",
            request_id=uuid.uuid4().hex,
            case_id=cancelled,
            reason="handled by phone",
            by="nurse-1",
        ),
    )
    _command(
        stack,
        ev.TransferCase(
            region="SE-C",
            request_id=uuid.uuid4().hex,
            case_id=moved,
            to_region="SE-E",
            reason="lives there",
            by="nurse-1",
        ),
    )
    _command(stack, ev.ServeNext(region="SE-C", clinician_id="nurse-1", request_id=uuid.uuid4().hex))
    wait_until(
        lambda: stack.get("queue", f"/v1/regions/SE-C/cases/{absent}")[1].get("status") == "called",
        30,
        "the third case to be called",
    )
    _command(stack, ev.MarkNoShow(region="SE-C", request_id=uuid.uuid4().hex, case_id=absent, by="nurse-1"))

    sms = wait_until(
        lambda: r if len(r := stack.outbox_records()) >= 4 else None,
        60,
        "cancel, transfer, your-turn and no-show SMS in the outbox",
    )
    by_case: dict[str, list[str]] = {}
    for record in sms:
        by_case.setdefault(record["case_id"], []).append(record["message"])
    assert len(by_case[cancelled]) == 1 and "avslutat" in by_case[cancelled][0]
    assert "ring 1177" in by_case[cancelled][0]
    assert by_case[moved] == [m for m in by_case[moved] if "Östergötland" in m] and len(by_case[moved]) == 1
    assert len(by_case[absent]) == 2 and "could not reach you" in by_case[absent][1]  # your-turn first
    assert all("http" not in m and "www" not in m for ms in by_case.values() for m in ms)

    def tombstones() -> set[str] | None:
        found = {
            r.key.decode()
            for r in read_records(stack.kafka, [topics.PATIENT_CONTACTS.name])
            if r.value is None and r.key is not None
        }
        return found if {cancelled, absent} <= found else None

    gone = wait_until(tombstones, 30, "the notifier to delete the phones of the two finished cases")
    assert moved not in gone  # a transferred case still needs its phone in SE-E
    failed = [
        e for e in read_records(stack.kafka, [topics.SMS_EVENTS.name]) if b"sms.failed" in (e.value or b"")
    ]
    assert failed == []  # no SMS found its contact card missing
