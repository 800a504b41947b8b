"""The wait forecaster as a real process (issue 22): it folds queue.events, publishes each region's
forecast on queue.forecasts, refreshes it after a call, and answers a team lead's what-if."""

from __future__ import annotations

import httpx
import pytest

from proto import codec, topics
from proto import events as ev
from tests.e2e.test_intake_http import case, post, submission
from tests.support.queue_io import publish
from tests.support.stack import Stack, wait_until
from tests.support.staff_client import call, is_problem, token
from tests.support.topic_reader import read_records

pytestmark = pytest.mark.e2e

FAST = {"FORECAST_RUNS": "8", "FORECAST_DEBOUNCE_S": "0.5", "FORECAST_HORIZON_S": "3600"}


def forecasts(stack: Stack, region: str) -> list[ev.WaitForecast]:
    records = read_records(stack.kafka, [topics.QUEUE_FORECASTS.name])
    return [codec.WAIT_FORECASTS.decode(r.value) for r in records if r.key == region.encode()]


def latest_naming(stack: Stack, region: str, case_ids: set[str]) -> ev.WaitForecast | None:
    for f in reversed(forecasts(stack, region)):
        if {c.case_id for c in f.cases} == case_ids:
            return f
    return None


def test_the_forecaster_publishes_every_waiting_case_s_range_and_refreshes_after_a_call(stack: Stack) -> None:
    stack.extra_env.update(FAST)
    stack.start(("queue", "intake", "forecast", "staff"))
    ids = []
    for _ in range(4):
        r = post(stack, submission(region="SE-C"))
        assert r.status_code == 202, r.text
        ids.append(r.json()["case_id"])
    found = wait_until(lambda: latest_naming(stack, "SE-C", set(ids)), 60, "a forecast naming all four cases")
    assert found.runs == 8 and found.region == "SE-C"
    for c in found.cases:
        assert c.p10_seconds is not None and c.p90_seconds is not None
        assert 0 <= c.p10_seconds <= c.p50_seconds <= c.p90_seconds  # type: ignore[operator]
    assert sorted(b.urgency for b in found.breaches) == [1, 2, 3, 4, 5]

    first = next(c for c in found.cases if c.p50_seconds == min(x.p50_seconds or 0 for x in found.cases))
    publish(stack.kafka, [ev.ServeNext(region="SE-C", clinician_id="n1", request_id="forecast-e2e-1")])
    rest = set(ids) - {first.case_id}
    wait_until(lambda: latest_naming(stack, "SE-C", rest), 60, "a refreshed forecast without the called case")

    view = httpx.get(stack.url("forecast") + "/v1/regions/SE-C/forecast", timeout=30)
    assert view.status_code == 200, view.text
    assert {c["case_id"] for c in view.json()["cases"]} == rest
    more = httpx.get(stack.url("forecast") + "/v1/regions/SE-C/forecast?extra=3&from=08:00", timeout=60)
    assert more.status_code == 200, more.text
    assert more.json()["what_if"].startswith("+3 from ")
    bad = httpx.get(stack.url("forecast") + "/v1/regions/SE-C/forecast?extra=lots", timeout=10)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["pointer"] == "/query/extra"
    unknown = httpx.get(stack.url("forecast") + "/v1/regions/SE-QQ/forecast", timeout=10)
    assert unknown.status_code == 404

    # the patient's case view (intake folds queue.forecasts): the range and when it was made
    waiting = sorted(rest)[0]
    shown = wait_until(
        lambda: (v := case(stack, waiting).json()).get("wait_forecast_text") and v,
        30,
        "intake to show the range",
    )
    assert shown["wait_forecast_text"].startswith("oftast ")
    assert shown["wait_forecast_low_seconds"] <= shown["wait_forecast_high_seconds"]
    assert shown["wait_forecast_updated_at"].endswith("Z") and shown["wait_forecast_moved"] is False

    # staff: each waiting case's range on the waiting list; the team lead's breach forecast and what-if
    nurse, lead = token(stack, "nurse-anna", "nurse", "SE-C"), token(stack, "lead-lisa", "team-lead", "SE-C")
    listed = call(stack, "GET", "/v1/regions/SE-C/waiting", nurse)
    assert listed.status_code == 200, listed.text
    assert all(c["wait_forecast_text"] for c in listed.json()["cases"]), listed.text
    assert is_problem(call(stack, "GET", "/v1/regions/SE-C/forecast", nurse), 403)
    planned = call(stack, "GET", "/v1/regions/SE-C/forecast", lead)
    assert planned.status_code == 200, planned.text
    assert [b["urgency"] for b in planned.json()["breaches"]] == [1, 2, 3, 4, 5]
    helped = call(stack, "GET", "/v1/regions/SE-C/forecast?extra=2&from=09:00", lead)
    assert helped.status_code == 200 and helped.json()["what_if"].startswith("+2 from "), helped.text
    assert is_problem(call(stack, "GET", "/v1/regions/SE-C/forecast?extra=2&from=9", lead), 422)
