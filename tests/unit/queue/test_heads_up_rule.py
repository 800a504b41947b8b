"""The heads-up rule (issue 14): only when truly close, once per case, never while closed, never on arrival."""

from __future__ import annotations

import datetime as dt

from proto import events as ev
from services.opening_hours.eta import EtaPolicy
from services.opening_hours.schedule import STOCKHOLM, OpeningHours, RegionHours
from services.queue.domain.process import handle
from services.queue.domain.state import QueuePolicy, QueueState

WEEKDAYS_8_17 = RegionHours(weekly=(((480, 1020),),) * 5 + ((), ()))
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)
MONDAY_20 = dt.datetime(2026, 11, 23, 20, 0, tzinfo=STOCKHOLM)


def _state(capacity_per_hour: float = 20.0, hours: RegionHours | None = None) -> QueueState:
    opening = OpeningHours() if hours is None else OpeningHours(default=hours)
    return QueueState(
        policy=QueuePolicy(
            heads_up_position=3,
            heads_up_within_s=600,
            hours=opening,
            eta=EtaPolicy(capacity_per_hour=capacity_per_hour),
        )
    )


def _heads_ups(state: QueueState, message: ev.Message, now: dt.datetime) -> list[ev.HeadsUp]:
    return [e for e in handle(state, message, now).recorded if isinstance(e, ev.HeadsUp)]


def _arrive(state: QueueState, i: int, urgency: int, now: dt.datetime) -> list[ev.HeadsUp]:
    return _heads_ups(
        state,
        ev.CaseTriaged(
            case_id=f"c{i}",
            region="SE-C",
            urgency=urgency,  # type: ignore[arg-type]
            symptom="fever",
            person_pseudonym=f"p{i}",
            triaged_at=now,
        ),
        now,
    )


def _serve(state: QueueState, rid: str, now: dt.datetime) -> list[ev.HeadsUp]:
    return _heads_ups(state, ev.ServeNext(region="SE-C", clinician_id="n", request_id=rid), now)


def test_a_burst_of_seven_patients_into_an_idle_queue_gets_no_heads_up_on_arrival() -> None:
    state = _state()
    burst = [3, 4, 5, 2, 4, 3, 1]  # the 7-patient burst: the Prio 5 patient is soon 7th
    sent = [
        h for i, u in enumerate(burst) for h in _arrive(state, i, u, MONDAY_10 + dt.timedelta(seconds=i / 10))
    ]
    assert sent == []


def test_after_a_call_only_the_next_k_expected_within_ten_minutes_get_one() -> None:
    state = _state(capacity_per_hour=20.0)  # 3 minutes a call: positions 1-3 within 9 minutes
    for i, u in enumerate([3, 4, 5, 2, 4, 3, 1]):
        _arrive(state, i, u, MONDAY_10)
    sent = _serve(state, "s1", MONDAY_10 + dt.timedelta(minutes=1))  # calls c6 (Prio 1)
    assert [(h.case_id, h.position) for h in sent] == [("c3", 1), ("c0", 2), ("c5", 3)]
    assert "c2" not in {h.case_id for h in sent}  # the Prio 5 patient is last: not told "plats 3"


def test_a_slow_region_sends_no_heads_up_even_to_the_next_in_line() -> None:
    state = _state(capacity_per_hour=2.0)  # 30 minutes a call: position 1 expected in 15, not within 10
    for i in range(3):
        _arrive(state, i, 3, MONDAY_10)
    assert _serve(state, "s1", MONDAY_10) == []


def test_each_case_gets_at_most_one_heads_up_over_many_calls() -> None:
    state = _state()
    for i in range(6):
        _arrive(state, i, 3, MONDAY_10)
    sent = [h for n in range(5) for h in _serve(state, f"s{n}", MONDAY_10 + dt.timedelta(minutes=n))]
    ids = [h.case_id for h in sent]
    assert sorted(ids) == ["c1", "c2", "c3", "c4", "c5"] and len(set(ids)) == len(ids)


