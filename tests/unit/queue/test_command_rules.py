"""The queue's per-command rules through ``handle`` (moved from the e2e tier; one e2e smoke per family).

Reprioritise, cancel, complete, no-show, transfer, heads-up and the rejections, each as a
fast unit test of the pure domain, with ``outputs_for`` for what is sent once committed.
"""

from __future__ import annotations

import datetime as dt

from proto import events as ev
from services.queue.domain.outputs import outputs_for
from services.queue.domain.process import handle
from services.queue.domain.state import QueuePolicy, QueueState

T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _state(**policy: int) -> QueueState:
    return QueueState(policy=QueuePolicy(**policy))


def _do(state: QueueState, message: ev.Message) -> list[ev.Message]:
    return [e for e in handle(state, message, NOW).recorded if not isinstance(e, ev.HeadsUp)]


def _queue(state: QueueState, region: str, *urgencies: int) -> list[str]:
    ids = []
    for i, u in enumerate(urgencies):
        case_id = f"{region}-c{i}"
        _do(
            state,
            ev.CaseTriaged(
                case_id=case_id,
                region=region,
                urgency=u,
                symptom="fever",  # type: ignore[arg-type]
                person_pseudonym=f"p-{case_id}",
                triaged_at=T0 + dt.timedelta(minutes=i),
            ),
        )
        ids.append(case_id)
    return ids


def _serve(state: QueueState, region: str, rid: str) -> ev.Message:
    return _do(state, ev.ServeNext(region=region, clinician_id="n1", request_id=rid))[0]


def test_a_reprioritised_case_moves_ahead_of_less_urgent_ones() -> None:
    state = _state()
    a, b, c = _queue(state, "SE-C", 3, 3, 2)
    [rep] = _do(
        state, ev.Reprioritise(region="SE-C", request_id="r", case_id=b, urgency=1, reason="worse", by="n")
    )
    assert isinstance(rep, ev.CaseReprioritised) and (rep.from_urgency, rep.to_urgency) == (3, 1)
    assert state.region("SE-C").queue.position(b) == 1
    assert _serve(state, "SE-C", "s").case_id == b  # type: ignore[attr-defined]


def test_a_reprioritise_to_a_bad_or_the_same_urgency_is_rejected_with_the_reason() -> None:
    state = _state()
    [a] = _queue(state, "SE-C", 3)
    [bad] = _do(
        state, ev.Reprioritise(region="SE-C", request_id="r1", case_id=a, urgency=9, reason="x", by="n")
    )
    [same] = _do(
        state, ev.Reprioritise(region="SE-C", request_id="r2", case_id=a, urgency=3, reason="x", by="n")
    )
    assert isinstance(bad, ev.CommandRejected) and "urgency must be 1..5" in bad.reason
    assert isinstance(same, ev.CommandRejected) and "already has urgency 3" in same.reason


def test_a_command_for_an_unknown_case_is_rejected_naming_the_region() -> None:
    [rej] = _do(_state(), ev.CancelCase(region="SE-C", request_id="r", case_id="nope", reason="x", by="n"))
    assert isinstance(rej, ev.CommandRejected) and "unknown case nope in region SE-C" in rej.reason


def test_a_cancelled_case_leaves_the_queue_and_the_patient_is_told_and_a_second_cancel_is_rejected() -> None:
    state = _state()
    a, b = _queue(state, "SE-C", 3, 4)
    [cancelled] = _do(
        state, ev.CancelCase(region="SE-C", request_id="x1", case_id=b, reason="better", by="p")
    )
    [again] = _do(state, ev.CancelCase(region="SE-C", request_id="x2", case_id=b, reason="again", by="p"))
    assert isinstance(cancelled, ev.CaseCancelled) and isinstance(again, ev.CommandRejected)
    assert b not in state.region("SE-C").queue and state.region("SE-C").cases[b].status == "cancelled"
    [notice] = outputs_for([cancelled]).notices  # the notifier deletes the phone after this SMS
    assert isinstance(notice, ev.CaseNotice) and notice.kind == "cancelled" and notice.final
    assert outputs_for([cancelled]).forget_contacts == ()


def test_only_a_called_case_can_be_completed_and_completing_closes_it() -> None:
    state = _state()
    a, b = _queue(state, "SE-C", 2, 3)
    [early] = _do(state, ev.CompleteCase(region="SE-C", request_id="e", case_id=b, by="n1"))
    assert isinstance(early, ev.CommandRejected) and "needs a called case" in early.reason
    _serve(state, "SE-C", "s")
    [closed] = _do(state, ev.CompleteCase(region="SE-C", request_id="d", case_id=a, by="n1"))
    assert isinstance(closed, ev.CaseClosed) and closed.reason == "completed"
    assert outputs_for([closed]).forget_contacts == (a,)


def test_completing_with_an_outcome_records_the_kind_the_sealed_note_and_the_urgency_on_case_closed() -> None:
    state = _state()
    [a] = _queue(state, "SE-C", 2)
    _serve(state, "SE-C", "s")
    note = ev.SealedNote(key_id="k1", nonce="bm9uY2U=", ciphertext="c2VhbGVk")
    [closed] = _do(
        state,
        ev.CompleteCase(region="SE-C", request_id="d", case_id=a, by="n1", outcome="booked_visit", note=note),
    )
    assert isinstance(closed, ev.CaseClosed) and closed.reason == "completed"
    assert (closed.outcome, closed.note, closed.urgency) == ("booked_visit", note, 2)


