"""The patient's own cases in intake's read model: order, transfers, outcome and advice, memory."""

from __future__ import annotations

import datetime as dt

from proto import events as ev
from services.intake.domain.patient_access import owns, patient_actor, withdrawal
from services.intake.domain.queue_view import QueueView

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
ANNA, BO = "a" * 32, "b" * 32


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def triaged(
    case_id: str, person: str, minute: float, region: str = "SE-C", advice: str = ""
) -> ev.CaseTriaged:
    return ev.CaseTriaged(
        case_id=case_id,
        region=region,
        urgency=3,
        symptom="fever",
        person_pseudonym=person,
        triaged_at=at(minute),
        rule_id="fever.high",
        advice=advice or f"advice for {case_id}",
    )


def queued(case_id: str, person: str, minute: float, region: str = "SE-C", seq: int = 1) -> ev.CaseQueued:
    return ev.CaseQueued(
        case_id=case_id, region=region, urgency=3, queued_at=at(minute), sequence=seq, person_pseudonym=person
    )


def closed(case_id: str, reason: str = "completed", region: str = "SE-C") -> ev.CaseClosed:
    return ev.CaseClosed(case_id=case_id, region=region, reason=reason, by="nurse-1")  # type: ignore[arg-type]


def cancelled(case_id: str, reason: str, by: str, region: str = "SE-C") -> ev.CaseCancelled:
    return ev.CaseCancelled(case_id=case_id, region=region, reason=reason, by=by)


def called(case_id: str, minute: float, region: str = "SE-C") -> ev.CaseCalled:
    return ev.CaseCalled(
        case_id=case_id,
        region=region,
        urgency=3,
        clinician_id="nurse-1",
        request_id=f"serve-{case_id}",
        queued_at=T0,
        called_at=at(minute),
    )


def transferred(case_id: str, person: str, to_region: str) -> ev.CaseTransferred:
    return ev.CaseTransferred(
        case_id=case_id,
        region="SE-C",
        to_region=to_region,
        urgency=3,
        queued_at=at(0),
        reason="lives there",
        by="team-lead-1",
        person_pseudonym=person,
    )


def view_of(*events: ev.Message, **kwargs: int) -> QueueView:
    view = QueueView(**kwargs)  # type: ignore[arg-type]
    for e in events:
        view.apply(e)
    return view


def test_a_patient_sees_their_own_cases_most_recent_first_and_nobody_elses() -> None:
    view = view_of(
        triaged("old", ANNA, 0),
        queued("old", ANNA, 0),
        called("old", 5),
        closed("old"),
        triaged("bo", BO, 10),
        triaged("new", ANNA, 20),
        queued("new", ANNA, 20, seq=2),
    )
    assert view.patients.case_ids_of(ANNA) == ["new", "old"]
    assert view.patients.case_ids_of(BO) == ["bo"]
    assert view.patients.case_ids_of("c" * 32) == []


def test_a_transferred_case_shows_the_new_region_and_its_place_there_and_where_it_came_from() -> None:
    view = view_of(
        triaged("c1", ANNA, 0),
        queued("c1", ANNA, 0),
        queued("x1", BO, -5, region="SE-E", seq=1),  # someone already waiting in Östergötland
        transferred("c1", ANNA, "SE-E"),
        queued("c1", ANNA, 0, region="SE-E", seq=2),
    )
    case = view.case("c1")
    assert case is not None and (case.region, case.status) == ("SE-E", "waiting")
    assert view.position("c1") == 2
    facts = view.patients.facts("c1")
    assert facts is not None and facts.transferred_from == ("SE-C",)
    assert view.patients.case_ids_of(ANNA) == ["c1"]  # one case, not one per region


def test_a_closed_case_keeps_its_outcome_and_the_advice_given_at_triage() -> None:
    view = view_of(
        triaged("c1", ANNA, 0, advice="Hög feber: drick mycket och vila."),
        queued("c1", ANNA, 0),
        called("c1", 7),
        closed("c1", "no_show"),
    )
    case, facts = view.case("c1"), view.patients.facts("c1")
    assert case is not None and (case.status, case.outcome) == ("closed", "no_show")
    assert facts is not None and facts.advice == "Hög feber: drick mycket och vila."
    assert facts.called_at == at(7) and facts.finished_at is not None


def test_a_cancellation_is_explained_to_the_patient_without_staffs_own_words() -> None:
    view = view_of(
        triaged("mine", ANNA, 0),
        queued("mine", ANNA, 0),
        cancelled("mine", ev.WITHDRAWN_BY_PATIENT, patient_actor(ANNA)),
        triaged("staff", ANNA, 10),
        queued("staff", ANNA, 10, seq=2),
        cancelled("staff", "patient phoned, handled by 1177 nurse Eva", "nurse-7"),
    )
    reasons = [view.patients.facts(c).cancel_reason for c in ("mine", "staff")]  # type: ignore[union-attr]
    assert reasons == ["withdrawn_by_patient", "cancelled_by_staff"]