def test_no_heads_up_while_the_region_is_closed_even_when_staff_serve_late() -> None:
    state = _state(hours=WEEKDAYS_8_17)
    for i in range(4):
        _arrive(state, i, 3, MONDAY_20)
    assert _serve(state, "late", MONDAY_20 + dt.timedelta(minutes=1)) == []  # ServeNext works, no SMS
    morning = dt.datetime(2026, 11, 24, 8, 5, tzinfo=STOCKHOLM)
    assert [h.case_id for h in _serve(state, "morning", morning)] == ["c2", "c3"]


def test_a_replayed_input_decides_the_same_heads_ups() -> None:
    first, second = _state(), _state()
    for state in (first, second):
        for i in range(4):
            _arrive(state, i, 3, MONDAY_10)
    assert _serve(first, "s1", MONDAY_10) == _serve(second, "s1", MONDAY_10)


def test_a_patient_who_had_a_heads_up_gets_none_again_after_a_transfer() -> None:
    from services.queue.domain.outputs import outputs_for

    state = _state()
    for i in range(3):
        _arrive(state, i, 3, MONDAY_10)
    assert [h.case_id for h in _serve(state, "s1", MONDAY_10)] == ["c1", "c2"]
    moved = handle(
        state,
        ev.TransferCase(
            region="SE-C", request_id="t1", case_id="c1", to_region="SE-E", reason="closer", by="n"
        ),
        MONDAY_10,
    ).recorded
    [transfer_in] = outputs_for(moved).commands
    assert transfer_in.heads_up_sent
    for i in range(2):  # two more urgent cases wait in SE-E
        handle(
            state,
            ev.CaseTriaged(
                case_id=f"e{i}",
                region="SE-E",
                urgency=2,
                symptom="fever",
                person_pseudonym=f"pe{i}",
                triaged_at=MONDAY_10,
            ),
            MONDAY_10,
        )
    handle(state, transfer_in, MONDAY_10)  # c1 is third in SE-E
    sent = _heads_ups(state, ev.ServeNext(region="SE-E", clinician_id="n", request_id="e1"), MONDAY_10)
    assert [h.case_id for h in sent] == ["e1"]  # c1, now second, is not told again


def _cancel(state: QueueState, case_id: str, reason: str, by: str, now: dt.datetime) -> list[ev.HeadsUp]:
    return _heads_ups(
        state,
        ev.CancelCase(region="SE-C", case_id=case_id, reason=reason, by=by, request_id=f"x-{case_id}"),
        now,
    )


def test_a_patient_withdrawing_from_a_queue_nobody_serves_sends_no_heads_up() -> None:
    state = _state()  # issue 25: five arrive, nobody is called, patient 5 withdraws
    for i in range(5):
        _arrive(state, i, 3, MONDAY_10)
    later = MONDAY_10 + dt.timedelta(minutes=2)
    assert _cancel(state, "c4", ev.WITHDRAWN_BY_PATIENT, "patient:ab", later) == []


def test_a_staff_cancellation_from_a_queue_nobody_serves_sends_no_heads_up() -> None:
    state = _state()
    for i in range(5):
        _arrive(state, i, 3, MONDAY_10)
    assert _cancel(state, "c0", "duplicate case", "nurse-1", MONDAY_10 + dt.timedelta(minutes=2)) == []


def test_a_departure_after_calls_sends_no_heads_up_but_the_next_call_does() -> None:
    state = _state()
    for i in range(6):
        _arrive(state, i, 3, MONDAY_10)
    assert [h.case_id for h in _serve(state, "s1", MONDAY_10)] == ["c1", "c2", "c3"]
    # c4 moves up to position 3 when c1 leaves; only a call, not a departure, tells it so
    assert _cancel(state, "c1", ev.WITHDRAWN_BY_PATIENT, "patient:ab", MONDAY_10) == []
    # the call of c2 leaves c3 (told), c4, c5 as the next three
    assert [h.case_id for h in _serve(state, "s2", MONDAY_10 + dt.timedelta(minutes=1))] == ["c4", "c5"]