def test_a_complete_case_from_an_older_sender_closes_the_case_with_no_outcome_recorded() -> None:
    state = _state()
    [a] = _queue(state, "SE-C", 4)
    _serve(state, "SE-C", "s")
    [closed] = _do(state, ev.CompleteCase(region="SE-C", request_id="d", case_id=a, by="n1"))
    assert isinstance(closed, ev.CaseClosed) and closed.outcome is None and closed.note is None


def test_a_called_patient_who_does_not_answer_goes_first_in_their_level_then_is_closed() -> None:
    state = _state(no_show_attempts=2)
    first, second = _queue(state, "SE-H", 2, 2)
    _serve(state, "SE-H", "s1")
    [no_show] = _do(state, ev.MarkNoShow(region="SE-H", request_id="n1", case_id=first, by="n"))
    assert isinstance(no_show, ev.CaseNoShow) and no_show.attempt == 1 and no_show.requeued
    assert state.region("SE-H").queue.position(first) == 1
    assert _serve(state, "SE-H", "s2").case_id == first  # type: ignore[attr-defined]
    last = _do(state, ev.MarkNoShow(region="SE-H", request_id="n2", case_id=first, by="n"))
    assert [type(m) for m in last] == [ev.CaseNoShow, ev.CaseClosed]
    assert last[1].reason == "no_show"  # type: ignore[attr-defined]


def test_a_no_show_for_a_waiting_case_is_rejected() -> None:
    state = _state()
    [a] = _queue(state, "SE-H", 2)
    [rej] = _do(state, ev.MarkNoShow(region="SE-H", request_id="n", case_id=a, by="n"))
    assert isinstance(rej, ev.CommandRejected) and "needs a called case" in rej.reason


def test_a_transferred_case_keeps_its_join_time_and_goes_ahead_of_newer_cases_in_the_target() -> None:
    state = _state()
    [old] = _queue(state, "SE-C", 3)
    _do(
        state,
        ev.CaseTriaged(
            case_id="newer",
            region="SE-E",
            urgency=3,
            symptom="fever",
            person_pseudonym="q",
            triaged_at=T0 + dt.timedelta(hours=1),
        ),
    )
    [moved] = _do(
        state,
        ev.TransferCase(region="SE-C", request_id="t", case_id=old, to_region="SE-E", reason="moved", by="n"),
    )
    assert isinstance(moved, ev.CaseTransferred) and state.region("SE-C").cases[old].status == "transferred"
    [transfer_in] = outputs_for([moved]).commands  # sent to the target region's owner once committed
    assert transfer_in.region == "SE-E" and transfer_in.queued_at == T0
    [queued] = _do(state, transfer_in)
    assert isinstance(queued, ev.CaseQueued) and state.region("SE-E").queue.position(old) == 1
    [rej] = _do(state, ev.CancelCase(region="SE-C", request_id="x", case_id=old, reason="x", by="n"))
    assert isinstance(rej, ev.CommandRejected) and "transferred from SE-C to SE-E" in rej.reason


def test_a_transfer_to_the_same_region_is_rejected() -> None:
    state = _state()
    [a] = _queue(state, "SE-C", 3)
    [rej] = _do(
        state, ev.TransferCase(region="SE-C", request_id="t", case_id=a, to_region="SE-C", reason="x", by="n")
    )
    assert isinstance(rej, ev.CommandRejected) and "another region" in rej.reason


def test_heads_up_is_sent_once_per_case_when_a_call_brings_it_into_the_first_k_places() -> None:
    state = _state(heads_up_position=3)
    heads: list[ev.Message] = []
    for i in range(5):
        heads += [
            e
            for e in handle(
                state,
                ev.CaseTriaged(
                    case_id=f"c{i}",
                    region="SE-K",
                    urgency=4,
                    symptom="fever",
                    person_pseudonym=f"p{i}",
                    triaged_at=T0 + dt.timedelta(minutes=i),
                ),
                NOW,
            ).recorded
            if isinstance(e, ev.HeadsUp)
        ]
    for rid in ("s1", "s2"):
        heads += [
            e
            for e in handle(
                state, ev.ServeNext(region="SE-K", clinician_id="n", request_id=rid), NOW
            ).recorded
            if isinstance(e, ev.HeadsUp)
        ]
    # none on arrival; c0 is called first (no heads-up needed), c1-c3 after the first call, c4 after the second
    assert sorted(h.case_id for h in heads) == [f"c{i}" for i in range(1, 5)]  # type: ignore[attr-defined]
    assert {h.position for h in heads} <= {1, 2, 3}  # type: ignore[attr-defined]
    assert outputs_for(heads).notices == tuple(heads)  # recorded, and sent as notices


def test_a_call_is_told_to_the_patient_in_their_language_once_it_is_committed() -> None:
    state = _state()
    _do(
        state,
        ev.CaseTriaged(
            case_id="a",
            region="SE-C",
            urgency=2,
            symptom="fever",
            person_pseudonym="p",
            triaged_at=T0,
            language="en",
        ),
    )
    called = _serve(state, "SE-C", "s")
    [your_turn] = outputs_for([called]).notices
    assert isinstance(your_turn, ev.YourTurn) and your_turn.language == "en"
    assert your_turn.event_id == "yt-called-s" and your_turn.called_at == NOW
