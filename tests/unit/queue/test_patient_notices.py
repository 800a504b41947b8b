"""Patient notices derived by ``outputs_for`` (issue 14): one per event, and who deletes the phone."""

from __future__ import annotations

import datetime as dt

from proto import events as ev
from services.queue.domain.outputs import outputs_for
from services.queue.domain.process import handle
from services.queue.domain.state import QueuePolicy, QueueState

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _state_with(*case_ids: str, language: str = "en") -> QueueState:
    state = QueueState(policy=QueuePolicy(no_show_attempts=2))
    for i, case_id in enumerate(case_ids):
        handle(
            state,
            ev.CaseTriaged(
                case_id=case_id,
                region="SE-C",
                urgency=3,
                symptom="fever",
                person_pseudonym=f"p{i}",
                triaged_at=NOW,
                language=language,
            ),
            NOW,
        )
    return state


def _recorded(state: QueueState, command: ev.Message) -> tuple[ev.Message, ...]:
    return handle(state, command, NOW).recorded


def test_a_case_cancelled_by_staff_gives_one_final_notice_in_the_patients_language_and_no_tombstone() -> None:
    state = _state_with("c1")
    out = outputs_for(
        _recorded(
            state,
            ev.CancelCase(
                region="SE-C", request_id="x", case_id="c1", reason="duplicate of a phone call", by="nurse-7"
            ),
        )
    )
    [notice] = out.notices
    assert isinstance(notice, ev.CaseNotice) and (notice.kind, notice.language, notice.final) == (
        "cancelled",
        "en",
        True,
    )
    assert out.forget_contacts == ()  # the notifier deletes the card after the SMS, never before


def test_intakes_withdrawal_of_a_second_case_tells_nobody_and_deletes_the_phone_at_once() -> None:
    state = _state_with("c1")
    out = outputs_for(
        _recorded(
            state,
            ev.CancelCase(region="SE-C", request_id="x", case_id="c1", reason="second case", by="intake"),
        )
    )
    assert out.notices == () and out.forget_contacts == ("c1",)


def test_a_patients_own_withdrawal_is_accepted_sends_them_no_sms_and_deletes_the_phone_at_once() -> None:
    state = _state_with("c1")
    recorded = _recorded(
        state,
        ev.CancelCase(
            region="SE-C",
            request_id="withdraw-c1-SE-C-0",
            case_id="c1",
            reason=ev.WITHDRAWN_BY_PATIENT,
            by="patient:0123456789abcdef",
        ),
    )
    [cancelled] = recorded
    assert isinstance(cancelled, ev.CaseCancelled) and cancelled.reason == "withdrawn_by_patient"
    out = outputs_for(recorded)
    assert out.notices == () and out.forget_contacts == ("c1",)


def test_a_transfer_tells_the_patient_the_new_region_and_keeps_the_phone() -> None:
    state = _state_with("c1")
    out = outputs_for(
        _recorded(
            state,
            ev.TransferCase(
                region="SE-C", request_id="t", case_id="c1", to_region="SE-E", reason="closer", by="n"
            ),
        )
    )
    [notice] = out.notices
    assert isinstance(notice, ev.CaseNotice) and (notice.kind, notice.to_region, notice.final) == (
        "transferred",
        "SE-E",
        False,
    )
    assert out.forget_contacts == () and len(out.commands) == 1


def test_closing_after_the_last_no_show_tells_the_patient_once_and_a_requeue_tells_nothing() -> None:
    state = _state_with("c1")
    notices = []
    for n in range(2):
        _recorded(state, ev.ServeNext(region="SE-C", clinician_id="n", request_id=f"s{n}"))
        notices += [
            x
            for x in outputs_for(
                _recorded(state, ev.MarkNoShow(region="SE-C", request_id=f"m{n}", case_id="c1", by="n"))
            ).notices
        ]
    [notice] = notices
    assert isinstance(notice, ev.CaseNotice) and notice.kind == "closed_no_show" and notice.final


def test_a_completed_case_gets_no_notice_and_its_phone_is_deleted() -> None:
    state = _state_with("c1")
    _recorded(state, ev.ServeNext(region="SE-C", clinician_id="n", request_id="s"))
    out = outputs_for(_recorded(state, ev.CompleteCase(region="SE-C", request_id="d", case_id="c1", by="n")))
    assert out.notices == () and out.forget_contacts == ("c1",)


def test_the_notice_id_derives_from_the_event_so_a_resend_after_recovery_dedupes() -> None:
    state = _state_with("c1")
    recorded = _recorded(
        state, ev.CancelCase(region="SE-C", request_id="x", case_id="c1", reason="r", by="n")
    )
    assert outputs_for(recorded).notices == outputs_for(recorded).notices
    assert outputs_for(recorded).notices[0].event_id == f"notice-{recorded[0].event_id}"
