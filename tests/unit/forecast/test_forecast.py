"""The forecaster's futures: the queue's own rules, the hours, the demand, deterministic per seed."""

from __future__ import annotations

import dataclasses
import datetime as dt

from proto import events as ev
from services.forecast.domain.forecast import forecast_region
from services.forecast.domain.history import RegionHistory
from services.forecast.domain.plan import WhatIf
from services.opening_hours.schedule import RegionHours
from services.queue.domain.process import handle
from services.queue.domain.state import QueueState
from tests.unit.forecast.conftest import NOW, R, queued

DAY = RegionHours(weekly=(((8 * 60, 21 * 60),),) * 7, capacity=20.0)


def region_with(*cases: tuple[str, int, float]) -> QueueState:
    state = QueueState()
    for case_id, urgency, minutes_ago in cases:
        queued(state, case_id, urgency, minutes_ago)
    return state


def forecast(state: QueueState, hours: RegionHours = DAY, now: dt.datetime = NOW, quiet: bool = False, **kw):  # type: ignore[no-untyped-def]
    history = RegionHistory.with_prior(hours, now, 20.0, load=0.0 if quiet else 0.9)
    what_if = kw.pop("what_if", None)
    return forecast_region(history.inputs(state.region(R), now, hours, 20.0, what_if), runs=12, **kw)


def by_id(f):  # type: ignore[no-untyped-def]
    return {c.case_id: c for c in f.cases}


def test_the_same_seed_gives_the_same_forecast_and_another_seed_another() -> None:
    state = region_with(*((f"c{i}", 3 + i % 3, 60 - i) for i in range(40)))
    assert forecast(state, seed=5) == forecast(state, seed=5)
    assert forecast(state, seed=5) != forecast(state, seed=6)


def test_every_waiting_case_gets_ordered_percentiles() -> None:
    f = forecast(region_with(*((f"c{i}", 2 + i % 4, 50 - i) for i in range(30))))
    assert len(f.cases) == 30
    for c in f.cases:
        assert c.p10_s is not None and c.p50_s is not None and c.p90_s is not None
        assert 0 <= c.p10_s <= c.p50_s <= c.p90_s


def test_a_prio5_case_is_called_after_a_prio3_case_that_joined_later() -> None:
    f = by_id(
        forecast(
            region_with(*((f"five{i}", 5, 90) for i in range(10)), *((f"three{i}", 3, 5) for i in range(10)))
        )
    )
    assert min(f[f"five{i}"].p10_s for i in range(10)) >= max(f[f"three{i}"].p10_s for i in range(10))


def test_a_case_waiting_while_the_region_is_closed_is_called_after_the_opening() -> None:
    evening = dt.datetime(2026, 1, 7, 21, 30, tzinfo=dt.UTC)  # 22:30 in Stockholm: closed until 08:00
    state = region_with(("c0", 3, 10))
    f = by_id(forecast(state, now=evening))
    opening = dt.datetime(2026, 1, 8, 7, 0, tzinfo=dt.UTC)  # 08:00 Stockholm
    assert f["c0"].p10_s >= (opening - evening).total_seconds()


def test_patients_yet_to_come_who_are_more_urgent_make_a_prio5_wait_longer() -> None:
    state = region_with(*((f"c{i}", 5, 30 - i) for i in range(30)))
    alone = by_id(forecast(state, quiet=True))["c29"]
    with_demand = by_id(forecast(state))["c29"]
    assert with_demand.p50_s > alone.p50_s


def test_more_clinicians_from_an_hour_on_make_the_wait_shorter() -> None:
    state = region_with(*((f"c{i}", 4, 60 - i) for i in range(60)))
    planned = by_id(forecast(state))["c59"]
    noon = dt.datetime(2026, 1, 7, 11, 0, tzinfo=dt.UTC)
    more = by_id(forecast(state, what_if=WhatIf(3, noon)))["c59"]
    assert more.p50_s < planned.p50_s


def test_a_prio1_case_past_its_15_minutes_is_a_breach_now() -> None:
    f = forecast(region_with(("late", 1, 40)))
    prio1 = next(b for b in f.breaches if b.urgency == 1)
    assert prio1.probability == 1.0
    assert prio1.expected_in_s == 0.0


def test_a_short_queue_in_an_open_region_forecasts_no_prio3_breach() -> None:
    f = forecast(region_with(("c0", 3, 5)))
    assert next(b for b in f.breaches if b.urgency == 3).probability == 0.0


def test_asking_about_one_case_gives_only_its_range() -> None:
    state = region_with(*((f"c{i}", 4, 20 - i) for i in range(20)))
    f = forecast(state, only="c3")
    assert [c.case_id for c in f.cases] == ["c3"]
    assert f.cases[0] == by_id(forecast(state))["c3"]


def test_clinicians_busy_with_a_consultation_now_call_the_next_patient_only_when_it_is_over() -> None:
    state = region_with(*((f"c{i}", 3, 10 - i) for i in range(3)))
    history = RegionHistory.with_prior(DAY, NOW, 20.0, load=0.0)
    inputs = history.inputs(state.region(R), NOW, DAY, 20.0)
    clinicians = inputs.plan.clinicians(int(NOW.timestamp() // 3600))
    free = by_id(forecast_region(inputs, runs=12))["c0"]
    busy = dataclasses.replace(inputs, consulting=[(3, 60.0)] * clinicians)  # all called a minute ago
    waited = by_id(forecast_region(busy, runs=12))["c0"]
    assert free.p50_s == 0.0  # a free clinician calls the first case at once
    assert waited.p10_s is not None and waited.p10_s > 0.0


def test_the_history_keeps_the_consultations_under_way_until_they_close() -> None:
    state = region_with(("c0", 3, 10), ("c1", 3, 5))
    history = RegionHistory.with_prior(DAY, NOW, 20.0)
    serve = ev.ServeNext(event_id="s1", occurred_at=NOW, region=R, clinician_id="n1", request_id="r1")
    for e in handle(state, serve, NOW).recorded:
        history.observe(e, state.region(R), DAY, 20.0)
    later = NOW + dt.timedelta(minutes=4)
    assert history.inputs(state.region(R), later, DAY, 20.0).consulting == [(3, 240.0)]
    done = ev.CompleteCase(event_id="d1", occurred_at=later, region=R, case_id="c0", by="n1")
    for e in handle(state, done, later).recorded:
        history.observe(e, state.region(R), DAY, 20.0)
    assert history.inputs(state.region(R), later, DAY, 20.0).consulting == []
