"""The event loop: clinicians, shifts and no-shows around the queue's own handle()."""

from __future__ import annotations

from services.opening_hours.schedule import RegionHours
from services.queue_model.engine import simulate_region
from services.queue_model.scenario import DEFAULT_START, Arrival, Scenario, traffic_scenario

R = "SE-C"


def scenario(*arrivals: Arrival, span_s: float = 7 * 86400.0) -> Scenario:
    return Scenario(tuple(arrivals), DEFAULT_START, span_s)


def always(n: int) -> list[int]:
    return [n] * 168


def test_a_prio1_patient_arriving_later_is_called_before_an_earlier_prio3_patient() -> None:
    sc = scenario(
        Arrival(0.0, R, 3, 600.0),  # c0 takes the only clinician
        Arrival(10.0, R, 3, 600.0),  # c1 waits
        Arrival(20.0, R, 1, 600.0),
    )  # c2 arrives later but is more urgent
    res = simulate_region(sc, R, always(1), record_calls=True)
    assert res.calls == ["c0", "c2", "c1"]
    assert res.waits[1] == [580.0]
    assert res.waits[3] == [0.0, 1190.0]


def test_patients_of_the_same_urgency_are_called_first_come_first_served() -> None:
    sc = scenario(*(Arrival(float(i), R, 4, 300.0) for i in range(5)))
    res = simulate_region(sc, R, always(1), record_calls=True)
    assert res.calls == ["c0", "c1", "c2", "c3", "c4"]
    assert res.waits[4] == [0.0, 299.0, 598.0, 897.0, 1196.0]


def test_two_clinicians_see_two_patients_at_the_same_time() -> None:
    sc = scenario(Arrival(0.0, R, 3, 600.0), Arrival(1.0, R, 3, 600.0), Arrival(2.0, R, 3, 600.0))
    res = simulate_region(sc, R, always(2))
    assert res.waits[3] == [0.0, 0.0, 598.0]


def test_a_patient_in_a_closed_hour_waits_for_the_first_staffed_hour() -> None:
    week = [0, 0, 1] + [1] * 165  # Monday 00-02 closed
    res = simulate_region(scenario(Arrival(1800.0, R, 1, 300.0)), R, week)
    assert res.waits[1] == [2 * 3600.0 - 1800.0]
    assert res.misses[1] == 1  # 90 minutes against a 15-minute frame


def test_a_clinician_whose_shift_ends_finishes_the_consultation_and_then_leaves() -> None:
    week = [1, 0, 1] + [1] * 165
    sc = scenario(
        Arrival(3000.0, R, 2, 1200.0),  # consultation runs past 01:00
        Arrival(3300.0, R, 2, 300.0),
    )  # nobody on duty 01-02
    res = simulate_region(sc, R, week)
    assert res.waits[2] == [0.0, 7200.0 - 3300.0]
    assert res.busy_s[0] == 1200.0


def test_a_patient_who_misses_a_call_is_requeued_at_the_front_of_their_urgency() -> None:
    sc = scenario(
        Arrival(0.0, R, 3, 600.0, no_shows=1),  # misses the first call
        Arrival(10.0, R, 3, 600.0),
    )
    res = simulate_region(sc, R, always(1), no_show_s=120.0, record_calls=True)
    # the missed call keeps the clinician 120 s; the queue core puts c0 back in front of c1
    assert res.calls == ["c0", "c0", "c1"]
    assert res.waits[3] == [0.0, 120.0 + 600.0 - 10.0]
    assert res.closed_no_show == 0


def test_a_patient_who_misses_every_call_is_closed_by_the_queue_after_the_third_attempt() -> None:
    sc = scenario(Arrival(0.0, R, 5, 600.0, no_shows=10), Arrival(1.0, R, 5, 600.0))
    res = simulate_region(sc, R, always(1), no_show_s=60.0, record_calls=True)
    assert res.calls == ["c0", "c0", "c0", "c1"]
    assert res.closed_no_show == 1
    assert res.waits[5] == [0.0, 3 * 60.0 - 1.0]


def test_patients_still_waiting_when_the_drain_ends_are_unserved_and_missed() -> None:
    res = simulate_region(scenario(Arrival(0.0, R, 4, 300.0), span_s=3600.0), R, always(0), drain_s=86400.0)
    assert res.waits[4] == []
    assert len(res.unserved[4]) == 1 and res.unserved[4][0] > 86400.0
    assert res.misses[4] == 1


