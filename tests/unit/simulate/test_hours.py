"""Opening hours in the simulation: which simulated hours are open, and which hours are in force."""

from __future__ import annotations

import datetime as dt

from services.opening_hours.region_table import read_whole_week
from services.opening_hours.schedule import STOCKHOLM, RegionHours
from services.queue_model.hours import HoursTimeline, closed_staffed_hours

MONDAY = dt.datetime(2026, 11, 23, tzinfo=STOCKHOLM)  # an ordinary week


def hours(span: str, **exceptions: list[str]) -> RegionHours:
    days = {d: [span] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    found, problems = read_whole_week(days, exceptions, None, {})
    assert not problems
    return found


def test_an_hour_is_open_when_the_region_is_staffed_for_at_least_half_of_it() -> None:
    half = HoursTimeline(hours("08:30-17:00"))
    assert half.open_hour(MONDAY, 8 * 3600.0)  # 08:30-09:00 is half the hour
    assert not HoursTimeline(hours("08:45-17:00")).open_hour(MONDAY, 8 * 3600.0)
    assert half.open_hour(MONDAY, 16 * 3600.0) and not half.open_hour(MONDAY, 17 * 3600.0)


def test_a_dated_exception_closes_that_day_in_the_simulation_too() -> None:
    tl = HoursTimeline(hours("08:00-21:00", **{"2026-11-24": []}))
    assert tl.open_hour(MONDAY, 10 * 3600.0)
    assert not tl.open_hour(MONDAY, (24 + 10) * 3600.0)  # Tuesday the 24th: closed


def test_the_latest_change_at_or_before_a_moment_is_in_force() -> None:
    first, second = hours("08:00-12:00"), hours("12:00-20:00")
    tl = HoursTimeline(hours("00:00-24:00"), ((100.0, first), (200.0, second)))
    assert tl.hours_at(50.0) == tl.initial and tl.hours_at(100.0) == first and tl.hours_at(10_000.0) == second


def test_staff_in_a_closed_hour_and_an_open_hour_without_staff_are_both_disagreements() -> None:
    week = [0] * 168
    week[9] = 1  # Monday 09-10 staffed, inside 09:00-11:00
    week[12] = 1  # Monday 12-13 staffed, but closed then
    assert closed_staffed_hours(week, hours("09:00-11:00"), MONDAY.date())[:3] == [10, 12, 24 + 9]
