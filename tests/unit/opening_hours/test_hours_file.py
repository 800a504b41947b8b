"""The opening-hours file: validated at start, every problem named with its line."""

from __future__ import annotations

import pytest

from services.opening_hours.hours_file import HoursFileError, load_hours_from_env, load_opening_hours

GOOD = """version = "t1"
[default]
mon = ["08:00-12:00", "13:00-17:00"]
tue = []
wed = []
thu = []
fri = []
sat = []
sun = ["00:00-24:00"]
"""


def test_the_packaged_file_loads_and_the_default_has_hours_for_every_day() -> None:
    hours = load_hours_from_env({})
    assert hours.version and all(day for day in hours.default.weekly)


def test_split_days_and_a_whole_day_are_read_as_minute_intervals() -> None:
    hours = load_opening_hours(GOOD)
    assert hours.default.weekly[0] == ((480, 720), (780, 1020)) and hours.default.weekly[6] == ((0, 1440),)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ('mon = ["08:00-12:00", "13:00-17:00"]', 'mon = ["8-17"]'),
            "line 3: [default] mon: '8-17' is not \"HH:MM-HH:MM\"",
        ),
        (("tue = []", 'tue = ["17:00-08:00"]'), "line 4: [default] tue: '17:00-08:00': times must be"),
        (("wed = []", 'wed = ["08:00-12:00", "11:00-13:00"]'), "line 5: [default] wed: intervals"),
        (('sun = ["00:00-24:00"]', "sunday = []"), "line 9: [default] 'sunday' is not a day"),
        (('version = "t1"', 'version = ""'), "line 1: `version`"),
    ],
)
def test_a_bad_entry_is_refused_naming_its_line_and_the_fix(edit: tuple[str, str], message: str) -> None:
    with pytest.raises(HoursFileError) as err:
        load_opening_hours(GOOD.replace(*edit))
    assert message in str(err.value)


def test_bad_holidays_and_regions_are_all_reported_at_once() -> None:
    text = GOOD + '[holidays]\n"2026-13-01" = []\n[regions."Gotland"]\nmon = []\n'
    with pytest.raises(HoursFileError) as err:
        load_opening_hours(text)
    problems = err.value.problems
    assert any(p.startswith("line 11:") and "not a date" in p for p in problems)
    assert any(p.startswith("line 12:") and "region code" in p for p in problems)


def test_an_unreadable_path_names_the_setting() -> None:
    with pytest.raises(ValueError, match="OPENING_HOURS_PATH: cannot read"):
        load_hours_from_env({"OPENING_HOURS_PATH": "/nonexistent/hours.toml"})


CAPACITY = (
    GOOD.replace('sun = ["00:00-24:00"]\n', 'sun = ["00:00-24:00"]\ncapacity = 18\n')
    + '[default.hourly_capacity]\nmon = { "08:00-10:00" = 30 }\n'
    + '[regions."SE-I"]\ncapacity = 6\n'
)


def test_capacity_and_hourly_capacity_are_read_and_a_region_inherits_the_hourly_ranges() -> None:
    hours = load_opening_hours(CAPACITY)
    assert hours.default.capacity == 18.0 and hours.default.hourly[0] == ((480, 600, 30.0),)
    gotland = hours.of("SE-I")
    assert gotland.capacity == 6.0 and gotland.hourly[0] == ((480, 600, 30.0),)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("capacity = 18", "capacity = 0"),
            "line 10: [default] capacity must be a number of calls per staffed hour",
        ),
        (("capacity = 6", 'capacity = "lots"'), "line 14: [regions.SE-I] capacity must be a number"),
        (
            ('"08:00-10:00" = 30', '"8-10" = 30'),
            "line 12: [default.hourly_capacity] mon: '8-10' is not \"HH:MM-HH:MM\"",
        ),
        (
            ('"08:00-10:00" = 30', '"08:00-10:00" = 30, "09:00-11:00" = 10'),
            "line 12: [default.hourly_capacity] mon: intervals",
        ),
        (
            ('mon = { "08:00-10:00"', 'monday = { "08:00-10:00"'),
            "line 12: [default.hourly_capacity] 'monday' is not a day",
        ),
        (
            ('"08:00-10:00" = 30', '"08:00-10:00" = -3'),
            "line 12: [default.hourly_capacity] mon: '08:00-10:00' must be",
        ),
    ],
)
def test_a_bad_capacity_is_refused_naming_its_line(edit: tuple[str, str], message: str) -> None:
    with pytest.raises(HoursFileError) as err:
        load_opening_hours(CAPACITY.replace(*edit))
    assert message in str(err.value)
