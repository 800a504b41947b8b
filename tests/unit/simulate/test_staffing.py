"""The staffing file: layering of day groups, per-capita defaults, errors that say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.queue_model.population import REGION_POPULATION
from services.simulate.domain.staffing import StaffingError, dump_staffing, load_staffing, parse_staffing

DAY = list(range(24))


def test_named_days_override_weekend_which_overrides_every_day() -> None:
    doc = {"regions": {"SE-C": {"every_day": [1] * 24, "weekend": [2] * 24, "sun": [3] * 24}}}
    week = parse_staffing(doc, REGION_POPULATION).week("SE-C")
    assert week[:24] == (1,) * 24  # Monday
    assert week[5 * 24 : 6 * 24] == (2,) * 24  # Saturday
    assert week[6 * 24 :] == (3,) * 24  # Sunday


def test_a_region_missing_from_the_file_is_closed_all_week() -> None:
    staffing = parse_staffing({"regions": {"SE-C": {"every_day": [1] * 24}}}, REGION_POPULATION)
    assert staffing.week("SE-I") == (0,) * 168
    assert staffing.clinician_hours("SE-C") == 168


def test_the_default_table_is_per_100k_inhabitants_rounded_up_per_region() -> None:
    staffing = parse_staffing({"default": {"every_day": [0.5] * 24}}, {"SE-AB": 2_454_000, "SE-I": 61_000})
    assert staffing.week("SE-AB")[0] == 13  # 12.27 rounded up
    assert staffing.week("SE-I")[0] == 1  # 0.305 rounded up: a staffed hour keeps at least one clinician


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        ({"regions": {"SE-C": {"mon": [1] * 23}}}, "list of 24 numbers"),
        ({"regions": {"SE-C": {"mon": [1] * 23 + [-1]}}}, "mon[23] = -1"),
        ({"regions": {"SE-C": {"mon": [1.5] * 24}}}, "whole number"),
        ({"regions": {"SE-XX": {"mon": [1] * 24}}}, "unknown region 'SE-XX'"),
        ({"regions": {"SE-C": {"monday": [1] * 24}}}, "unknown key(s) ['monday']"),
        ({"staff": {}}, "unknown top-level key(s)"),
        ({}, "no regions"),
    ],
)
def test_a_bad_staffing_file_is_refused_with_what_to_fix(doc: dict[str, object], says: str) -> None:
    with pytest.raises(StaffingError, match=None) as err:
        parse_staffing(doc, REGION_POPULATION)
    assert says in str(err.value)


def test_a_dumped_staffing_file_reads_back_the_same(tmp_path: Path) -> None:
    week = tuple((h * 7) % 5 for h in range(168))
    staffing = parse_staffing(
        {
            "regions": {
                "SE-C": {
                    d: list(week[i * 24 : (i + 1) * 24])
                    for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
                }
            }
        },
        REGION_POPULATION,
    )
    path = tmp_path / "staff.toml"
    path.write_text(dump_staffing(staffing, "round trip"))
    assert load_staffing(path, REGION_POPULATION).week("SE-C") == week


def test_a_staffing_file_that_is_not_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[regions.SE-C\nmon = 1")
    with pytest.raises(StaffingError, match="bad.toml: not valid TOML"):
        load_staffing(path, REGION_POPULATION)


def test_the_shipped_example_staffing_file_loads() -> None:
    path = Path(__file__).parents[3] / "services" / "simulate" / "staffing.toml"
    staffing = load_staffing(path, REGION_POPULATION)
    assert set(staffing.regions) == set(REGION_POPULATION)
    assert staffing.week("SE-C")[0] == 0  # Uppsala is closed at night in the example


def test_the_shipped_staffing_file_staffs_exactly_the_hours_the_shipped_hours_file_opens() -> None:
    import datetime as dt

    from services.opening_hours.hours_file import load_opening_hours, packaged_hours_path
    from services.queue_model.hours import closed_staffed_hours

    shipped = Path(__file__).resolve().parents[3] / "services" / "simulate" / "staffing.toml"
    staffing = load_staffing(shipped, REGION_POPULATION)
    hours = load_opening_hours(packaged_hours_path().read_text(encoding="utf-8"))
    monday = dt.date(2026, 11, 23)  # an ordinary week: no holiday, no DST change
    wrong = {
        region: [f"{h // 24}:{h % 24:02d}" for h in bad]
        for region in sorted(REGION_POPULATION)
        if (bad := closed_staffed_hours(staffing.week(region), hours.of(region), monday))
    }
    assert wrong == {}, f"staffed while closed, or open without staff (day:hour of the week): {wrong}"
    assert staffing.week("SE-C")[8] > 0 and staffing.week("SE-C")[21] == 0  # 08-21 on weekdays
