"""The 'your wait forecast moved' sweep (issue 22): once per case, only while its region is open."""

from __future__ import annotations

import datetime as dt

from proto import events as ev
from services.intake.domain.moved_forecasts import moved_forecasts, notice_id
from services.intake.domain.queue_view import QueueView
from services.opening_hours.schedule import STOCKHOLM, RegionHours
from tests.unit.intake.test_wait_forecasts import forecast

WEEKDAYS_8_17 = RegionHours(weekly=(((480, 1020),),) * 5 + ((), ()))
MONDAY_10 = dt.datetime(2026, 11, 30, 10, 0, tzinfo=STOCKHOLM)


def _view(at: dt.datetime, *case_ids: str) -> QueueView:
    view = QueueView()
    for i, case_id in enumerate(case_ids):
        view.apply(
            ev.CaseQueued(
                case_id=case_id,
                region="SE-C",
                urgency=4,
                queued_at=at,
                sequence=i,
                person_pseudonym=f"p-{case_id}",
                occurred_at=at,
            )
        )
    return view


def _move(view: QueueView, at: dt.datetime) -> None:
    """c1: first 1-2 h, then 4-6 h (moved); c2: 1-2 h both times (not moved)."""
    view.apply(forecast(at, ("c1", 3600.0, 5400.0, 7200.0), ("c2", 3600.0, 5400.0, 7200.0)))
    later = at + dt.timedelta(minutes=1)
    view.apply(forecast(later, ("c1", 14_400.0, 18_000.0, 21_600.0), ("c2", 3600.0, 5400.0, 7200.0)))


def test_a_waiting_case_whose_forecast_moved_is_found_once_with_its_new_range() -> None:
    view = _view(MONDAY_10, "c1", "c2")
    _move(view, MONDAY_10)
    found = list(moved_forecasts(view, lambda _: WEEKDAYS_8_17, MONDAY_10 + dt.timedelta(minutes=1)))
    assert [(m.case_id, m.region) for m in found] == [("c1", "SE-C")]
    assert found[0].estimate.text("en") == "4–6 h" and notice_id("c1") == "forecast-moved-c1"
    told = {"c1"}
    assert list(moved_forecasts(view, lambda _: WEEKDAYS_8_17, MONDAY_10, told)) == []


def test_no_case_is_told_while_its_region_is_closed_and_it_is_told_once_the_region_opens() -> None:
    friday_16 = dt.datetime(2026, 11, 27, 16, 0, tzinfo=STOCKHOLM)
    view = _view(friday_16, "c1", "c2")
    at_18 = friday_16 + dt.timedelta(hours=2)  # closed until Monday 08:00
    _move(view, at_18)
    assert list(moved_forecasts(view, lambda _: WEEKDAYS_8_17, at_18)) == []
    monday_8 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=STOCKHOLM)
    assert [m.case_id for m in moved_forecasts(view, lambda _: WEEKDAYS_8_17, monday_8)] == ["c1"]


def test_a_forecast_that_moves_back_or_a_case_that_left_is_not_told() -> None:
    view = _view(MONDAY_10, "c1", "c2")
    _move(view, MONDAY_10)
    back = MONDAY_10 + dt.timedelta(minutes=2)
    view.apply(forecast(back, ("c1", 3600.0, 5400.0, 7200.0), ("c2", 3600.0, 5400.0, 7200.0)))
    assert list(moved_forecasts(view, lambda _: WEEKDAYS_8_17, back)) == []
    _move(view, back + dt.timedelta(minutes=1))  # c1 moves again, then is called
    view.apply(
        ev.CaseCalled(
            case_id="c1",
            region="SE-C",
            urgency=4,
            clinician_id="n1",
            request_id="r1",
            queued_at=MONDAY_10,
            called_at=back,
            occurred_at=back,
        )
    )
    assert list(moved_forecasts(view, lambda _: WEEKDAYS_8_17, back + dt.timedelta(minutes=3))) == []
