"""Intake's read model of the forecaster's ranges: newest per region, counted from now, 'moved'."""

from __future__ import annotations

import datetime as dt

from proto import events as ev
from services.intake.domain.wait_forecasts import WaitForecasts

T = dt.datetime(2026, 1, 7, 10, 0, tzinfo=dt.UTC)


def forecast(
    at: dt.datetime, *cases: tuple[str, float, float, float], region: str = "SE-C"
) -> ev.WaitForecast:
    return ev.WaitForecast(
        region=region,
        as_of=at,
        runs=8,
        horizon_seconds=3600.0,
        cases=[
            ev.CaseWaitForecast(case_id=c, urgency=4, p10_seconds=a, p50_seconds=b, p90_seconds=d)
            for c, a, b, d in cases
        ],
    )


def test_the_range_is_counted_from_now_and_rounded_outward() -> None:
    v = WaitForecasts()
    v.apply(forecast(T, ("c1", 3600.0, 5400.0, 10_000.0)))
    got = v.range_of("c1", T + dt.timedelta(minutes=10))
    assert got is not None
    assert got.estimate.low_s == 3000.0 and got.estimate.high_s == 9900.0  # 50 min .. 2 h 45 rounded up
    assert got.estimate.text() == "0,5–3 tim"
    assert got.as_of == T and not got.moved


def test_an_older_forecast_arriving_late_is_ignored() -> None:
    v = WaitForecasts()
    v.apply(forecast(T, ("c1", 600.0, 900.0, 1200.0)))
    assert not v.apply(forecast(T - dt.timedelta(minutes=1), ("c1", 6000.0, 9000.0, 12_000.0)))
    assert v.range_of("c1", T).estimate.high_s == 1200.0  # type: ignore[union-attr]


def test_a_forecast_that_moved_by_more_than_the_first_range_says_so() -> None:
    v = WaitForecasts()
    v.apply(forecast(T, ("c1", 3600.0, 5400.0, 7200.0)))  # first shown: a one-hour-wide range
    v.apply(
        forecast(T + dt.timedelta(minutes=1), ("c1", 3600.0, 5400.0, 7200.0))
    )  # a minute later: same call time
    assert not v.range_of("c1", T).moved  # type: ignore[union-attr]
    v.apply(forecast(T + dt.timedelta(minutes=2), ("c1", 9000.0, 10_800.0, 14_400.0)))  # +1.5 h
    assert v.range_of("c1", T).moved  # type: ignore[union-attr]


def test_a_case_no_longer_in_its_region_s_forecast_has_no_range() -> None:
    v = WaitForecasts()
    v.apply(forecast(T, ("c1", 60.0, 120.0, 300.0), ("c2", 600.0, 900.0, 1200.0)))
    v.apply(forecast(T + dt.timedelta(minutes=1), ("c2", 60.0, 120.0, 300.0)))
    assert v.range_of("c1", T) is None and v.range_of("c2", T) is not None


def test_a_what_if_is_never_taken_for_the_forecast() -> None:
    v = WaitForecasts()
    what_if = forecast(T, ("c1", 60.0, 120.0, 300.0))
    assert not v.apply(
        ev.WaitForecast(**{**{f: getattr(what_if, f) for f in what_if.__struct_fields__}, "what_if": "+2"})
    )
    assert v.range_of("c1", T) is None
