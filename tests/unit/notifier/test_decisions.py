"""The notifier's decisions about one notice's SMS (services/notifier/domain/decisions.py): send or
skip, the intent, the events an outcome announces, not reached, the phone's deletion, and what a
delivery report means. Pure: no broker, no provider."""

from __future__ import annotations

import datetime as dt

import msgspec

from proto import events as ev
from services.notifier.domain.decisions import (
    Sms,
    admit,
    deletes_contact,
    derived_id,
    failed_event,
    intent,
    not_reached,
    report_outcome,
    sent_event,
)
from services.notifier.domain.delivery_reports import DeliveryReport
from services.notifier.domain.ledger import SmsLedger
from services.notifier.domain.templates import TEMPLATES

CALLED_AT = dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)


def your_turn(language: str = "sv") -> ev.YourTurn:
    return ev.YourTurn(
        event_id="n-turn",
        case_id="c1",
        region="SE-C",
        urgency=3,
        clinician_id="nurse-1",
        called_at=CALLED_AT,
        language=language,
    )


def heads_up() -> ev.HeadsUp:
    return ev.HeadsUp(event_id="n-heads", case_id="c2", region="SE-M", position=2)


def case_notice(final: bool) -> ev.CaseNotice:
    return ev.CaseNotice(event_id="n-case", case_id="c3", region="SE-C", kind="cancelled", final=final)


def new_sms(notice: ev.YourTurn | ev.HeadsUp | ev.CaseNotice) -> Sms:
    return intent(notice, msgspec.json.encode(notice).decode(), 4, "queue.your-turn/4@17", "outbox")


def at(sms: Sms, state: str, **fields: object) -> Sms:
    return sms.moved_on(msgspec.structs.replace(sms.entry, state=state, **fields))  # type: ignore[arg-type]


def test_a_new_notice_is_sent_and_a_replayed_one_is_skipped() -> None:
    ledger = SmsLedger()
    notice = your_turn()
    assert admit(ledger, notice) == "send"
    ledger.apply(new_sms(notice).entry)
    assert admit(ledger, notice) == "skip"


def test_the_intent_of_a_replayed_notice_names_the_same_sms() -> None:
    first, again = new_sms(your_turn()), new_sms(your_turn())
    assert first.entry.sms_id == again.entry.sms_id == derived_id("n-turn", "sms")
    assert first.entry.state == "intent" and first.entry.kind == "your_turn"
    assert (first.entry.partition, first.entry.source, first.entry.provider) == (
        4,
        "queue.your-turn/4@17",
        "outbox",
    )
    assert (
        new_sms(heads_up()).entry.kind == "heads_up" and new_sms(case_notice(False)).entry.kind == "cancelled"
    )


def test_the_text_is_the_template_of_the_notices_kind_in_the_patients_language() -> None:
    assert new_sms(your_turn("en")).text(TEMPLATES) == TEMPLATES[("your_turn", "en")]
    assert new_sms(your_turn("fi")).text(TEMPLATES) == TEMPLATES[("your_turn", "sv")]  # no Finnish text
    assert "plats 2 i kön" in new_sms(heads_up()).text(TEMPLATES)


def test_a_sent_your_turn_announces_when_the_patient_was_called_and_a_heads_up_does_not() -> None:
    turn = sent_event(at(new_sms(your_turn()), "sent", provider_id="s1", segments=2))
    assert turn.trigger_at == CALLED_AT and turn.provider_id == "s1" and turn.segments == 2
    assert turn.event_id == derived_id(turn.sms_id, "sent")
    assert sent_event(at(new_sms(heads_up()), "sent")).trigger_at is None


def test_a_finally_failed_your_turn_sms_tells_the_queue_the_patient_was_not_reached() -> None:
    failed = at(new_sms(your_turn()), "failed", reason="rejected", permanent=True)
    command = not_reached(failed)
    assert command is not None and command.region == "SE-C" and command.case_id == "c1"
    assert command.request_id == command.event_id == derived_id(failed.entry.sms_id, "notify-failed")
    again = not_reached(failed)  # a repeated announce asks the same, answered once
    assert again is not None and again.request_id == command.request_id
    assert failed_event(failed.entry).permanent and failed_event(failed.entry).reason == "rejected"


def test_a_failed_heads_up_or_case_notice_is_not_a_patient_not_reached() -> None:
    assert not_reached(at(new_sms(heads_up()), "failed")) is None
    assert not_reached(at(new_sms(case_notice(True)), "failed")) is None


def test_only_a_final_case_notice_deletes_the_phone_after_its_sms() -> None:
    assert deletes_contact(case_notice(final=True))
    assert not deletes_contact(case_notice(final=False))
    assert not deletes_contact(your_turn()) and not deletes_contact(heads_up())


def test_a_delivered_report_announces_the_delivery_and_nothing_for_the_queue() -> None:
    sms = at(new_sms(your_turn()), "sent", provider_id="s1", announced=True)
    when = CALLED_AT + dt.timedelta(minutes=1)
    outcome = report_outcome(sms, DeliveryReport("s1", "delivered", when))
    assert isinstance(outcome.event, ev.SmsDelivered) and outcome.event.delivered_at == when
    assert outcome.outcome == "delivered" and outcome.command is None


def test_an_undelivered_your_turn_is_a_permanent_failure_and_a_patient_not_reached() -> None:
    sms = at(new_sms(your_turn()), "sent", provider_id="s1", announced=True)
    outcome = report_outcome(sms, DeliveryReport("s1", "failed"))
    assert isinstance(outcome.event, ev.SmsFailed) and outcome.event.permanent
    assert outcome.event.event_id == derived_id(sms.entry.sms_id, "undelivered")
    assert outcome.outcome == "failed" and outcome.command is not None
    assert outcome.command.request_id == derived_id(sms.entry.sms_id, "notify-failed")
    assert outcome.command.region == "SE-C"
    assert report_outcome(at(new_sms(heads_up()), "sent"), DeliveryReport("s2", "failed")).command is None


def test_a_report_that_the_sms_is_only_on_its_way_changes_nothing() -> None:
    outcome = report_outcome(at(new_sms(your_turn()), "sent"), DeliveryReport("s1", "sent"))
    assert outcome.event is None and outcome.outcome is None and outcome.command is None