def test_depth_is_sampled_per_urgency_at_each_hour_boundary() -> None:
    week = [0, 1] + [1] * 166
    sc = scenario(Arrival(10.0, R, 1, 60.0), Arrival(20.0, R, 3, 60.0), Arrival(30.0, R, 3, 60.0))
    res = simulate_region(sc, R, week)
    assert res.depth[:2] == [(0, 0, 0, 0, 0), (1, 0, 2, 0, 0)]
    assert res.on_duty[:2] == [0, 1]


def test_a_run_that_exceeds_the_allowed_misses_stops_early() -> None:
    sc = scenario(*(Arrival(float(i), R, 1, 3600.0) for i in range(10)))
    res = simulate_region(sc, R, always(1), abort_misses={1: 0})
    assert res.aborted
    assert res.end_t < 7 * 86400.0


def test_the_same_seed_gives_the_same_waits_and_another_seed_does_not() -> None:
    def waits(seed: int) -> dict[int, list[float]]:
        sc = traffic_scenario(2000, days=2, seed=seed)
        return simulate_region(sc, "SE-AB", always(2)).waits

    assert waits(7) == waits(7)
    assert waits(7) != waits(8)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.support.property_depth import examples  # noqa: E402

_arrival = st.tuples(st.floats(0, 4 * 3600), st.integers(1, 5), st.floats(30, 1800), st.integers(0, 4))


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(_arrival, max_size=40), st.lists(st.integers(0, 3), min_size=168, max_size=168))
def test_every_patient_is_first_called_once_or_reported_unserved_and_the_most_urgent_waiting_goes_first(
    raw: list[tuple[float, int, float, int]], week: list[int]
) -> None:
    sc = scenario(*(Arrival(t, R, u, c, k) for t, u, c, k in sorted(raw)), span_s=4 * 3600.0)
    res = simulate_region(sc, R, week, no_show_s=60.0, drain_s=2 * 86400.0, record_calls=True)
    first_calls = list(dict.fromkeys(res.calls))
    called = sum(len(w) for w in res.waits.values())
    unserved = sum(len(w) for w in res.unserved.values())
    assert called == len(first_calls) and called + unserved == len(sc.arrivals)
    assert all(w >= 0 for ws in res.waits.values() for w in ws)
    # No clinician works more than the staffed time (shifts end only after the patient is done).
    assert sum(res.busy_s) <= sum(on * 3600.0 for on in res.on_duty) + max(
        (a.consult_s for a in sc.arrivals), default=0
    ) * max(week)
    # At each call, nobody more urgent who had arrived (and was never called) was passed over.
    for k, (case, t) in enumerate(zip(res.calls, res.call_times, strict=True)):
        me = sc.arrivals[int(case[1:])]
        passed_over = [
            a
            for i, a in enumerate(sc.arrivals)
            if a.t <= t and a.urgency < me.urgency and f"c{i}" not in res.calls[:k]
        ]
        assert not passed_over, (case, passed_over[:1])


def _hours(days: str, **exceptions: list[str]) -> RegionHours:
    from services.opening_hours.region_table import read_whole_week

    hours, problems = read_whole_week(
        {d: [days] if days else [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        {d: v for d, v in exceptions.items()},
        None,
        {},
    )
    assert not problems
    return hours


def test_a_closed_region_serves_nobody_while_closed_whatever_the_staffing_says() -> None:
    from services.queue_model.hours import HoursTimeline

    # DEFAULT_START is a Monday 00:00 local; staffed all week, but open 08:00-21:00 only
    res = simulate_region(
        scenario(Arrival(3600.0, R, 2, 300.0)), R, always(3), hours=HoursTimeline(_hours("08:00-21:00"))
    )
    assert res.waits[2] == [8 * 3600.0 - 3600.0]  # called at 08:00, when staff come in
    assert res.on_duty[:9] == [0] * 8 + [3]


def test_a_team_leads_hours_change_in_the_history_applies_from_its_time_on() -> None:
    from services.queue_model.hours import HoursTimeline

    closed_all_day = _hours("")
    timeline = HoursTimeline(
        _hours("08:00-21:00"), ((6 * 3600.0, closed_all_day),)
    )  # closed from 06:00 Monday
    res = simulate_region(
        scenario(Arrival(9 * 3600.0, R, 4, 300.0), span_s=86400.0),
        R,
        always(1),
        hours=timeline,
        drain_s=86400.0,
    )
    assert res.waits[4] == [] and len(res.unserved[4]) == 1  # nobody was ever on duty to call them