def test_the_cases_are_the_same_whichever_topic_a_rebuild_reads_first() -> None:
    events = [
        triaged("c1", ANNA, 0),
        queued("c1", ANNA, 0),
        transferred("c1", ANNA, "SE-E"),
        queued("c1", ANNA, 0, region="SE-E", seq=9),
        called("c1", 30, region="SE-E"),
        closed("c1", region="SE-E"),
    ]
    queue_first = view_of(*events[1:], events[0])  # queue.events read before triage.events
    in_order = view_of(*events)
    for view in (queue_first, in_order):
        case, facts = view.case("c1"), view.patients.facts("c1")
        assert case is not None and (case.region, case.status, case.outcome) == (
            "SE-E",
            "closed",
            "completed",
        )
        assert facts is not None and (facts.advice, facts.transferred_from) == ("advice for c1", ("SE-C",))
        assert facts.since == at(0) and view.patients.case_ids_of(ANNA) == ["c1"]


def test_memory_is_bounded_the_oldest_finished_cases_are_forgotten_from_the_list_too() -> None:
    events: list[ev.Message] = []
    for i in range(10):
        events += [triaged(f"c{i}", ANNA, i), queued(f"c{i}", ANNA, i, seq=i), closed(f"c{i}")]
    view = view_of(*events, max_finished=3)
    assert view.patients.case_ids_of(ANNA) == ["c9", "c8", "c7"]
    assert len(view.patients) == 3 and view.case("c0") is None and view.patients.facts("c0") is None


def test_a_persons_list_keeps_only_their_most_recent_cases() -> None:
    view = QueueView()
    view.patients.max_per_person = 4
    for i in range(6):
        view.apply(triaged(f"c{i}", ANNA, i))
        view.apply(closed(f"c{i}"))
    assert view.patients.case_ids_of(ANNA) == ["c5", "c4", "c3", "c2"]


def test_a_case_is_the_callers_only_when_the_pseudonyms_match() -> None:
    view = view_of(triaged("c1", ANNA, 0))
    case = view.case("c1")
    assert case is not None and owns(ANNA, case) and not owns(BO, case)
    assert not owns("", case)


def test_a_waiting_case_can_be_withdrawn_and_a_repeat_sends_the_same_request() -> None:
    view = view_of(triaged("c1", ANNA, 0), queued("c1", ANNA, 0))
    first = withdrawal(view.case("c1"), view.patients.facts("c1"))  # type: ignore[arg-type]
    again = withdrawal(view.case("c1"), view.patients.facts("c1"))  # type: ignore[arg-type]
    assert first.action == "send" and first.request_id == again.request_id == "withdraw-c1-SE-C-0"
    view.apply(cancelled("c1", ev.WITHDRAWN_BY_PATIENT, patient_actor(ANNA)))
    assert withdrawal(view.case("c1"), view.patients.facts("c1")).action == "done"  # type: ignore[arg-type]


def test_a_pending_case_can_be_withdrawn_but_a_called_closed_or_staff_cancelled_one_cannot() -> None:
    view = view_of(
        triaged("pending", ANNA, 0),
        triaged("called", BO, 0),
        queued("called", BO, 0),
        called("called", 3),
        triaged("done", "d" * 32, 0),
        queued("done", "d" * 32, 0, seq=2),
        called("done", 4),
        closed("done"),
        triaged("staff", "e" * 32, 0),
        queued("staff", "e" * 32, 0, seq=3),
        cancelled("staff", "handled by phone", "nurse-7"),
    )

    def decide(case_id: str) -> tuple[str, str]:
        w = withdrawal(view.case(case_id), view.patients.facts(case_id))  # type: ignore[arg-type]
        return w.action, w.why

    assert decide("pending")[0] == "send"
    assert decide("called")[0] == "conflict" and "calling you" in decide("called")[1]
    assert decide("done")[0] == "conflict" and "closed (completed)" in decide("done")[1]
    assert decide("staff")[0] == "conflict" and "cancelled by staff" in decide("staff")[1]


def test_a_case_requeued_after_a_no_show_gets_a_fresh_withdrawal_request() -> None:
    view = view_of(triaged("c1", ANNA, 0), queued("c1", ANNA, 0), called("c1", 2))
    view.apply(ev.CaseNoShow(case_id="c1", region="SE-C", attempt=1, requeued=True))
    w = withdrawal(view.case("c1"), view.patients.facts("c1"))  # type: ignore[arg-type]
    assert (w.action, w.request_id) == ("send", "withdraw-c1-SE-C-1")


