"""--find-staff: the staffing it returns meets the target, and no single clinician-hour can go."""

from __future__ import annotations

import itertools

from services.queue_model.engine import simulate_region
from services.queue_model.frames import DEFAULT_FRAMES_S
from services.queue_model.scenario import DEFAULT_START, Arrival, Scenario, traffic_scenario
from services.simulate.domain.metrics import shares_met
from services.simulate.domain.search import closed_time_misses, find_staff, fluid_work, hourly_arrivals

TARGET = {u: 0.95 for u in range(1, 6)}


def test_fluid_work_counts_consultation_and_missed_call_time_in_the_hour_of_arrival() -> None:
    sc = Scenario(
        (
            Arrival(10.0, "SE-C", 3, 1800.0),
            Arrival(3700.0, "SE-C", 3, 900.0, no_shows=2),
            Arrival(20.0, "SE-I", 3, 1800.0),
        ),
        DEFAULT_START,
        7 * 86400.0,
    )
    work = fluid_work(sc, "SE-C", no_show_s=450.0)
    assert work[:3] == [0.5, 0.5, 0.0]
    assert sum(work) == 1.0


def test_the_found_staffing_meets_the_target_and_losing_any_clinician_hour_breaks_it() -> None:
    sc = traffic_scenario(400, seed=3, regions=["SE-I"])
    found = find_staff(sc, "SE-I", TARGET, budget_s=120.0)
    assert found.minimal
    again = simulate_region(sc, "SE-I", found.week)
    assert shares_met(again, TARGET)
    assert sum(found.week) >= found.work_hours
    per_hour = hourly_arrivals(sc, "SE-I")
    assert all(share <= 0.05 for share in closed_time_misses(found.week, per_hour, DEFAULT_FRAMES_S).values())
    for h in (h for h in range(168) if found.week[h] > 0):
        cut = tuple(v - 1 if i == h else v for i, v in enumerate(found.week))
        closed = closed_time_misses(cut, per_hour, DEFAULT_FRAMES_S)
        res = simulate_region(sc, "SE-I", cut)
        assert (
            sum(cut) < found.work_hours
            or any(share > 0.05 for share in closed.values())
            or not shares_met(res, TARGET)
        ), f"hour {h} could lose a clinician"


def test_closed_time_counts_the_arrivals_that_would_wait_past_the_frame_for_the_next_staffed_hour() -> None:
    week = tuple([0, 0] + [1] * 166)  # closed Monday 00-02
    arrivals = [10] * 168
    share = closed_time_misses(week, arrivals, {1: 900.0, 2: 3 * 3600.0})
    # hour 0: waits 1-2 h, all miss 15 min; hour 1: waits 0-1 h, those arriving in its first 45 min miss
    assert share[1] == (10 + 10 * 0.75) / 1680
    assert share[2] == 0.0
    assert closed_time_misses(tuple([0] * 168), arrivals, {1: 900.0}) == {1: 1.0}


def test_a_search_out_of_time_returns_a_feasible_staffing_marked_not_minimal() -> None:
    sc = traffic_scenario(2_000, seed=3, regions=["SE-C"])
    ticks = itertools.count()
    found = find_staff(sc, "SE-C", TARGET, budget_s=5.0, clock=lambda: float(next(ticks)))
    assert not found.minimal
    assert shares_met(simulate_region(sc, "SE-C", found.week), TARGET)
