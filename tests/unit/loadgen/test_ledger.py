"""Correlating what was sent with what came back: accounting, duplicates, event order."""

from services.loadgen.accounting import account
from services.loadgen.http_driver import classify
from services.loadgen.ledger import Ledger


def ledger_with_one_case() -> Ledger:
    ledger = Ledger(enabled_regions=frozenset({"SE-C"}))
    ledger.submitted("s1", "SE-C", 3, 0.0)
    ledger.answered("s1", "queued", 0.010, case_id="c1", urgency=3)
    ledger.on_case_queued("e1", "c1", 3, 0.020)
    ledger.serve_sent("r1", "SE-C", 1.0)
    return ledger


def test_a_called_and_texted_case_balances_and_records_every_latency() -> None:
    ledger = ledger_with_one_case()
    ledger.on_case_called("e2", "c1", "r1", 3, 0.9, 1.004)
    ledger.on_your_turn("e3", "c1", 1.005)
    ledger.on_sms_sent("e4", "c1", "your_turn", 1.030)
    a = account(ledger)
    assert a["ok"], a["problems"]
    assert (a["submitted"], a["queued"], a["called"], a["sms_sent"]) == (1, 1, 1, 1)
    assert ledger.hist["accepted_to_queued"].percentile_ms(50) == 10.0
    assert ledger.hist["serve_to_your_turn"].percentile_ms(50) == 5.0
    assert 29.9 < ledger.hist["serve_to_sms"].percentile_ms(50) <= 30.5


def test_a_your_turn_seen_before_its_case_called_still_gets_its_latency() -> None:
    ledger = ledger_with_one_case()
    ledger.on_your_turn("e3", "c1", 1.005)
    ledger.on_case_called("e2", "c1", "r1", 3, 0.9, 1.010)
    assert ledger.hist["serve_to_your_turn"].percentile_ms(50) == 5.0


def test_a_second_sms_for_the_same_case_is_a_duplicate_but_a_redelivered_record_is_not() -> None:
    ledger = ledger_with_one_case()
    ledger.on_case_called("e2", "c1", "r1", 3, 0.9, 1.004)
    ledger.on_sms_sent("e4", "c1", "your_turn", 1.030)
    ledger.on_sms_sent("e4", "c1", "your_turn", 1.031)  # same event id: redelivered
    assert account(ledger)["ok"]
    ledger.on_sms_sent("e5", "c1", "your_turn", 1.040)  # a new SMS to the same patient
    a = account(ledger)
    assert a["duplicate_sms"] == 1 and not a["ok"]
    assert a["redelivered_records"] == 1


def test_a_patient_called_twice_by_two_clinicians_is_reported() -> None:
    ledger = ledger_with_one_case()
    ledger.serve_sent("r2", "SE-C", 1.1)
    ledger.on_case_called("e2", "c1", "r1", 3, 0.9, 1.004)
    ledger.on_case_called("e6", "c1", "r2", 3, 0.9, 1.104)
    a = account(ledger)
    assert a["duplicate_calls"] == 1
    assert any("duplicate calls" in p for p in a["problems"])


def test_an_accepted_case_never_seen_queued_is_lost_and_a_called_case_without_sms_is_missing() -> None:
    ledger = Ledger()
    ledger.submitted("s1", "SE-C", 3, 0.0)
    ledger.answered("s1", "queued", 0.01, case_id="c1", urgency=3)
    ledger.submitted("s2", "SE-AB", 4, 0.0)
    ledger.answered("s2", "refer", 0.01)
    ledger.submitted("s3", "SE-C", 4, 0.0)
    ledger.answered("s3", "http_429", 0.01)
    ledger.submitted("s4", "SE-C", 4, 0.0)  # never answered
    a = account(ledger)
    assert a["equation"] == "submitted 4 = queued 0 + referred 1 + rejected 1 + lost 1 + unanswered 1"
    assert not a["ok"]


def test_http_answers_are_classified_by_status_and_body() -> None:
    assert classify(202, {"status": "queued"}) == "queued"
    assert classify(200, {"status": "refer"}) == "refer"
    assert classify(200, {"status": "full"}) == "full"
    assert classify(429, None) == "http_429"
    assert classify(422, {"errors": {}}) == "rejected_4xx"
    assert classify(503, None) == "http_5xx"
