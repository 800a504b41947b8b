"""What the forecaster learns from a region's history: demand per hour of the week, the staff's pace."""

from __future__ import annotations

import datetime as dt
import random
import statistics

from services.forecast.domain.demand import Demand, hour_index, how_of, prior_week
from services.forecast.domain.futures import Inputs, draw_week
from services.forecast.domain.plan import StaffPlan, planned_calls
from services.forecast.domain.service import Service
from services.opening_hours.schedule import RegionHours
from tests.unit.forecast.conftest import NOW

DAY = RegionHours(weekly=(((8 * 60, 21 * 60),),) * 7, capacity=20.0)


def test_without_history_the_demand_is_the_prior() -> None:
    d = Demand(prior_week(1000.0))
    assert abs(sum(d.week()) - 900.0) < 1e-6
    assert d.mix()[3] == 0.40


def test_a_region_twice_as_busy_as_its_prior_is_learned_within_weeks() -> None:
    d = Demand(prior_week(168.0, load=1.0))  # the prior: ~1 arrival per hour
    for k in range(3 * 168):  # three weeks of 2 arrivals every hour, all Prio 4
        at = NOW + dt.timedelta(hours=k)
        d.observe(at, 4)
        d.observe(at + dt.timedelta(minutes=30), 4)
    assert 1.8 < sum(d.week()) / 168 < 2.05
    assert d.mix()[4] > 0.9


def test_an_hour_of_the_week_with_many_arrivals_is_expected_busier_than_its_neighbours() -> None:
    d = Demand(prior_week(168.0, load=1.0))
    for week in range(3):
        busy = NOW + dt.timedelta(days=7 * week)
        for _ in range(20):
            d.observe(busy, 3)
        d.advance(busy + dt.timedelta(hours=2))
    h = how_of(hour_index(NOW))
    assert d.week()[h] > 5 * d.week()[h + 1]


def test_a_region_busy_at_night_corrects_the_prior_s_daytime_shape_within_two_weeks() -> None:
    d = Demand(prior_week(168.0 * 9, load=1.0))  # the national shape: nights quiet, days busy
    night = how_of(hour_index(NOW.replace(hour=2)))
    noon = how_of(hour_index(NOW.replace(hour=11)))
    assert d.week()[noon] > 4 * d.week()[night]
    for k in range(2 * 168):  # two weeks of 9 arrivals in every hour: a flat region
        at = NOW + dt.timedelta(hours=k)
        for i in range(9):
            d.observe(at + dt.timedelta(minutes=6 * i), 3)
    assert 0.75 < d.week()[night] / d.week()[noon] < 1.33  # prior-weighted alone: ~0.5
    assert 8.0 < sum(d.week()) / 168 < 10.0


def test_the_rate_a_future_draws_is_as_unsure_as_the_history_behind_it() -> None:
    def spread(weeks_of_history: int) -> float:
        d = Demand(prior_week(168.0 * 5, load=1.0))
        for k in range(weeks_of_history * 168):
            at = NOW + dt.timedelta(hours=k)
            for i in range(5):
                d.observe(at + dt.timedelta(minutes=12 * i), 3)
        week, weights, mix = d.rates()
        inputs = Inputs("SE-C", NOW, (), week, mix, StaffPlan(DAY, 20.0), 0.05, {}, week_weight=weights)
        rng = random.Random(1)
        draws = [draw_week(inputs, rng)[30] for _ in range(400)]
        assert abs(statistics.mean(draws) - week[30]) < 0.1 * week[30]  # around the learned rate
        return statistics.stdev(draws) / week[30]

    assert spread(1) > 1.5 * spread(8) > 0  # a week of history: less sure than eight
    point = Inputs("SE-C", NOW, (), [1.0] * 168, {3: 1.0}, StaffPlan(DAY, 20.0), 0.05, {})
    assert draw_week(point, random.Random(1)) == [1.0] * 168  # no weights: the rate as given


def test_only_hours_when_patients_waited_all_hour_teach_the_staff_s_pace() -> None:
    s = Service()
    hour = NOW.replace(minute=0)
    for m in range(0, 60, 2):  # 30 calls by 2 clinicians, queue never empty: 15 per clinician-hour
        s.observe_call(
            hour + dt.timedelta(minutes=m), f"n{m % 4 // 2}", waiting_after=5, planned_in_hour=20.0
        )
    idle = hour + dt.timedelta(hours=1)
    s.observe_call(idle, "n0", waiting_after=0, planned_in_hour=20.0)  # an idle hour: not counted
    s.observe_empty(idle + dt.timedelta(minutes=5), planned_in_hour=20.0)
    s.observe_call(
        idle + dt.timedelta(hours=1), "n0", waiting_after=3, planned_in_hour=20.0
    )  # closes the idle hour
    assert s.calls == 30 and s.planned == 20.0 and s.clinician_hours == 2
    assert s.efficiency > 1.0
    assert s.calls_per_clinician_hour > 7.5


def test_consultations_are_learned_per_urgency() -> None:
    s = Service()
    for _ in range(200):
        s.observe_completed(5, 300.0)
        s.observe_completed(1, 1200.0)
    assert s.consult_s(5, 120.0) < 350.0 < 1100.0 < s.consult_s(1, 120.0)


def test_the_plan_has_no_clinicians_while_the_region_is_closed_and_some_while_open() -> None:
    plan = StaffPlan(DAY, 20.0, calls_per_clinician_hour=6.0)
    night = hour_index(dt.datetime(2026, 1, 7, 2, 0, tzinfo=dt.UTC))
    day = hour_index(dt.datetime(2026, 1, 7, 10, 0, tzinfo=dt.UTC))
    assert plan.clinicians(night) == 0
    assert plan.clinicians(day) == 3  # 20 calls an hour at 6 per clinician


def test_planned_calls_count_only_staffed_time() -> None:
    begin = dt.datetime(2026, 1, 7, 0, 0, tzinfo=dt.UTC)  # 01:00 Stockholm
    assert planned_calls(DAY, begin, begin + dt.timedelta(days=1), 20.0) == 13 * 20.0
