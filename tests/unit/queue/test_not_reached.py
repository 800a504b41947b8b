"""A your-turn SMS that finally failed becomes NotifyFailed -> CaseNotReached -> "not reached" in the staff list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from proto import events as ev
from services.queue.domain.process import handle
from services.queue.domain.state import QueuePolicy, QueueState
from services.queue.domain.waiting_list import waiting_page as typed_waiting_page

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def _called(case_id: str = "c1") -> QueueState:
    state = QueueState(policy=QueuePolicy())
    handle(
        state,
        ev.CaseTriaged(
            case_id=case_id, region="SE-C", urgency=2, symptom="fever", person_pseudonym="p1", triaged_at=NOW
        ),
        NOW,
    )
    handle(state, ev.ServeNext(region="SE-C", clinician_id="n", request_id="s1"), NOW)
    return state


def _failed(state: QueueState, rid: str = "nf1", case_id: str = "c1") -> tuple[ev.Message, ...]:
    return handle(
        state,
        ev.NotifyFailed(region="SE-C", request_id=rid, case_id=case_id, sms_id="sms-1"),
        NOW + dt.timedelta(minutes=1),
    ).recorded


def waiting_page(*args: Any) -> Any:
    """The page as the queue serves it (JSON builtins)."""
    return msgspec.to_builtins(typed_waiting_page(*args))


def test_a_called_patient_whose_sms_failed_is_listed_as_not_reached_for_staff() -> None:
    state = _called()
    [event] = _failed(state)
    assert isinstance(event, ev.CaseNotReached) and event.case_id == "c1"
    [row] = waiting_page("SE-C", state.region("SE-C"), NOW.timestamp(), 0, 50)["not_reached"]
    assert row["case_id"] == "c1" and row["status"] == "not_reached" and row["urgency"] == 2


def test_a_repeated_notify_failed_is_answered_once() -> None:
    state = _called()
    first, again = (
        _failed(state),
        handle(
            state, ev.NotifyFailed(region="SE-C", request_id="nf1", case_id="c1", sms_id="sms-1"), NOW
        ).events,
    )
    assert first == again and len(waiting_page("SE-C", state.region("SE-C"), 0.0, 0, 50)["not_reached"]) == 1


def test_completing_the_case_takes_it_off_the_not_reached_list() -> None:
    state = _called()
    _failed(state)
    handle(state, ev.CompleteCase(region="SE-C", request_id="d", case_id="c1", by="n"), NOW)
    assert waiting_page("SE-C", state.region("SE-C"), 0.0, 0, 50)["not_reached"] == []


def test_a_failed_sms_of_a_case_already_closed_changes_nothing() -> None:
    state = _called()
    handle(state, ev.CompleteCase(region="SE-C", request_id="d", case_id="c1", by="n"), NOW)
    assert _failed(state) == ()


def test_the_not_reached_list_survives_a_restart_from_a_snapshot() -> None:
    from services.queue.domain.snapshot import decode_snapshot, encode_snapshot

    state = _called()
    _failed(state)
    chunks = encode_snapshot(state, ["SE-C"], 0, 10, {"triage.events": 1})
    restored = decode_snapshot(chunks, QueuePolicy()).state

    assert restored.regions["SE-C"].not_reached == state.regions["SE-C"].not_reached != {}
    assert (
        waiting_page("SE-C", restored.region("SE-C"), 0.0, 0, 50)["not_reached"]
        == waiting_page("SE-C", state.region("SE-C"), 0.0, 0, 50)["not_reached"]
    )
