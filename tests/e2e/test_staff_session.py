"""A scripted staff session over the real stack: synchronous answers, the actor from the token,
and an audit trail with exactly those actions and no personal data in clear."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from proto import events as ev
from proto import topics
from tests.support.people import mobile, personnummer
from tests.support.queue_io import history, of_type, read_all
from tests.support.stack import Stack, wait_until
from tests.support.staff_client import call, token

pytestmark = pytest.mark.e2e


def _queue_cases(stack: Stack, people: list[tuple[str, str]]) -> list[str]:
    case_ids = []
    for pnr, phone in people:
        status, body = stack.post(
            "intake",
            "/v1/triage",
            {
                "region": "SE-C",
                "personnummer": pnr,
                "phone": phone,
                "symptom": "fever",
                "answers": {"temperature_over_40": True},
            },
        )
        assert status == 202, body
        case_ids.append(body["case_id"])
    wait_until(
        lambda: stack.get("queue", "/v1/regions/SE-C/queue")[1].get("waiting") == len(people),
        30,
        "the cases to be queued",
    )
    return case_ids


def _trail(stack: Stack, auditor: str, **params: str) -> list[dict[str, Any]]:
    resp = call(stack, "GET", "/v1/audit", auditor, params=params)
    assert resp.status_code == 200, resp.text
    return list(resp.json()["records"])


def test_a_scripted_staff_session_is_answered_at_once_and_audited_exactly(stack: Stack) -> None:
    stack.start(("queue", "intake", "staff"))
    people = [(personnummer(), mobile(8800001 + i)) for i in range(3)]
    first, second, third = _queue_cases(stack, people)
    anna = token(stack, "nurse-anna", "nurse", "SE-C")
    lisa = token(stack, "lead-lisa", "team-lead", "SE-C")
    started = dt.datetime.now(dt.UTC).isoformat()

    # serve: the body names someone else; the token's subject is the clinician all the same
    called = call(
        stack, "POST", "/v1/regions/SE-C/serve-next", anna, {"clinician_id": "mallory", "by": "mallory"}
    )
    assert called.status_code == 200, called.text
    body = called.json()
    assert (body["outcome"], body["actor"], body["case"]["case_id"]) == ("called", "nurse-anna", first)
    assert body["case"]["person_pseudonym"] and body["case"]["waited_seconds"] >= 0
    no_show = call(stack, "POST", f"/v1/regions/SE-C/cases/{first}/no-show", anna, {"by": "mallory"})
    assert no_show.json()["outcome"] == "done", no_show.text
    worse = call(
        stack,
        "POST",
        f"/v1/regions/SE-C/cases/{second}/reprioritise",
        anna,
        {"urgency": 1, "reason": "worse on the phone", "by": "mallory"},
    )
    assert worse.json()["event_type"] == "CaseReprioritised", worse.text
    moved = call(
        stack,
        "POST",
        f"/v1/regions/SE-C/cases/{third}/transfer",
        lisa,
        {"to_region": "SE-E", "reason": "lives in Linköping"},
    )
    assert moved.json()["event_type"] == "CaseTransferred", moved.text
    listed = call(stack, "GET", "/v1/regions/SE-C/waiting", anna).json()
    assert [(c["position"], c["case_id"], c["urgency"]) for c in listed["cases"]][0] == (1, second, 1)
    assert {c["case_id"] for c in listed["cases"]} == {first, second}

    # the queue's own history carries the token's subjects, not the body's
    events = history(stack.kafka)
    assert of_type(events, ev.CaseCalled)[0].clinician_id == "nurse-anna"
    assert of_type(events, ev.CaseNoShow)[0].by == "nurse-anna"
    assert of_type(events, ev.CaseReprioritised)[0].by == "nurse-anna"
    assert of_type(events, ev.CaseTransferred)[0].by == "lead-lisa"

    auditor = token(stack, "auditor-ake", "auditor", "SE-C")
    wait_until(lambda: len(_trail(stack, auditor, since=started)) >= 9, 20, "the session's audit records")
    anna_did = [(r["action"], r["outcome"], r["role"]) for r in _trail(stack, auditor, actor="nurse-anna")]
    assert anna_did == [
        ("serve-next", "requested", "nurse"),
        ("serve-next", "ok", "nurse"),
        ("no-show", "requested", "nurse"),
        ("no-show", "ok", "nurse"),
        ("reprioritise", "requested", "nurse"),
        ("reprioritise", "ok", "nurse"),
        ("read-waiting", "ok", "nurse"),
    ]
    assert [(r["action"], r["outcome"], r["role"]) for r in _trail(stack, auditor, actor="lead-lisa")] == [
        ("transfer", "requested", "team-lead"),
        ("transfer", "ok", "team-lead"),
    ]
    session = _trail(stack, auditor, since=started)
    assert len(session) == 9 and {r["actor"] for r in session} == {"nurse-anna", "lead-lisa"}
    assert all(r["client"] == "127.0.0.1" and r["region"] == "SE-C" for r in session)
    about_first = [(r["action"], r["outcome"]) for r in _trail(stack, auditor, case_id=first)]
    assert [a for a, o in about_first if o != "requested"] == ["serve-next", "no-show", "read-waiting"]
    assert _trail(stack, auditor, since=started, until=started) == []

    # no personnummer or phone in clear on the audit topic or in the staff log
    raw = b"".join(v or b"" for _, _, _, v in read_all(stack.kafka, topics.AUDIT_EVENTS))
    log = (stack.workdir / "staff.log").read_bytes()
    for pnr, phone in people:
        for secret in {pnr, pnr.replace("-", ""), pnr.replace("-", "")[2:], phone, "0" + phone[3:]}:
            assert secret.encode() not in raw and secret.encode() not in log

    # the CLI: serve-next answers who was called (the Prio 1 case now), or that nobody waits
    cli = [sys.executable, "-m", "services.cli"]
    env = {**os.environ, "STAFF_URL": stack.url("staff")}
    out = _run(
        cli + ["serve-next", "--region", "SE-C", "--clinician", "nurse-bo", "--var-dir", str(stack.workdir)],
        env,
    )
    assert out.startswith(f"called case {second} (Prio 1, waited "), out
    env["STAFF_TOKEN"] = token(stack, "nurse-bo", "nurse", "SE-H")
    assert _run(cli + ["serve-next", "--region", "SE-H"], env) == "SE-H: nobody waiting"
    assert _run(cli + ["staff-cli", "waiting", "--region", "SE-H"], env) == "SE-H: nobody waiting"
    refused = subprocess.run(
        cli + ["staff-cli", "cancel", "--region", "SE-C", "--case", first, "--reason", "x"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1 and "cancel failed (403)" in refused.stdout


def _run(argv: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, cwd=Path.cwd())
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()
