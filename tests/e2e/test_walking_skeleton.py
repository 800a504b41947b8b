"""The whole path over real processes and a real broker: intake -> queue -> notifier -> SMS."""

import uuid

import pytest

from proto.events import ServeNext
from services.commands import send_command
from tests.support.people import personnummer
from tests.support.stack import Stack, wait_until

pytestmark = pytest.mark.e2e

# (answers that give this urgency under the skeleton rules)
PATIENTS = [
    (3, "fever", {}),
    (1, "eye_problems", {"vision_loss": True}),
    (2, "fever", {"temperature_over_40": True}),
]


def test_three_patients_get_their_sms_most_urgent_first(stack: Stack) -> None:
    import asyncio

    # This test is about the your-turn SMS order; heads-up SMS (queue issue #3) are off here.
    stack.extra_env["QUEUE_HEADS_UP_POSITION"] = "0"
    stack.start()
    case_urgency = {}
    for i, (urgency, symptom, answers) in enumerate(PATIENTS):
        status, body = stack.post(
            "intake",
            "/v1/triage",
            {
                "region": "SE-C",
                "personnummer": personnummer(),
                "phone": f"070-000 00 0{i}",
                "symptom": symptom,
                "answers": answers,
            },
        )
        assert status == 202, body
        assert body["urgency"] == urgency
        case_urgency[body["case_id"]] = urgency

    wait_until(
        lambda: stack.get("queue", "/v1/regions/SE-C/queue")[1]["waiting"] == 3,
        30,
        "three cases waiting in SE-C",
    )
    for _ in range(3):
        asyncio.run(
            send_command(
                ServeNext(region="SE-C", clinician_id="nurse-1", request_id=uuid.uuid4().hex), stack.kafka
            )
        )

    sms = wait_until(
        lambda: r if len(r := stack.outbox_records()) >= 3 else None, 60, "three SMS in the outbox"
    )
    assert [case_urgency[r["case_id"]] for r in sms] == [1, 2, 3]
    assert {r["to"] for r in sms} == {"+46700000000", "+46700000001", "+46700000002"}
    assert all("http" not in r["message"] for r in sms)
