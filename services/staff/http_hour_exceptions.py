"""One dated exception of a region's opening hours, added, changed or removed (issue 25, item 4).

``PUT /v1/regions/{r}/opening-hours/exceptions/{date}`` with ``{"hours": ["08:00-14:00"]}``
(``[]`` = closed all day) and ``DELETE`` of the same path change that one date and keep
everything else: the current week is read from the queue, the one date is changed, and the
whole week goes to the queue as SetOpeningHours under the version it was read at (a change
made meanwhile is refused with 409, never undone). Team lead only; audited like every command.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, delete, put
from litestar.datastructures import State
from litestar.params import Parameter
from msgspec import Meta

from proto.views import Day, WeekHours
from services.opening_hours.region_table import DAYS
from services.staff.domain.access import OPENING_HOURS, Principal
from services.staff.http_auth import authorised_caller, known_region
from services.staff.http_commands import Region
from services.staff.http_hours import current_hours, send_week
from services.staff.http_models import CommandResult, RequestId
from services.staff.http_routes import command_route
from services.staff.problems import problem_response, queue_away

Date = Annotated[str, Parameter(pattern=r"^\d{4}-\d{2}-\d{2}$", description="the local date, YYYY-MM-DD")]


class ExceptionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """PUT body: that date's hours, and optionally the version the hours were read at."""

    hours: Day
    expected_version: (
        Annotated[int, Meta(ge=0, description="refused (409) if the hours changed since")] | None
    ) = None
    reason: Annotated[str, Meta(max_length=500, description="why (no personal data)")] = ""
    request_id: RequestId | None = None


class ExceptionRemoval(msgspec.Struct, kw_only=True):
    """What DELETE takes (as query parameters)."""

    expected_version: int | None = None
    reason: str = ""
    request_id: str | None = None


@command_route(
    "/v1/regions/{region:str}/opening-hours/exceptions/{date:str}",
    "Add or change one dated exception of the region's hours; everything else is kept (team-lead)",
    put,
)
async def put_exception(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    region: Region,
    date: Date,
    data: ExceptionRequest,
) -> Response[CommandResult]:
    """Set the hours of one date (``[]``: closed all day)."""
    return await _change(request, state, principal, region, date, data.hours, data)


@command_route(
    "/v1/regions/{region:str}/opening-hours/exceptions/{date:str}",
    "Remove one dated exception: that date follows its weekday again (team-lead)",
    delete,
)
async def delete_exception(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    region: Region,
    date: Date,
    expected_version: Annotated[
        int | None, Parameter(ge=0, description="refused if the hours changed")
    ] = None,
    reason: Annotated[str, Parameter(max_length=500, description="why (no personal data)")] = "",
    request_id: Annotated[str | None, Parameter(pattern=r"^[A-Za-z0-9._:-]{1,64}$")] = None,
) -> Response[CommandResult]:
    """Remove the date's exception (404 when the region has none on that date)."""
    body = ExceptionRemoval(expected_version=expected_version, reason=reason, request_id=request_id)
    return await _change(request, state, principal, region, date, None, body)


async def _change(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    region: str,
    date: str,
    hours: list[str] | None,
    body: ExceptionRequest | ExceptionRemoval,
) -> Response[CommandResult]:
    known_region(region)
    await authorised_caller(request, principal, OPENING_HOURS, region, state.desk)
    try:
        dt.date.fromisoformat(date)
    except ValueError:
        return problem_response(  # type: ignore[return-value]
            422,
            f"{date!r} is not a date: use YYYY-MM-DD, e.g. 2026-12-24",
            type_="/problems/invalid-opening-hours",
        )
    current = await current_hours(state, region)
    if current is None:
        return queue_away()  # type: ignore[return-value]
    exceptions = dict(current.hours.exceptions or {})
    if hours is None and date not in exceptions:
        return problem_response(  # type: ignore[return-value]
            404,
            f"{region} has no exception on {date}: nothing to remove "
            f"(its exceptions: {', '.join(sorted(exceptions)) or 'none'})",
        )
    if hours is None:
        del exceptions[date]
    else:
        exceptions[date] = hours
    days = {day: getattr(current.hours, day) or [] for day in DAYS}
    rest = WeekHours(
        exceptions=exceptions, capacity=current.hours.capacity, hourly_capacity=current.hours.hourly_capacity
    )
    version = current.version if body.expected_version is None else body.expected_version
    return await send_week(request, state, principal, region, days, rest, version, body)


EXCEPTION_HANDLERS = [put_exception, delete_exception]
