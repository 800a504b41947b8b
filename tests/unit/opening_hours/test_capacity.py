"""Capacity per hour of the week: the estimate walks staffed time through each hour's capacity."""

from __future__ import annotations

import datetime as dt

from services.opening_hours.capacity import after_calls
from services.opening_hours.eta import EtaPolicy, estimate_wait
from services.opening_hours.schedule import STOCKHOLM, RegionHours

DAY_8_17 = ((480, 1020),)
# weekdays 08-17: the morning shift (08-12) takes 30 calls an hour, the afternoon one 10
SHIFTS = RegionHours(
    weekly=(DAY_8_17,) * 5 + ((), ()),
    capacity=10.0,
    hourly=(((480, 720, 30.0),),) * 5 + ((), ()),
)
ROUND_THE_CLOCK_1_AN_HOUR = RegionHours(
    weekly=(((0, 1440),),) * 7, capacity=1.0, hourly=(((0, 360, 1.0),),) * 7
)  # the hourly range forces the walk (no always-open short cut)


def local(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=STOCKHOLM)  # type: ignore[misc]


def test_calls_before_a_shift_change_go_at_the_morning_rate_and_the_rest_at_the_afternoon_rate() -> None:
    monday_11 = local(2026, 11, 23, 11)
    # 30 calls by 12:00 at 30/h, then 10 more at 10/h: 13:00
    assert after_calls(SHIFTS, monday_11, 40, 20.0) == local(2026, 11, 23, 13)
    assert after_calls(SHIFTS, monday_11, 15, 20.0) == local(2026, 11, 23, 11, 30)


def test_a_wait_that_runs_past_closing_continues_at_the_next_mornings_capacity() -> None:
    monday_16 = local(2026, 11, 23, 16)
    # 10 calls until 17:00 (10/h), closed overnight, then 15 more at 30/h from 08:00
    assert after_calls(SHIFTS, monday_16, 25, 20.0) == local(2026, 11, 24, 8, 30)


def test_the_estimate_uses_the_hourly_capacity_when_there_is_no_recent_rate() -> None:
    # position 40 = 39.5 calls from now: 30 in 11-12 (30/h), the other 9.5 at the flat 10/h (57 min)
    eta = estimate_wait(40, 0, 900, SHIFTS, local(2026, 11, 23, 11), EtaPolicy(capacity_per_hour=99))
    assert eta is not None and eta.basis == "capacity" and eta.point_s == 3600 + 57 * 60


def test_across_the_march_change_an_hour_of_calls_is_an_hour_of_real_time_not_of_wall_clock() -> None:
    # Saturday 28 March 2026 23:00 CET; the clocks jump 02:00 -> 03:00 on Sunday
    assert after_calls(ROUND_THE_CLOCK_1_AN_HOUR, local(2026, 3, 28, 23), 5, 20.0) == local(2026, 3, 29, 5)


def test_across_the_october_change_the_repeated_hour_takes_calls_too() -> None:
    # Saturday 24 October 2026 23:00 CEST; the clocks go back 03:00 -> 02:00 on Sunday
    assert after_calls(ROUND_THE_CLOCK_1_AN_HOUR, local(2026, 10, 24, 23), 5, 20.0) == local(2026, 10, 25, 3)


def test_a_holiday_has_its_own_hours_and_the_flat_capacity_not_the_weekdays_ranges() -> None:
    easter_monday = dt.date(2027, 3, 29)
    hours = RegionHours(
        weekly=SHIFTS.weekly, exceptions={easter_monday: ((480, 960),)}, capacity=10.0, hourly=SHIFTS.hourly
    )
    assert after_calls(hours, local(2027, 3, 29, 8), 10, 20.0) == local(2027, 3, 29, 9)  # 10/h, not 30/h
    assert after_calls(hours, local(2027, 3, 30, 8), 10, 20.0) == local(
        2027, 3, 30, 8, 20
    )  # a normal Tuesday


def test_without_a_capacity_of_its_own_a_region_uses_the_services_setting() -> None:
    always = RegionHours(weekly=(((0, 1440),),) * 7)
    assert after_calls(always, local(2026, 11, 23, 10), 10, 20.0) == local(2026, 11, 23, 10, 30)


def test_a_region_that_never_opens_has_no_instant() -> None:
    assert after_calls(RegionHours(capacity=5.0), local(2026, 11, 23, 10), 1, 20.0) is None
