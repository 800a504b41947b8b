"""decide/evolve: the queue's behaviour, without Kafka."""

import datetime as dt

from proto import events as ev
from services.queue.domain.process import handle
from services.queue.domain.state import QueueState

T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def _run(state: QueueState, message: ev.Message) -> list[ev.Message]:
    return [e for e in handle(state, message, T0).events if not isinstance(e, ev.HeadsUp)]


def _triaged(case_id: str, urgency: int, minute: int, person: str = "") -> ev.CaseTriaged:
    return ev.CaseTriaged(
        case_id=case_id,
        region="SE-C",
        urgency=urgency,
        symptom="fever",
        person_pseudonym=person or f"p-{case_id}",
        triaged_at=T0 + dt.timedelta(minutes=minute),
    )


def test_serve_next_calls_the_most_urgent_case_and_tells_the_patient() -> None:
    state = QueueState()
    _run(state, _triaged("a", 3, 0))
    _run(state, _triaged("b", 1, 5))
    out = _run(state, ev.ServeNext(region="SE-C", clinician_id="n1", request_id="r1"))
    assert [type(e) for e in out] == [ev.CaseCalled, ev.YourTurn]
    assert out[0].case_id == "b" and out[1].case_id == "b"


def test_a_replayed_serve_next_returns_the_same_case_and_pops_nothing() -> None:
    state = QueueState()
    _run(state, _triaged("a", 2, 0))
    _run(state, _triaged("b", 2, 1))
    first = _run(state, ev.ServeNext(region="SE-C", clinician_id="n1", request_id="r1"))
    again = _run(state, ev.ServeNext(region="SE-C", clinician_id="n1", request_id="r1"))
    assert again[0].case_id == first[0].case_id == "a"
    assert again[1].event_id == first[1].event_id  # the notifier dedupes on it
    assert len(state.region("SE-C").queue) == 1


def test_serve_next_on_an_empty_region_says_so() -> None:
    out = _run(QueueState(), ev.ServeNext(region="SE-C", clinician_id="n1", request_id="r1"))
    assert [type(e) for e in out] == [ev.ServeNextEmpty]


def test_a_redelivered_triage_event_is_not_queued_twice() -> None:
    state = QueueState()
    first = _run(state, _triaged("a", 3, 0))
    again = _run(state, _triaged("a", 3, 0))
    assert again == first  # the recorded answer, same event id: consumers dedupe it
    assert len(state.region("SE-C").queue) == 1


def test_the_same_person_already_waiting_in_the_region_is_not_queued_again() -> None:
    state = QueueState()
    _run(state, _triaged("a", 3, 0, person="same"))
    out = _run(state, _triaged("b", 2, 1, person="same"))
    assert [type(e) for e in out] == [ev.CommandRejected]
    assert out[0].case_id == "b" and "as case a" in out[0].reason
    assert len(state.region("SE-C").queue) == 1
    assert _run(state, _triaged("b", 2, 1, person="same")) == out  # a redelivery: the same answer
