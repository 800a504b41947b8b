"""The queue refuses commands a staff edge would refuse, with a reason that says how to fix them."""

from __future__ import annotations

import datetime as dt

import pytest

from proto import events as ev
from services.queue.domain.process import handle
from services.queue.domain.state import QueuePolicy, QueueState

T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def _state(transfer_regions: frozenset[str] = frozenset()) -> QueueState:
    state = QueueState(policy=QueuePolicy(transfer_regions=transfer_regions))
    handle(
        state,
        ev.CaseTriaged(
            case_id="c1", region="SE-C", urgency=1, symptom="fever", person_pseudonym="p1", triaged_at=T0
        ),
        T0,
    )
    return state


def _rejected(state: QueueState, command: ev.Command) -> ev.CommandRejected:
    [answer] = handle(state, command, T0).events
    assert isinstance(answer, ev.CommandRejected), answer
    assert answer.request_id == command.request_id
    return answer


def test_serve_next_for_a_city_name_instead_of_a_region_code_is_rejected_and_creates_no_region() -> None:
    state = _state()
    answer = _rejected(state, ev.ServeNext(region="stockholm", clinician_id="nurse-1"))
    assert "'stockholm' is not a Swedish region" in answer.reason and "SE-C" in answer.reason
    assert set(state.regions) == {"SE-C"}  # no phantom region for the metrics to report


def test_serve_next_without_a_clinician_is_rejected_and_the_patient_stays_waiting() -> None:
    state = _state()
    answer = _rejected(state, ev.ServeNext(region="SE-C", clinician_id="  "))
    assert "clinician_id is required" in answer.reason
    assert state.regions["SE-C"].cases["c1"].status == "waiting"


@pytest.mark.parametrize(
    "command",
    [
        ev.Reprioritise(region="SE-C", case_id="c1", urgency=2, reason="", by="nurse-1"),
        ev.CancelCase(region="SE-C", case_id="c1", reason=" ", by="nurse-1"),
        ev.TransferCase(region="SE-C", case_id="c1", to_region="SE-E", reason="", by="lead-1"),
    ],
)
def test_a_change_to_a_case_without_a_reason_is_rejected(command: ev.Command) -> None:
    answer = _rejected(_state(), command)
    assert "reason is required" in answer.reason and answer.case_id == "c1"


@pytest.mark.parametrize(
    "command",
    [
        ev.Reprioritise(region="SE-C", case_id="c1", urgency=2, reason="worse", by=""),
        ev.MarkNoShow(region="SE-C", case_id="c1"),
        ev.CompleteCase(region="SE-C", case_id="c1", by=""),
    ],
)
def test_a_staff_command_without_an_actor_is_rejected(command: ev.Command) -> None:
    assert "by is required" in _rejected(_state(), command).reason


def test_a_transfer_to_an_unknown_region_is_rejected_and_the_prio1_patient_keeps_waiting_here() -> None:
    state = _state()
    answer = _rejected(
        state,
        ev.TransferCase(region="SE-C", case_id="c1", to_region="SE-ZZ", reason="wrong region", by="lead-1"),
    )
    assert "'SE-ZZ' is not a Swedish region" in answer.reason
    assert state.regions["SE-C"].queue.position("c1") == 1


def test_a_transfer_to_a_region_where_the_service_is_not_enabled_is_rejected() -> None:
    state = _state(frozenset({"SE-C", "SE-E"}))
    answer = _rejected(
        state, ev.TransferCase(region="SE-C", case_id="c1", to_region="SE-AB", reason="moved", by="lead-1")
    )
    assert "SE-AB does not run this service" in answer.reason and "SE-E" in answer.reason


def test_a_no_show_records_who_marked_it() -> None:
    state = _state()
    handle(state, ev.ServeNext(region="SE-C", clinician_id="nurse-1", request_id="s1"), T0)
    events = handle(
        state, ev.MarkNoShow(region="SE-C", case_id="c1", by="nurse-1", request_id="n1"), T0
    ).events
    no_show = next(e for e in events if isinstance(e, ev.CaseNoShow))
    assert no_show.by == "nurse-1"
