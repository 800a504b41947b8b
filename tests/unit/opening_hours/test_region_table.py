"""One region's hours as a table: the hours file, the staff API's PUT and the event read it alike."""

from __future__ import annotations

import datetime as dt

from services.opening_hours.region_table import read_whole_week, region_table

WEEK = {d: ["08:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [], "sun": []}


def test_a_whole_week_reads_back_from_the_table_it_is_written_as() -> None:
    hours, problems = read_whole_week(
        WEEK, {"2026-12-24": []}, 12.0, {"mon": {"08:00-10:00": 30, "16:00-17:00": 5}}
    )
    assert problems == []
    assert hours.capacity == 12.0 and hours.exceptions == {dt.date(2026, 12, 24): ()}
    assert hours.hourly[0] == ((480, 600, 30.0), (960, 1020, 5.0))
    table = region_table(hours)
    again, problems = read_whole_week(
        {d: table[d] for d in WEEK}, table["exceptions"], table["capacity"], table["hourly_capacity"]
    )
    assert problems == [] and again == hours


def test_every_problem_of_a_week_is_named_by_its_field() -> None:
    days = {**WEEK, "mon": ["8-17"], "someday": []}
    del days["sun"]
    _, problems = read_whole_week(days, {"2026-13-01": []}, 0, {"mon": {"08:00-10:00": 30, "09:00-11:00": 5}})
    where = {(p.table, p.key): p.message for p in problems}
    assert "is not a day" in where[("", "someday")]
    assert "lacks sun" in where[("", "")]
    assert 'is not "HH:MM-HH:MM"' in where[("", "mon")]
    assert "is not a date" in where[("exceptions", "2026-13-01")]
    assert "above 0" in where[("", "capacity")]
    assert "overlap" in where[("hourly_capacity", "mon")]
