"""How a case ended, from the clinician's desk to the patient's own case view (issue 26).

Real intake, queue and staff processes on a real broker. A clinician completes a called case
with each outcome kind through the staff API, with advice for the patient (a booked visit with
its clinic and time); each patient, logged in, reads the outcome and the advice in their own
case view, in Swedish or in English. The advice never travels in clear on a topic, never
reaches a log and is not in the audit trail, which records the outcome kind only. A link in the
advice is refused (422 naming the field). The staff CLI completes a case too.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from proto import events as ev
from proto import topics
from services.intake.patient_dev_issuer import PatientDevIssuer
from tests.e2e.test_patient_cases import _call as patient_call
from tests.support.people import personnummer
from tests.support.queue_io import history, of_type, read_all
from tests.support.stack import Stack, wait_until
from tests.support.staff_client import call, is_problem, token

pytestmark = pytest.mark.e2e

VISIT = "2026-12-08T14:30:00+01:00"
# outcome -> (language, advice, clinic, visit_at, title the patient reads)
OUTCOMES: dict[str, tuple[str, str, str | None, str | None, str]] = {
    "advice": ("sv", "Vila och drick mycket vatten. Ring 1177 om du blir sämre.", None, None, "råd"),
    "booked_visit": (
        "en",
        "Bring your list of medicines to the visit.",
        "Vårdcentralen Gottsunda",
        VISIT,
        "booked",
    ),
    "referred_health_centre": ("sv", "Kontakta din vårdcentral i morgon bitti.", None, None, "vårdcentral"),
    "referred_emergency": (
        "en",
        "Go to the emergency department at Akademiska now.",
        None,
        None,
        "emergency",
    ),
    "other": ("sv", "Ditt ärende hanteras av barnmorskemottagningen.", None, None, "avslutat"),
}
VISIT_TEXT = "Tuesday 8 December 2026 at 14:30"


def _patient(stack: Stack, method: str, path: str, bearer: str, body: Any = None) -> tuple[int, Any]:
    return patient_call(stack, method, path, bearer, body)


@pytest.fixture
def gateway(stack: Stack) -> PatientDevIssuer:
    issuer = PatientDevIssuer(stack.workdir / "login-gateway")
    stack.extra_env.update(issuer.env())
    return issuer


def test_a_clinician_completes_a_case_with_each_outcome_and_each_patient_reads_it_in_their_language(
    stack: Stack, gateway: PatientDevIssuer
) -> None:
    stack.start(("queue", "intake", "staff"))
    patients: dict[str, tuple[str, str]] = {}  # case id -> (outcome, patient token)
    for i, (outcome, (language, *_)) in enumerate(OUTCOMES.items()):
        pnr = personnummer()
        bearer = gateway.mint(pnr)
        body = {
            "region": "SE-C",
            "personnummer": pnr,
            "phone": f"070-555 31 {i:02d}",
            "symptom": "cough",
            "answers": {},
            "language": language,
        }
        status, answer = _patient(stack, "POST", "/v1/triage", bearer, body)
        assert status == 202, answer
        patients[answer["case_id"]] = (outcome, bearer)
    wait_until(
        lambda: stack.get("queue", "/v1/regions/SE-C/queue")[1].get("waiting") == len(OUTCOMES),
        30,
        "every case waiting",
    )
    nurse = token(stack, "nurse-anna", "nurse", "SE-C")

    called = call(stack, "POST", "/v1/regions/SE-C/serve-next", nurse).json()["case"]["case_id"]
    link = call(
        stack,
        "POST",
        f"/v1/regions/SE-C/cases/{called}/complete",
        nurse,
        {"outcome": "advice", "advice": "Läs mer på https://1177.se/feber"},
    )
    assert is_problem(link, 422), link.text
    assert [e["pointer"] for e in link.json()["errors"]] == ["#/advice"] and "link" in link.text
    no_clinic = call(
        stack,
        "POST",
        f"/v1/regions/SE-C/cases/{called}/complete",
        nurse,
        {"outcome": "booked_visit", "advice": "x"},
    )
    assert is_problem(no_clinic, 422) and {e["pointer"] for e in no_clinic.json()["errors"]} == {
        "#/clinic",
        "#/visit_at",
    }

    for n in range(len(OUTCOMES)):
        if n:
            called = call(stack, "POST", "/v1/regions/SE-C/serve-next", nurse).json()["case"]["case_id"]
        outcome = patients[called][0]
        _, advice, clinic, visit_at, _ = OUTCOMES[outcome]
        body = {"outcome": outcome, "advice": advice}
        if clinic:
            body.update(clinic=clinic, visit_at=visit_at)
        done = call(stack, "POST", f"/v1/regions/SE-C/cases/{called}/complete", nurse, body)
        assert done.status_code == 200 and done.json()["event_type"] == "CaseClosed", done.text

    for case_id, (outcome, bearer) in patients.items():
        language, advice, clinic, _, title = OUTCOMES[outcome]

        def closed(case_id: str = case_id, bearer: str = bearer) -> dict[str, Any] | None:
            status, view = _patient(stack, "GET", f"/v1/cases/{case_id}", bearer)
            return view if status == 200 and view.get("clinician") else None

        view = wait_until(closed, 30, f"the patient to read how case {case_id} ended")
        told = view["clinician"]
        assert (view["status"], view["outcome"], told["kind"], told["advice"]) == (
            "closed",
            "completed",
            outcome,
            advice,
        )
        assert title in told["title"].lower(), (language, told["title"])
        assert view["advice"], "the triage advice is still shown beside the clinician's"
        if outcome == "booked_visit":
            assert (told["clinic"], told["visit_at"], told["visit_text"]) == (
                clinic,
                "2026-12-08T13:30:00Z",
                VISIT_TEXT,
            )
        else:
            assert told["clinic"] is None and told["visit_at"] is None
        listed = _patient(stack, "GET", "/v1/cases", bearer)[1]["cases"]
        assert [c["clinician"]["kind"] for c in listed] == [outcome]

    # recorded on queue.events: the kind in clear, the advice sealed; never in clear anywhere
    closings = of_type(history(stack.kafka), ev.CaseClosed)
    assert sorted(c.outcome or "" for c in closings) == sorted(OUTCOMES)
    assert all(c.note is not None and c.urgency == 3 for c in closings)
    wire = b"".join(
        v or b"" for t in (topics.QUEUE_EVENTS, topics.QUEUE_COMMANDS) for *_, v in read_all(stack.kafka, t)
    )
    logs = stack.logs()
    for _, advice, clinic, _, _ in OUTCOMES.values():
        assert advice.encode() not in wire and advice not in logs
        if clinic:
            assert clinic.encode() not in wire and clinic not in logs

    auditor = token(stack, "auditor-ake", "auditor", "SE-C")
    trail = call(stack, "GET", "/v1/audit", auditor, params={"actor": "nurse-anna"}).json()["records"]
    completes = [r for r in trail if r["action"] == "complete" and r["outcome"] == "ok"]
    assert sorted(r["detail"] for r in completes) == sorted(f"outcome={o}" for o in OUTCOMES)
    assert not any(advice in json.dumps(trail) for _, advice, *_ in OUTCOMES.values())


def test_the_staff_cli_completes_a_case_with_an_outcome_and_advice_read_from_stdin(
    stack: Stack, gateway: PatientDevIssuer
) -> None:
    stack.start(("queue", "intake", "staff"))
    pnr = personnummer()
    bearer = gateway.mint(pnr)
    body = {
        "region": "SE-E",
        "personnummer": pnr,
        "phone": "070-555 32 00",
        "symptom": "cough",
        "answers": {},
    }
    status, answer = _patient(stack, "POST", "/v1/triage", bearer, body)
    assert status == 202, answer
    case_id = answer["case_id"]
    wait_until(lambda: stack.get("queue", "/v1/regions/SE-E/queue")[1].get("waiting") == 1, 30, "waiting")
    env = {
        **os.environ,
        "STAFF_URL": stack.url("staff"),
        "STAFF_TOKEN": token(stack, "nurse-bo", "nurse", "SE-E"),
    }
    cli = [sys.executable, "-m", "services.cli"]

    def run(argv: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(cli + argv, env=env, input=stdin, capture_output=True, text=True, timeout=60)

    assert run(["serve-next", "--region", "SE-E"]).returncode == 0
    base = [
        "staff-cli",
        "complete",
        "--region",
        "SE-E",
        "--case",
        case_id,
        "--outcome",
        "referred_health_centre",
    ]
    refused = run([*base, "--advice", "Se www.vardcentralen.se"])
    assert refused.returncode == 1 and "complete failed (422)" in refused.stdout, refused.stdout
    done = run([*base, "--advice-file", "-"], stdin="Ring din vårdcentral i morgon.\n")
    assert done.returncode == 0, done.stdout + done.stderr
    view = wait_until(
        lambda: (v := _patient(stack, "GET", f"/v1/cases/{case_id}", bearer)[1]).get("clinician") and v,
        30,
        "the patient's view of the outcome",
    )
    assert view["clinician"]["kind"] == "referred_health_centre"
    assert view["clinician"]["advice"] == "Ring din vårdcentral i morgon."
    assert "vårdcentral" in view["clinician"]["title"]
    assert dt.datetime.fromisoformat(view["finished_at"].replace("Z", "+00:00")) <= dt.datetime.now(dt.UTC)
