"""Truth over time (issue 22): when a waiting case's forecast moves by more than its range, the
patient gets one SMS that says so with the new range, and none while the region is closed.

Real intake, queue and notifier processes on the real broker; the forecasts are published on
queue.forecasts as the forecaster publishes them (its own e2e test shows it does), so that the
move is known exactly. SE-M is open around the clock; SE-C is closed until the day after
tomorrow.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator

import pytest

from proto import codec, topics
from proto import events as ev
from tests.e2e.test_intake_http import case, post, seen
from tests.e2e.test_intake_time_frames import ALL_DAY, CLOSED, REOPENS, eye, stack_with_hours
from tests.support.queue_io import publish_raw
from tests.support.stack import Stack, wait_until

pytestmark = pytest.mark.e2e

HOURS = f"""version = "test-forecast-moved"
[default]
{ALL_DAY}

[regions."SE-C"]   # closed until the day after tomorrow, 08:00
{CLOSED}
[regions."SE-C".exceptions]
"{REOPENS.isoformat()}" = ["08:00-17:00"]
"""


@pytest.fixture(scope="module")
def moved(bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from stack_with_hours(bootstrap_servers, tmp_path_factory.mktemp("forecast-moved"), HOURS, "0.5")


def _forecast(stack: Stack, region: str, case_id: str, at: dt.datetime, p50_h: float) -> None:
    """The region's forecast: ``case_id`` called in p50_h hours, give or take half an hour."""
    f = ev.WaitForecast(
        region=region,
        as_of=at,
        runs=48,
        horizon_seconds=3600.0,
        cases=[
            ev.CaseWaitForecast(
                case_id=case_id,
                urgency=5,
                p10_seconds=(p50_h - 0.5) * 3600.0,
                p50_seconds=p50_h * 3600.0,
                p90_seconds=(p50_h + 0.5) * 3600.0,
            )
        ],
    )
    publish_raw(stack.kafka, topics.QUEUE_FORECASTS, region.encode(), codec.encode(f))


def _sms(stack: Stack, case_id: str) -> list[dict]:
    return [r for r in stack.outbox_records() if r["case_id"] == case_id]


def test_one_sms_says_the_forecast_moved_with_the_new_range_and_none_while_the_region_is_closed(
    moved: Stack,
) -> None:
    ids = {}
    for region in ("SE-M", "SE-C"):
        r = post(moved, eye(region, 5))
        assert r.status_code in (200, 202), r.text
        ids[region] = r.json()["case_id"]
        seen(moved, ids[region])
    now = dt.datetime.now(dt.UTC)
    for region, case_id in ids.items():
        _forecast(moved, region, case_id, now, 1.0)  # first shown: about 0.5-1.5 h
    for region, case_id in ids.items():
        _forecast(moved, region, case_id, now + dt.timedelta(seconds=1), 4.0)  # moved by 3 h
    for case_id in ids.values():  # the patient's view says so in both regions
        wait_until(lambda c=case_id: case(moved, c).json().get("wait_forecast_moved"), 30, "the view: moved")

    [sms] = wait_until(lambda: _sms(moved, ids["SE-M"]), 30, "the forecast-moved SMS")
    assert sms["message"].startswith("Ny väntetid i 1177 direkt")
    # 3.5-4.5 h from the forecast's as_of, rounded outward (15 min steps, half hours in words)
    assert re.search(r"oftast uppringd om 3(,5)?-(4,5|5) tim\.", sms["message"]), sms["message"]

    # it moves again: still one SMS for that case; and the closed region's patient gets none
    _forecast(moved, "SE-M", ids["SE-M"], now + dt.timedelta(seconds=2), 8.0)
    _forecast(moved, "SE-C", ids["SE-C"], now + dt.timedelta(seconds=2), 8.0)

    def shows_eight_hours() -> bool:
        text = case(moved, ids["SE-M"]).json().get("wait_forecast_text") or ""
        return re.search(r"–(8,5|9) tim", text) is not None

    wait_until(shows_eight_hours, 30, "the view to show the 8-hour forecast")
    time.sleep(3.0)  # six sweeps
    assert len(_sms(moved, ids["SE-M"])) == 1
    assert _sms(moved, ids["SE-C"]) == []
