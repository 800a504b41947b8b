"""The clinician's view of a called case and the audited identity read, over the real stack
(issue 25): serve-next says what the patient answered, GET /v1/cases/{id} shows the case, and
only the calling clinician and the region's team lead can open the sealed identity."""

from __future__ import annotations

import pytest

from proto import codec, topics
from tests.support.people import mobile, personnummer
from tests.support.stack import Stack, wait_until
from tests.support.staff_client import call, is_problem, token
from tests.support.topic_reader import read_records

pytestmark = pytest.mark.e2e


def _submit(stack: Stack, pnr: str, phone: str) -> str:
    status, body = stack.post(
        "intake",
        "/v1/triage",
        {
            "region": "SE-C",
            "personnummer": pnr,
            "phone": phone,
            "symptom": "fever",
            "answers": {"temperature_over_40": True, "days_with_fever": 2},
            "language": "en",
        },
    )
    assert status == 202, body
    wait_until(
        lambda: stack.get("queue", "/v1/regions/SE-C/queue")[1].get("waiting") == 1, 30, "the case queued"
    )
    return str(body["case_id"])


def test_the_called_case_shows_the_clinician_what_the_patient_answered_and_only_the_caller_and_lead_see_who(
    stack: Stack,
) -> None:
    stack.start(("queue", "intake", "staff"))
    pnr, phone = personnummer(), mobile(8812345)
    case_id = _submit(stack, pnr, phone)
    anna = token(stack, "nurse-anna", "nurse", "SE-C")

    called = call(stack, "POST", "/v1/regions/SE-C/serve-next", anna)
    assert called.status_code == 200, called.text
    case = called.json()["case"]
    assert case["case_id"] == case_id
    assert (case["symptom"], case["language"], case["rule_id"], case["region"]) == (
        "fever",
        "en",
        "fever.very_high",
        "SE-C",
    )
    assert case["answers"] == {"temperature_over_40": True, "days_with_fever": 2}
    # as the patient read them, in their language (English here)
    assert case["symptom_text"] == "Fever"
    assert case["answer_texts"] == ["Temperature over 40 °C: yes", "Days with fever: 2"]
    assert case["advice"] == "High fever: drink plenty and rest." and case["no_shows"] == 0
    assert pnr not in called.text and phone not in called.text  # the identity is a separate read

    view = call(stack, "GET", f"/v1/cases/{case_id}", anna)
    assert view.status_code == 200, view.text
    shown = view.json()
    assert (shown["status"], shown["called_by"], shown["region"], shown["urgency"]) == (
        "called",
        "nurse-anna",
        "SE-C",
        2,
    )
    assert shown["symptom"] == "fever" and shown["advice"] and shown["waited_seconds"] >= 0
    assert shown["answer_texts"] == case["answer_texts"] and shown["rules_version"]
    assert shown["triaged"] and shown["no_shows"] == 0 and view.headers["cache-control"] == "no-store"

    # no-show, called again: the attempts show, and the second caller is the case's clinician
    assert call(stack, "POST", f"/v1/regions/SE-C/cases/{case_id}/no-show", anna).status_code == 200
    again = call(stack, "POST", "/v1/regions/SE-C/serve-next", anna)
    assert again.json()["case"]["no_shows"] == 1, again.text

    expected = f"{pnr[:8]}-{pnr[-4:]}"
    mine = call(stack, "GET", f"/v1/cases/{case_id}/identity", anna)
    assert mine.status_code == 200, mine.text
    assert (mine.json()["personnummer"], mine.json()["phone"]) == (expected, phone)
    lisa = token(stack, "lead-lisa", "team-lead", "SE-C")
    assert call(stack, "GET", f"/v1/cases/{case_id}/identity", lisa).json()["phone"] == phone

    refused = {
        "nurse-olle": token(stack, "nurse-olle", "nurse", "SE-C"),
        "lead-erik": token(stack, "lead-erik", "team-lead", "SE-E"),
        "auditor-ake": token(stack, "auditor-ake", "auditor", "SE-C"),
        "svc-1": token(stack, "svc-1", "service", "SE-C"),
    }
    for who, bearer in refused.items():
        resp = call(stack, "GET", f"/v1/cases/{case_id}/identity", bearer)
        assert is_problem(resp, 403), (who, resp.text)
        assert pnr not in resp.text and phone not in resp.text
    assert is_problem(call(stack, "GET", f"/v1/cases/{case_id}/identity"), 401)
    assert is_problem(call(stack, "GET", "/v1/cases/no-such-case", anna), 404)

    # every identity read is audited, allowed or refused, with the case and without the identity
    auditor = refused["auditor-ake"]

    def identity_reads() -> list[tuple[str, str]] | None:
        page = call(stack, "GET", "/v1/audit", auditor, params={"case_id": case_id}).json()["records"]
        found = [(r["actor"], r["outcome"]) for r in page if r["action"] == "read-identity"]
        return found if len(found) >= 6 else None

    reads = wait_until(identity_reads, 20, "the identity reads in the audit trail")
    assert sorted(reads) == sorted(
        [
            ("nurse-anna", "ok"),
            ("lead-lisa", "ok"),
            ("nurse-olle", "denied"),
            ("lead-erik", "denied"),
            ("auditor-ake", "denied"),
            ("svc-1", "denied"),
        ]
    )
    raw = b"".join(r.value or b"" for r in read_records(stack.kafka, [topics.AUDIT_EVENTS.name]))
    digits = pnr.replace("-", "").encode()
    assert (
        digits not in raw
        and digits[2:] not in raw
        and phone.encode() not in raw
        and phone[3:].encode() not in raw
    )
    # the personnummer travels only sealed on patient.contacts
    cards = [
        codec.CONTACT_CARDS.decode(r.value)
        for r in read_records(stack.kafka, ["patient.contacts"])
        if r.value
    ]
    assert any(c.case_id == case_id and c.identity_ciphertext for c in cards)
    assert all(digits not in (r.value or b"") for r in read_records(stack.kafka, ["patient.contacts"]))
    for path in stack.workdir.glob("*.log"):  # the services' logs: never the identity
        assert digits not in path.read_bytes() and phone.encode() not in path.read_bytes(), path


