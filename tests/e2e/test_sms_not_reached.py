"""A your-turn SMS that finally fails ends in the staff list as "not reached" (issue 14):
real intake, queue, notifier and staff processes, a fake 46elks that refuses the patient's number.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from proto import events as ev
from services.commands import send_command
from tests.support.fake_46elks import Fake46elks
from tests.support.people import personnummer
from tests.support.stack import Stack, wait_until
from tests.support.staff_client import call, token

pytestmark = pytest.mark.e2e


def test_a_patient_whose_your_turn_sms_is_refused_shows_as_not_reached_in_the_staff_list(
    stack: Stack,
) -> None:
    with Fake46elks() as elks:
        elks.answer_for_number("+46705550001", "400")  # a permanent refusal: no retry helps
        stack.extra_env.update(elks.env(), QUEUE_HEADS_UP_POSITION="0")
        stack.start(("queue", "notifier", "intake", "staff"))
        status, body = stack.post(
            "intake",
            "/v1/triage",
            {
                "region": "SE-C",
                "personnummer": personnummer(),
                "phone": "070-555 00 01",
                "symptom": "fever",
                "answers": {},
            },
        )
        assert status == 202, body
        case_id = body["case_id"]
        wait_until(
            lambda: stack.get("queue", "/v1/regions/SE-C/queue")[1]["waiting"] == 1, 30, "the case waiting"
        )
        asyncio.run(
            send_command(
                ev.ServeNext(region="SE-C", clinician_id="nurse-1", request_id=uuid.uuid4().hex), stack.kafka
            )
        )

        nurse = token(stack, "nurse-anna", "nurse", "SE-C")

        def listed() -> list[dict[str, object]] | None:
            resp = call(stack, "GET", "/v1/regions/SE-C/waiting", nurse)
            return resp.json().get("not_reached") or None if resp.status_code == 200 else None

        [row] = wait_until(listed, 60, "the case in the staff list as not reached")
        assert row["case_id"] == case_id and row["status"] == "not_reached" and row["called_at"]
        assert any(r.answered == 400 for r in elks.received())

        # the clinician phones and completes the case: it leaves the list
        asyncio.run(
            send_command(
                ev.CompleteCase(region="SE-C", request_id=uuid.uuid4().hex, case_id=case_id, by="nurse-anna"),
                stack.kafka,
            )
        )
        wait_until(
            lambda: call(stack, "GET", "/v1/regions/SE-C/waiting", nurse).json()["not_reached"] == [],
            30,
            "the completed case off the not-reached list",
        )
