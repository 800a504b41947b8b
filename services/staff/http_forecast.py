"""The forecaster seen from the staff API (issue 22): each waiting case's range on the waiting
list, and a team lead's breach forecast with a "with N more clinicians from HH:00" what-if.

Both come from the forecaster service (``GET /v1/regions/{r}/forecast``): the published forecast,
or a what-if it runs through the same futures. The forecast names case ids, so reading it is
audited like the waiting list.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.datastructures import State
from litestar.params import Parameter

from proto import events as ev
from proto.views import WaitingList
from services.opening_hours.eta import forecast_range
from services.staff.audit_trail import AuditUnavailable
from services.staff.desk import StaffDesk
from services.staff.domain.access import Principal
from services.staff.http_auth import authorised_caller, known_region
from services.staff.http_models import REGION_PATTERN
from services.staff.http_routes import read_route
from services.staff.problems import problem_response
from services.staff.queue_views import QueueViews


def with_ranges(page: WaitingList, forecast: Any, now: dt.datetime) -> WaitingList:
    """``page`` with each case's forecast range from ``now`` (unchanged when there is none)."""
    try:
        f = msgspec.convert(forecast, ev.WaitForecast)
    except msgspec.ValidationError:
        return page
    ranges = {c.case_id: c for c in f.cases}
    age = (now - f.as_of).total_seconds()
    cases = []
    for w in page.cases:
        c = ranges.get(w.case_id)
        if c is None or c.p10_seconds is None or c.p50_seconds is None or c.p90_seconds is None:
            cases.append(w)
            continue
        shown = forecast_range(
            max(0.0, c.p10_seconds - age), max(0.0, c.p50_seconds - age), max(0.0, c.p90_seconds - age)
        )
        low, high, text = shown.low_s, shown.high_s, shown.text("sv")
        cases.append(
            msgspec.structs.replace(
                w, wait_forecast_text=text, wait_forecast_low_seconds=low, wait_forecast_high_seconds=high
            )
        )
    return msgspec.structs.replace(page, cases=cases)


@read_route(
    "/v1/regions/{region:str}/forecast",
    "The region's wait forecast and breach forecast; with extra and from, a staffing what-if (team lead)",
)
async def region_forecast(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    region: Annotated[str, Parameter(pattern=REGION_PATTERN, description="e.g. SE-C")],
    extra: Annotated[int | None, Parameter(ge=1, le=100, description="more clinicians (what-if)")] = None,
    from_: Annotated[
        str | None,
        Parameter(query="from", pattern=r"^([01]\d|2[0-3]):00$", description="from this local hour, HH:00"),
    ] = None,
) -> Response[ev.WaitForecast]:
    """Per urgency the probability and expected time of a time-frame breach in the next hours with
    the staffing as planned, each waiting case's range; or the same "with N more clinicians from HH:00"."""
    known_region(region)
    desk: StaffDesk = state.desk
    caller = await authorised_caller(request, principal, "read-forecast", region, desk)
    params = {} if extra is None else {"extra": str(extra), **({"from": from_} if from_ else {})}
    views: QueueViews = state.queue_views
    status, body = await views.forecast(region, params)
    if status == 404:
        return problem_response(404, f"no forecast of {region} yet: retry within a minute")  # type: ignore[return-value]
    if status == 422:  # the forecaster could not read the what-if: its words, not an outage
        detail = body.get("detail", "") if isinstance(body, dict) else ""
        return problem_response(422, detail or "extra and from: give extra=N and from=HH:00")  # type: ignore[return-value]
    try:
        found = msgspec.convert(body, ev.WaitForecast) if status == 200 else None
    except msgspec.ValidationError:
        found = None
    if found is None:
        return problem_response(
            503, "the forecaster is not answering: retry shortly", headers={"retry-after": "5"}
        )  # type: ignore[return-value]
    try:
        await desk.shown(caller, "read-forecast", region, tuple(c.case_id for c in found.cases))
    except AuditUnavailable:
        return problem_response(
            503, "the audit trail could not be written, so nothing is shown", headers={"retry-after": "2"}
        )  # type: ignore[return-value]
    return Response(found)


FORECAST_HANDLERS = [region_forecast]
