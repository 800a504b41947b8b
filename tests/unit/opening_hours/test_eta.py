"""The estimated-wait model: a range, from the first minute, counting only staffed time."""

from __future__ import annotations

import datetime as dt

from services.opening_hours.eta import EtaPolicy, estimate_wait
from services.opening_hours.schedule import STOCKHOLM, RegionHours

ALWAYS = RegionHours(weekly=(((0, 1440),),) * 7)
WEEKDAYS_8_17 = RegionHours(weekly=(((480, 1020),),) * 5 + ((), ()))
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)


def test_with_no_call_yet_the_configured_capacity_gives_an_estimate() -> None:
    eta = estimate_wait(10, 0, 900, ALWAYS, MONDAY_10, EtaPolicy(capacity_per_hour=20))
    # the 10th call from now is 9.5 call intervals away (the next one is half an interval off)
    assert eta is not None and eta.basis == "capacity" and eta.point_s == 9.5 * 3 * 60
    assert eta.text() == "20–45 min"


def test_once_enough_calls_happened_the_recent_rate_is_used() -> None:
    eta = estimate_wait(10, 15, 900, ALWAYS, MONDAY_10, EtaPolicy(capacity_per_hour=20))  # 1 call/min
    assert eta is not None and eta.basis == "recent_rate" and eta.point_s == 9.5 * 60


def test_a_patient_arriving_in_the_evening_is_told_the_wait_runs_into_the_morning() -> None:
    evening = dt.datetime(2026, 11, 23, 20, 0, tzinfo=STOCKHOLM)
    eta = estimate_wait(1, 0, 900, WEEKDAYS_8_17, evening, EtaPolicy(capacity_per_hour=20))
    assert eta is not None and eta.point_s == 12 * 3600 + 90  # opens 08:00, then half of 3 minutes
    assert eta.text() == "12–12,5 tim" and eta.text("en") == "12–12.5 h"


def test_the_range_always_contains_the_point_and_is_never_a_single_number() -> None:
    for position in (1, 2, 7, 40, 300):
        eta = estimate_wait(position, 0, 900, WEEKDAYS_8_17, MONDAY_10, EtaPolicy())
        assert eta is not None and eta.low_s <= eta.point_s <= eta.high_s and eta.low_s < eta.high_s


def test_a_region_that_never_opens_has_no_estimate() -> None:
    assert estimate_wait(1, 0, 900, RegionHours(), MONDAY_10, EtaPolicy()) is None


def test_just_after_opening_the_recent_rate_counts_only_the_staffed_minutes_of_the_window() -> None:
    five_past_eight = dt.datetime(2026, 11, 23, 8, 5, tzinfo=STOCKHOLM)
    # 5 calls in the 5 staffed minutes of a 15-minute window: 1 call/min, not 1 per 3 min
    eta = estimate_wait(10, 5, 900, WEEKDAYS_8_17, five_past_eight, EtaPolicy(capacity_per_hour=20))
    assert eta is not None and eta.basis == "recent_rate" and eta.point_s == 9.5 * 60


def test_a_wait_of_days_is_told_in_days_not_in_hundreds_of_hours() -> None:
    from services.opening_hours.eta import WaitEstimate

    long = WaitEstimate(point_s=40 * 86400, low_s=31.8 * 86400, high_s=60.9 * 86400, basis="capacity")
    assert long.text() == "31–61 dygn" and long.text("en") == "31–61 days"
    two = WaitEstimate(point_s=3 * 86400, low_s=47 * 3600, high_s=80 * 3600, basis="capacity")
    assert two.text() == "47–80 tim"  # below two days at the low end: still hours
