"""The chaos test's oracle (tests/support/queue_checks.check_history) catches what it must."""

from __future__ import annotations

import datetime as dt

import pytest

from proto import events as ev
from tests.support.queue_checks import check_history

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


def _triaged(case_id: str, urgency: int, minute: int) -> ev.CaseTriaged:
    return ev.CaseTriaged(
        case_id=case_id,
        region="SE-C",
        urgency=urgency,
        symptom="fever",  # type: ignore[arg-type]
        person_pseudonym=case_id,
        triaged_at=T0 + dt.timedelta(minutes=minute),
    )


def _queued(t: ev.CaseTriaged, seq: int) -> ev.CaseQueued:
    return ev.CaseQueued(
        case_id=t.case_id, region="SE-C", urgency=t.urgency, queued_at=t.triaged_at, sequence=seq
    )


def _called(case_id: str, rid: str, urgency: int, at: dt.datetime) -> ev.CaseCalled:
    return ev.CaseCalled(
        case_id=case_id,
        region="SE-C",
        urgency=urgency,
        clinician_id="n",  # type: ignore[arg-type]
        request_id=rid,
        queued_at=T0,
        called_at=at,
    )


def test_a_call_that_skips_a_more_urgent_waiting_case_is_an_order_violation() -> None:
    a, b = _triaged("a", 3, 0), _triaged("b", 1, 1)
    with pytest.raises(AssertionError, match="more urgent"):
        check_history([_queued(a, 0), _queued(b, 1), _called("a", "r1", 3, T0)], [a, b])


def test_a_no_show_goes_to_the_front_of_its_level_and_may_be_called_again() -> None:
    a, b = _triaged("a", 2, 0), _triaged("b", 2, 1)
    history = [
        _queued(a, 0),
        _queued(b, 1),
        _called("a", "r1", 2, T0),
        ev.CaseNoShow(case_id="a", region="SE-C", attempt=1, requeued=True),
        _called("a", "r2", 2, T0),
        _called("b", "r3", 2, T0),
    ]
    assert check_history(history, [a, b])["calls"] == 3


def test_a_second_call_without_a_no_show_is_calling_a_patient_twice() -> None:
    a = _triaged("a", 2, 0)
    with pytest.raises(AssertionError):
        check_history([_queued(a, 0), _called("a", "r1", 2, T0), _called("a", "r2", 2, T0)], [a])


def test_a_reprioritised_case_is_judged_by_its_new_urgency() -> None:
    a, b = _triaged("a", 4, 0), _triaged("b", 3, 1)
    history = [
        _queued(a, 0),
        _queued(b, 1),
        ev.CaseReprioritised(case_id="a", region="SE-C", from_urgency=4, to_urgency=1, reason="x", by="n"),
        _called("a", "r1", 1, T0),
    ]
    assert check_history(history, [a, b])["calls"] == 1


def test_a_call_while_a_more_urgent_case_triaged_before_it_is_unread_is_a_stale_call() -> None:
    a, b = _triaged("a", 3, 0), _triaged("b", 1, 1)
    asked = T0 + dt.timedelta(minutes=5)
    history = [_queued(a, 0), _called("a", "r1", 3, asked), _queued(b, 1)]
    times = {"a": T0.timestamp(), "b": (asked - dt.timedelta(seconds=2)).timestamp()}
    assert check_history(history, [a, b], times)["stale_calls"] == 1
    later = {"a": T0.timestamp(), "b": (asked + dt.timedelta(seconds=2)).timestamp()}
    assert check_history(history, [a, b], later)["stale_calls"] == 0  # triaged after the ServeNext


def test_a_lost_case_is_reported() -> None:
    a, b = _triaged("a", 3, 0), _triaged("b", 1, 1)
    with pytest.raises(AssertionError, match="never queued"):
        check_history([_queued(a, 0)], [a, b])
