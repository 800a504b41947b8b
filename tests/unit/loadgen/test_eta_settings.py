"""The ETA run's scaled world: the region closed until a whole minute, then open; the model told
the same capacity and window the simulated clinicians work at."""

import datetime as dt

import pytest

from services.loadgen.eta_settings import EtaRunSettings, hours_file, opening_time
from services.opening_hours.hours_file import load_opening_hours

NOW = dt.datetime(2026, 11, 30, 7, 30, 20, tzinfo=dt.UTC)  # 08:30:20 in Stockholm


def test_the_region_opens_on_the_first_whole_minute_after_start_up_and_the_closed_phase() -> None:
    assert opening_time(NOW, 60.0, 45.0) == dt.datetime(2026, 11, 30, 7, 33, tzinfo=dt.UTC)
    assert opening_time(NOW, 40.0, 0.0) is None


def test_the_generated_hours_keep_the_region_closed_until_the_opening_and_open_after_it() -> None:
    opens = dt.datetime(2026, 11, 30, 7, 33, tzinfo=dt.UTC)
    hours = load_opening_hours(hours_file(opens, NOW)).of("SE-C")
    assert not hours.is_open(NOW)
    assert hours.next_change(NOW) == opens
    assert hours.is_open(opens + dt.timedelta(seconds=1))
    assert hours.is_open(opens + dt.timedelta(days=1))


def test_an_opening_after_local_midnight_keeps_the_rest_of_the_evening_closed() -> None:
    late = dt.datetime(2026, 11, 30, 22, 59, 30, tzinfo=dt.UTC)  # 23:59:30 in Stockholm
    opens = opening_time(late, 60.0, 45.0)
    assert opens is not None
    hours = load_opening_hours(hours_file(opens, late)).of("SE-C")
    assert not hours.is_open(late + dt.timedelta(seconds=20))
    assert hours.is_open(opens)


def test_without_a_closed_phase_the_region_is_open_round_the_clock() -> None:
    hours = load_opening_hours(hours_file(None, NOW)).of("SE-C")
    assert hours.is_open(NOW) and hours.is_open(NOW + dt.timedelta(hours=13))


def test_the_services_are_told_the_scaled_capacity_and_window_of_the_simulated_clinicians() -> None:
    s = EtaRunSettings(time_scale=60.0, capacity_per_hour=20.0, window_s=900.0, load=0.9)
    env = s.service_env("/tmp/hours.toml")
    assert env["ETA_CAPACITY_PER_HOUR"] == "1200"  # 20 per model hour = 1200 per real hour
    assert env["QUEUE_RATE_WINDOW_S"] == "15"
    assert env["OPENING_HOURS_PATH"] == "/tmp/hours.toml"
    assert s.serve_rate == pytest.approx(1 / 3)  # one call every 3 real seconds
    assert s.arrival_rate == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("change", "message"),
    [({"region": "SE-Q"}, "ISO 3166-2:SE"), ({"load": 0.0}, "--load"), ({"closed_s": -1.0}, "--closed")],
)
def test_settings_that_cannot_make_a_run_are_refused_with_the_option_to_fix(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        EtaRunSettings(**change).validate()  # type: ignore[arg-type]
