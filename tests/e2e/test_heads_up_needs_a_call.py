"""A heads-up only when a clinician is calling (issue 25, item 2), over real processes.

Five patients, nobody called; patient 5 withdraws and a nurse cancels patient 4: the queue moved,
but nobody was called, so nobody gets "Snart är det din tur". The first call then tells the
next three (the control: heads-ups do work in this stack).
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest

from services.intake.patient_dev_issuer import PatientDevIssuer
from tests.support.people import personnummer
from tests.support.stack import Stack, wait_until
from tests.support.staff_client import call, token

pytestmark = pytest.mark.e2e

HEADS_UP = "Snart är det din tur"


def _intake(stack: Stack, method: str, path: str, bearer: str, body: Any = None) -> tuple[int, Any]:
    req = urllib.request.Request(
        stack.url("intake") + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {bearer}"},
        method=method,
    )
    with urllib.request.urlopen(req, timeout=15) as resp:
        return resp.status, json.loads(resp.read() or b"null")


def test_a_withdrawal_and_a_staff_cancellation_send_no_heads_up_only_a_call_does(stack: Stack) -> None:
    gateway = PatientDevIssuer(stack.workdir / "login-gateway")
    stack.extra_env.update(gateway.env())
    stack.start(("queue", "notifier", "intake", "staff"))
    people = [personnummer() for _ in range(5)]
    cases = []
    for i, pnr in enumerate(people):
        body = {"region": "SE-C", "personnummer": pnr, "phone": f"070-555 00 0{i}", "symptom": "fever"}
        status, answer = _intake(stack, "POST", "/v1/triage", gateway.mint(pnr), body)
        assert status == 202, answer
        cases.append(answer["case_id"])
    wait_until(lambda: stack.get("queue", "/v1/regions/SE-C/queue")[1]["waiting"] == 5, 30, "five waiting")

    status, withdrawn = _intake(stack, "DELETE", f"/v1/cases/{cases[4]}", gateway.mint(people[4]))
    assert status == 202 and withdrawn["status"] == "cancelled", withdrawn
    nurse = token(stack, "nurse-anna", "nurse", "SE-C")
    cancelled = call(
        stack, "POST", f"/v1/regions/SE-C/cases/{cases[3]}/cancel", nurse, {"reason": "by phone"}
    )
    assert cancelled.status_code == 200, cancelled.text
    wait_until(lambda: stack.get("queue", "/v1/regions/SE-C/queue")[1]["waiting"] == 3, 30, "three waiting")
    # the staff cancellation's own SMS shows the notifier is working; then no heads-up follows
    wait_until(lambda: any(r["case_id"] == cases[3] for r in stack.outbox_records()), 30, "the cancel SMS")
    time.sleep(2)
    assert [r for r in stack.outbox_records() if HEADS_UP in r["message"]] == []

    called = call(stack, "POST", "/v1/regions/SE-C/serve-next", nurse, {})
    assert called.status_code == 200 and called.json()["case"]["case_id"] == cases[0], called.text
    told = wait_until(
        lambda: (
            t
            if len(t := {r["case_id"] for r in stack.outbox_records() if HEADS_UP in r["message"]}) >= 2
            else None
        ),
        30,
        "the heads-ups after the call",
    )
    assert told == {cases[1], cases[2]}  # the next in line, only after a clinician called
