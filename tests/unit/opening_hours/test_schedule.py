"""Staffed hours across the DST changes and holidays (Europe/Stockholm)."""

from __future__ import annotations

import datetime as dt

import pytest

from services.opening_hours.hours_file import load_opening_hours, packaged_hours_path
from services.opening_hours.schedule import STOCKHOLM, RegionHours

UTC = dt.UTC
WEEKDAYS_8_17 = RegionHours(weekly=(((480, 1020),),) * 5 + ((), ()))
ALWAYS = RegionHours(weekly=(((0, 1440),),) * 7)


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=STOCKHOLM)


def test_a_weekday_region_opens_at_eight_local_time_in_winter_and_in_summer() -> None:
    winter = WEEKDAYS_8_17.next_change(local(2026, 1, 14, 6))
    summer = WEEKDAYS_8_17.next_change(local(2026, 7, 15, 6))
    assert winter == dt.datetime(2026, 1, 14, 7, tzinfo=UTC)  # CET = UTC+1
    assert summer == dt.datetime(2026, 7, 15, 6, tzinfo=UTC)  # CEST = UTC+2


def test_opening_on_the_monday_after_the_march_change_is_at_eight_summer_time() -> None:
    # Clocks go forward on Sunday 29 March 2026 at 02:00; Friday evening is still winter time
    friday_evening = local(2026, 3, 27, 18)
    assert not WEEKDAYS_8_17.is_open(friday_evening)
    assert WEEKDAYS_8_17.next_change(friday_evening) == dt.datetime(2026, 3, 30, 6, tzinfo=UTC)


def test_opening_on_the_monday_after_the_october_change_is_at_eight_winter_time() -> None:
    # Clocks go back on Sunday 25 October 2026 at 03:00
    friday_evening = local(2026, 10, 23, 18)
    assert WEEKDAYS_8_17.next_change(friday_evening) == dt.datetime(2026, 10, 26, 7, tzinfo=UTC)


def test_a_round_the_clock_day_has_23_staffed_hours_in_march_and_25_in_october() -> None:
    assert ALWAYS.staffed_seconds(local(2026, 3, 29, 0), local(2026, 3, 30, 0)) == 23 * 3600
    assert ALWAYS.staffed_seconds(local(2026, 10, 25, 0), local(2026, 10, 26, 0)) == 25 * 3600


def test_an_hour_that_repeats_in_october_counts_twice_for_a_region_open_at_night() -> None:
    night = RegionHours(weekly=(((0, 240),),) * 7)  # 00:00-04:00 local
    assert night.staffed_seconds(local(2026, 10, 25, 0), local(2026, 10, 25, 12)) == 5 * 3600
    assert night.staffed_seconds(local(2026, 3, 29, 0), local(2026, 3, 29, 12)) == 3 * 3600


def test_staffed_time_skips_the_night_and_the_weekend() -> None:
    friday_16 = local(2026, 11, 27, 16)
    # 2 staffed hours from Friday 16:00: one on Friday, one on Monday morning
    assert WEEKDAYS_8_17.after_staffed(friday_16, 2 * 3600) == local(2026, 11, 30, 9)
    assert WEEKDAYS_8_17.staffed_seconds(friday_16, local(2026, 11, 30, 9)) == 2 * 3600


def test_a_closed_holiday_is_closed_and_the_next_opening_is_the_day_after() -> None:
    hours = load_opening_hours(packaged_hours_path().read_text())
    skane = hours.of("SE-M")
    assert not skane.is_open(local(2026, 12, 24, 12))  # julafton: closed
    assert skane.next_change(local(2026, 12, 24, 12)) == local(2026, 12, 25, 8)
    assert skane.next_change(local(2026, 12, 25, 8)) == local(2026, 12, 25, 16)  # holiday hours


def test_a_region_table_overrides_the_default_days_and_keeps_the_national_holidays() -> None:
    hours = load_opening_hours(packaged_hours_path().read_text())
    gotland, uppsala = hours.of("SE-I"), hours.of("SE-C")
    saturday = local(2026, 11, 28, 12)
    assert uppsala.is_open(saturday) and not gotland.is_open(saturday)
    assert gotland.next_change(saturday) == local(2026, 11, 30, 8)
    assert not gotland.is_open(local(2026, 12, 24, 10))


def test_a_region_closed_beyond_the_horizon_has_no_next_change() -> None:
    never = RegionHours()
    assert not never.is_open(local(2026, 1, 1, 12))
    assert never.next_change(local(2026, 1, 1, 12)) is None
    assert never.after_staffed(local(2026, 1, 1, 12), 60) is None
    assert ALWAYS.next_change(local(2026, 1, 1, 12)) is None  # never closes


def test_a_naive_datetime_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        ALWAYS.is_open(dt.datetime(2026, 1, 1, 12))
