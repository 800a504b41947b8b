"""What `triage staff-cli` prints: a refusal names every bad field, a call names the symptom."""

from __future__ import annotations

from services.staff.cli import describe


def test_a_422_names_each_bad_field_not_only_how_many() -> None:
    body = {
        "type": "/problems/invalid-request",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "invalid request: fix #/urgency (each one is listed in `errors`) and send again",
        "errors": [{"pointer": "#/urgency", "detail": "Expected `int` <= 5"}],
    }
    line = describe("reprioritise", "SE-C", 422, body)
    assert line.startswith("reprioritise failed (422): ") and "#/urgency: Expected `int` <= 5" in line


def test_a_called_case_names_the_symptom_and_the_rule() -> None:
    case = {
        "case_id": "c1",
        "urgency": 2,
        "waited_seconds": 840,
        "person_pseudonym": "9c1e0000000000",
        "symptom": "fever",
        "rule_id": "fever.very_high",
    }
    line = describe("serve-next", "SE-C", 200, {"outcome": "called", "case": case})
    assert line == "called case c1 (Prio 2, waited 14 min; fever, rule fever.very_high; person 9c1e00000000…)"
