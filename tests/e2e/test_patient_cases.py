"""The patient's own cases over real processes (issue 14, item 7): intake, queue and notifier on a
real broker, the patient logged in with a token from the (dev) login gateway.

A patient lists their cases after a transfer and after closure, sees the outcome and the advice
given at triage, and sees the same after intake restarts (rebuilt from the topics); they
withdraw a waiting case themselves (no SMS), and cannot withdraw a called one.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from proto import events as ev
from proto import topics
from services.commands import send_command
from services.intake.patient_dev_issuer import PatientDevIssuer
from tests.support.people import personnummer
from tests.support.stack import Stack, wait_until
from tests.support.topic_reader import read_records

pytestmark = pytest.mark.e2e


def _call(stack: Stack, method: str, path: str, token: str = "", body: Any = None) -> tuple[int, Any]:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(stack.url("intake") + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def _submission(pnr: str, phone: str = "070-123 45 67", symptom: str = "fever") -> dict[str, Any]:
    return {"region": "SE-C", "personnummer": pnr, "phone": phone, "symptom": symptom, "answers": {}}


def _command(stack: Stack, command: ev.Command) -> None:
    asyncio.run(send_command(command, stack.kafka))


@pytest.fixture
def gateway(stack: Stack) -> PatientDevIssuer:
    """The login gateway stand-in; intake trusts its key only."""
    issuer = PatientDevIssuer(stack.workdir / "login-gateway")
    stack.extra_env.update({**issuer.env(), "QUEUE_HEADS_UP_POSITION": "0"})
    return issuer


def test_a_patient_lists_their_cases_after_a_transfer_and_a_closure_and_again_after_intake_restarts(
    stack: Stack, gateway: PatientDevIssuer
) -> None:
    stack.start()
    anna, bo = personnummer(), personnummer()
    token, other = gateway.mint(anna), gateway.mint(bo)

    assert _call(stack, "POST", "/v1/triage", body=_submission(anna))[0] == 401  # no login, no case
    status, body = _call(stack, "POST", "/v1/triage", other, _submission(anna))
    assert status == 403 and anna not in json.dumps(body)  # nobody submits in another's name
    status, first = _call(stack, "POST", "/v1/triage", token, _submission(anna))
    assert status == 202, first
    case1 = first["case_id"]
    wait_until(lambda: stack.get("queue", f"/v1/regions/SE-C/cases/{case1}")[0] == 200, 30, "case 1 queued")

    _command(
        stack,
        ev.TransferCase(
            region="SE-C", case_id=case1, to_region="SE-E", reason="lives there", by="team-lead-1"
        ),
    )

    def moved() -> dict[str, Any] | None:
        status, page = _call(stack, "GET", "/v1/cases", token)
        c = page["cases"][0] if status == 200 and page["cases"] else {}
        return c if c.get("region") == "SE-E" and c.get("status") == "waiting" else None

    after_transfer = wait_until(moved, 30, "the case list to show the case waiting in SE-E")
    assert after_transfer["case_id"] == case1 and after_transfer["position"] == 1
    assert after_transfer["transferred_from"] == ["SE-C"] and after_transfer["estimated_wait_text"]
    assert after_transfer["advice"] and after_transfer["symptom"] == "fever"
    assert _call(stack, "GET", f"/v1/cases/{case1}", token)[1]["region"] == "SE-E"

    _command(stack, ev.ServeNext(region="SE-E", clinician_id="nurse-1", request_id=uuid.uuid4().hex))
    wait_until(
        lambda: _call(stack, "GET", f"/v1/cases/{case1}", token)[1]["status"] == "called", 30, "called"
    )
    _command(stack, ev.CompleteCase(region="SE-E", case_id=case1, by="nurse-1"))
    wait_until(
        lambda: _call(stack, "GET", f"/v1/cases/{case1}", token)[1]["status"] == "closed", 30, "closed"
    )

    status, second = _call(stack, "POST", "/v1/triage", token, _submission(anna, symptom="cough"))
    assert status == 202, second
    case2 = second["case_id"]
    wait_until(
        lambda: _call(stack, "GET", f"/v1/cases/{case2}", token)[1]["status"] == "waiting", 30, "waiting"
    )

    status, page = _call(stack, "GET", "/v1/cases", token)
    assert status == 200 and page["total"] == 2
    newest, oldest = page["cases"]
    assert (newest["case_id"], newest["status"], newest["symptom"]) == (case2, "waiting", "cough")
    assert (oldest["case_id"], oldest["status"], oldest["outcome"], oldest["region"]) == (
        case1,
        "closed",
        "completed",
        "SE-E",
    )
    assert oldest["advice"] == after_transfer["advice"] and oldest["finished_at"] and oldest["called_at"]
    assert _call(stack, "GET", "/v1/cases", other)[1]["cases"] == []  # Bo sees none of Anna's cases
    assert _call(stack, "GET", f"/v1/cases/{case1}", other)[0] == 404
    assert _call(stack, "GET", "/v1/cases")[0] == 401
    expired = gateway.mint(anna, ttl_s=60, now=time.time() - 3600)
    status, refused = _call(stack, "GET", "/v1/cases", expired)
    assert status == 401 and "expired" in refused["detail"]
    assert _call(stack, "GET", "/v1/cases", PatientDevIssuer(stack.workdir / "mallory").mint(anna))[0] == 401

    stack.kill("intake", signal.SIGTERM)
    stack.start_service("intake")
    stack.wait_healthy(("intake",))
    status, rebuilt = _call(stack, "GET", "/v1/cases", token)
    assert status == 200
    keys = ("case_id", "status", "region", "outcome", "advice", "symptom", "transferred_from", "triaged_at")
    assert [{k: c[k] for k in keys} for c in rebuilt["cases"]] == [
        {k: c[k] for k in keys} for c in page["cases"]
    ]


def test_a_patient_withdraws_their_waiting_case_without_an_sms_but_cannot_withdraw_a_called_one(
    stack: Stack, gateway: PatientDevIssuer
) -> None:
    stack.start()
    anna, bo = personnummer(), personnummer()
    token, other = gateway.mint(anna), gateway.mint(bo)
    status, mine = _call(stack, "POST", "/v1/triage", token, _submission(anna, "070-222 33 41"))
    assert status == 202, mine
    case_id = mine["case_id"]
    wait_until(lambda: stack.get("queue", f"/v1/regions/SE-C/cases/{case_id}")[0] == 200, 30, "queued")

    assert _call(stack, "DELETE", f"/v1/cases/{case_id}")[0] == 401
    status, body = _call(stack, "DELETE", f"/v1/cases/{case_id}", other)
    assert (
        status == 404
        and body["detail"] == _call(stack, "DELETE", f"/v1/cases/{uuid.uuid4().hex}", other)[1]["detail"]
    )

    status, withdrawn = _call(stack, "DELETE", f"/v1/cases/{case_id}", token)
    assert status == 202, withdrawn
    assert (withdrawn["status"], withdrawn["outcome"], withdrawn["outcome_reason"]) == (
        "cancelled",
        "cancelled",
        "withdrawn_by_patient",
    )
    assert _call(stack, "DELETE", f"/v1/cases/{case_id}", token)[0] == 202  # a repeat is fine
    assert stack.get("queue", f"/v1/regions/SE-C/cases/{case_id}")[1]["status"] == "cancelled"

    cancels = [
        r
        for r in read_records(stack.kafka, [topics.QUEUE_EVENTS.name])
        if b"case.cancelled.v1" in dict(r.headers).get("ce_type", b"")
        and case_id.encode() in (r.value or b"")
    ]
    [cancel] = cancels  # once, whatever the repeats
    assert b'"by":"patient:' in (cancel.value or b"") and anna.replace("-", "")[:8].encode() not in (
        cancel.value or b""
    )

    # the queue deletes the phone at once (no notice to send); the SMS outbox never gets one
    wait_until(
        lambda: any(
            r.key == case_id.encode() and r.value is None
            for r in read_records(stack.kafka, [topics.PATIENT_CONTACTS.name])
        ),
        30,
        "the withdrawn case's phone to be deleted",
    )
    assert [r for r in stack.outbox_records() if r["case_id"] == case_id] == []

    status, bos = _call(stack, "POST", "/v1/triage", other, _submission(bo, "070-222 33 42"))
    assert status == 202, bos
    _command(stack, ev.ServeNext(region="SE-C", clinician_id="nurse-1", request_id=uuid.uuid4().hex))
    wait_until(
        lambda: _call(stack, "GET", f"/v1/cases/{bos['case_id']}", other)[1]["status"] == "called",
        30,
        "called",
    )
    status, conflict = _call(stack, "DELETE", f"/v1/cases/{bos['case_id']}", other)
    assert status == 409 and "calling you" in conflict["detail"]

    # the case token still works for the anonymous/SMS path, and a wrong one does not stop the owner
    assert _call_with_case_token(stack, case_id, mine["case_token"])[0] == 200
    assert _call_with_case_token(stack, case_id, "wrong", token)[0] == 200
    assert _call_with_case_token(stack, case_id, "wrong")[0] == 404

    # neither the identity token (its payload holds the personnummer) nor the number reach a log
    logs = "".join(p.read_text() for p in stack.workdir.glob("*.log"))
    assert all(secret not in logs for secret in (token, other, token.split(".")[1], anna, bo))
    assert anna.replace("-", "") not in logs and bo.replace("-", "") not in logs


def _call_with_case_token(stack: Stack, case_id: str, case_token: str, token: str = "") -> tuple[int, Any]:
    headers = {"x-case-token": case_token, **({"authorization": f"Bearer {token}"} if token else {})}
    req = urllib.request.Request(stack.url("intake") + f"/v1/cases/{case_id}", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")