def _interleavings(*streams: list[ev.Message]) -> list[list[ev.Message]]:
    """Every order in which a rebuild can read these partitions side by side (each in its own order)."""
    if not any(streams):
        return [[]]
    out = []
    for i, s in enumerate(streams):
        if s:
            rest = [*streams[:i], s[1:], *streams[i + 1 :]]
            out += [[s[0], *tail] for tail in _interleavings(*rest)]
    return out


def _timed(event: ev.Message, minute: float) -> ev.Message:
    """The event as the queue wrote it at ``minute`` (its occurred_at)."""
    import msgspec

    return msgspec.structs.replace(event, occurred_at=at(minute))


def test_a_rebuild_in_any_partition_order_shows_a_transferred_closed_case_closed_and_the_next_one_waiting() -> (
    None
):
    # Anna's first case moved SE-C -> SE-E and was completed there; later she submitted again in SE-C.
    old_region = [_timed(queued("c1", ANNA, 0), 0), _timed(transferred("c1", ANNA, "SE-E"), 1)]
    old_region.append(_timed(queued("c2", ANNA, 30, seq=2), 30))
    new_region = [
        _timed(queued("c1", ANNA, 0, region="SE-E", seq=1), 1.1),
        _timed(called("c1", 10, region="SE-E"), 10),
        _timed(closed("c1", region="SE-E"), 20),
    ]
    triage = [triaged("c1", ANNA, 0), triaged("c2", ANNA, 30)]
    orders = _interleavings(old_region, new_region, triage)
    assert len(orders) == 560
    for order in orders:
        view = view_of(*order)
        c1, c2 = view.case("c1"), view.case("c2")
        assert c1 is not None and (c1.region, c1.status, c1.outcome) == ("SE-E", "closed", "completed"), order
        assert c2 is not None and c2.status == "waiting" and view.position("c2") == 1, order
        assert view.regions_to_withdraw() == {} and view.person_waiting(ANNA) == c2, order


def test_a_rebuild_does_not_withdraw_a_new_case_in_a_third_region_after_an_old_transferred_one() -> None:
    old_region = [_timed(queued("c1", ANNA, 0), 0), _timed(transferred("c1", ANNA, "SE-E"), 1)]
    new_region = [
        _timed(queued("c1", ANNA, 0, region="SE-E", seq=1), 1.1),
        _timed(called("c1", 10, region="SE-E"), 10),
        _timed(closed("c1", region="SE-E"), 20),
    ]
    third = [_timed(queued("c2", ANNA, 30, region="SE-M", seq=1), 30)]
    for order in _interleavings(old_region, new_region, third):
        view = view_of(*order)
        c2 = view.case("c2")
        assert c2 is not None and (c2.region, c2.status) == ("SE-M", "waiting"), order
        assert view.regions_to_withdraw() == {}, order


def test_a_completed_case_keeps_the_clinicians_outcome_kind_and_sealed_note_a_no_show_keeps_none() -> None:
    view = QueueView()
    note = ev.SealedNote(key_id="adv1", nonce="bm9uY2U=", ciphertext="c2VhbGVk")
    for e in (
        triaged("c1", ANNA, 0),
        queued("c1", ANNA, 0),
        triaged("c2", BO, 1),
        queued("c2", BO, 1, seq=2),
    ):
        view.apply(e)
    view.apply(
        ev.CaseClosed(case_id="c1", region="SE-C", reason="completed", outcome="booked_visit", note=note)
    )
    view.apply(ev.CaseClosed(case_id="c2", region="SE-C", reason="no_show"))
    done, missed = view.patients.facts("c1"), view.patients.facts("c2")
    assert done is not None and (done.completion, done.note) == ("booked_visit", note)
    assert missed is not None and (missed.completion, missed.note) == ("", None)


def test_the_outcome_and_a_visit_are_told_in_the_patients_language_in_stockholm_time() -> None:
    from services.intake.domain.completion_texts import outcome_title, visit_text

    visit = dt.datetime(2026, 12, 8, 13, 30, tzinfo=dt.UTC)  # 14:30 in Stockholm (CET)
    assert visit_text(visit, "sv") == "tisdag 8 december 2026 kl. 14:30"
    assert visit_text(visit, "en") == "Tuesday 8 December 2026 at 14:30"
    assert "akutmottagning" in outcome_title("referred_emergency", "sv")
    assert "emergency department" in outcome_title("referred_emergency", "en")
    assert outcome_title("advice", "fi") == outcome_title("advice", "sv")  # unknown language: Swedish
