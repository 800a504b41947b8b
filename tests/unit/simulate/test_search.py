"""--find-staff: the staffing it returns meets the target, and no single clinician-hour can go."""

from __future__ import annotations

import itertools

from services.simulate.domain.engine import simulate_region
from services.simulate.domain.metrics import shares_met
from services.simulate.domain.scenario import DEFAULT_START, Arrival, Scenario, traffic_scenario
from services.simulate.domain.search import find_staff, fluid_work

TARGET = {u: 0.95 for u in range(1, 6)}


def test_fluid_work_counts_consultation_and_missed_call_time_in_the_hour_of_arrival() -> None:
    sc = Scenario((Arrival(10.0, "SE-C", 3, 1800.0), Arrival(3700.0, "SE-C", 3, 900.0, no_shows=2),
                   Arrival(20.0, "SE-I", 3, 1800.0)), DEFAULT_START, 7 * 86400.0)
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
    for h in (h for h in range(168) if found.week[h] > 0):
        cut = tuple(v - 1 if i == h else v for i, v in enumerate(found.week))
        res = simulate_region(sc, "SE-I", cut)
        assert sum(cut) < found.work_hours or not shares_met(res, TARGET), f"hour {h} could lose a clinician"


def test_a_search_out_of_time_returns_a_feasible_staffing_marked_not_minimal() -> None:
    sc = traffic_scenario(2_000, seed=3, regions=["SE-C"])
    ticks = itertools.count()
    found = find_staff(sc, "SE-C", TARGET, budget_s=5.0, clock=lambda: float(next(ticks)))
    assert not found.minimal
    assert shares_met(simulate_region(sc, "SE-C", found.week), TARGET)


def test_a_stricter_target_never_needs_fewer_clinician_hours() -> None:
    sc = traffic_scenario(400, seed=5, regions=["SE-I"])
    loose = find_staff(sc, "SE-I", {u: 0.8 for u in range(1, 6)})
    strict = find_staff(sc, "SE-I", {u: 1.0 for u in range(1, 6)})
    assert sum(strict.week) >= sum(loose.week)
