"""The simulator's hooks the forecaster runs on: a clock that starts later, a staffing per hour,
a stop rule, and the events the core decided."""

from __future__ import annotations

from proto import events as ev
from services.queue.domain.state import QueueState
from services.queue_model.engine import RegionResult, simulate_region
from services.queue_model.scenario import DEFAULT_START, Arrival, Scenario

R = "SE-C"


def test_patients_waiting_before_the_clinicians_start_are_called_when_they_start_in_queue_order() -> None:
    sc = Scenario((Arrival(-600.0, R, 4, 300.0), Arrival(-60.0, R, 2, 300.0)), DEFAULT_START, 7200.0)
    res = simulate_region(sc, R, (), record_calls=True, start_t=1800.0, staff=lambda k: 1)
    assert res.calls == ["c1", "c0"]  # the Prio 2 patient first, although later
    assert res.call_times == [1800.0, 2100.0]


def test_the_staffing_function_decides_who_is_on_duty_each_hour() -> None:
    sc = Scenario((Arrival(0.0, R, 3, 300.0),), DEFAULT_START, 4 * 3600.0)
    res = simulate_region(sc, R, (), record_calls=True, staff=lambda k: 0 if k < 2 else 1)
    assert res.call_times == [7200.0]  # nobody on duty in hours 0 and 1


def test_the_stop_rule_ends_the_run_at_an_hour_boundary_and_every_decided_event_is_seen() -> None:
    sc = Scenario(tuple(Arrival(60.0 * i, R, 3, 600.0) for i in range(30)), DEFAULT_START, 86400.0)
    seen: list[ev.Message] = []

    def observe(state: QueueState, event: ev.Message) -> None:
        seen.append(event)

    def stop(res: RegionResult) -> bool:
        return len(res.on_duty) >= 2

    res = simulate_region(sc, R, (), record_calls=True, staff=lambda k: 1, stop=stop, on_event=observe)
    assert res.end_t == 7200.0
    assert len(res.calls) < 30
    assert sum(isinstance(e, ev.CaseCalled) for e in seen) == len(res.calls)
    assert sum(isinstance(e, ev.CaseQueued) for e in seen) == 30