def test_staff_names_the_bad_field_and_audits_a_refused_transfer_with_its_case(stack: Stack) -> None:
    stack.start(("queue", "intake", "staff"))
    case_id = _submit(stack, personnummer(), mobile(8812346))
    anna = token(stack, "nurse-anna", "nurse", "SE-C")

    bad = call(
        stack, "POST", f"/v1/regions/SE-C/cases/{case_id}/reprioritise", anna, {"urgency": 9, "reason": "x"}
    )
    assert is_problem(bad, 422) and bad.json()["type"] == "/problems/invalid-request", bad.text
    assert [e["pointer"] for e in bad.json()["errors"]] == ["#/urgency"]
    missing = call(stack, "POST", f"/v1/regions/SE-C/cases/{case_id}/cancel", anna, {})
    assert [e["pointer"] for e in missing.json()["errors"]] == ["#/reason"], missing.text

    denied = call(
        stack,
        "POST",
        f"/v1/regions/SE-C/cases/{case_id}/transfer",
        anna,
        {"to_region": "SE-E", "reason": "moved"},
    )
    assert is_problem(denied, 403), denied.text
    auditor = token(stack, "auditor-ake", "auditor", "SE-C")

    def refused_transfer() -> list[dict[str, str]] | None:
        page = call(stack, "GET", "/v1/audit", auditor, params={"actor": "nurse-anna"}).json()["records"]
        found = [r for r in page if r["action"] == "transfer" and r["outcome"] == "denied"]
        return found or None

    [record] = wait_until(refused_transfer, 20, "the refused transfer in the audit trail")
    assert record["case_id"] == case_id
