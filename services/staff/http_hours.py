"""A region's opening hours over the staff API (issue 14): read them, and (team lead) replace them.

``PUT`` is checked here with the hours file's own reader (``region_table``: the same rules and
words, a JSON pointer instead of a line number), then goes to the queue as ``SetOpeningHours``
like any staff command: audited "requested", decided by the queue, answered synchronously
with the ``OpeningHoursChanged`` it recorded (or 409 when the queue refused, e.g. a version
conflict). From then on the region's hours live in queue.events; the file is only the
start-up default of regions never changed. ``GET`` shows what the queue decides with; it is
not case data, so it is not written to the audit trail.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, put
from litestar.datastructures import State
from msgspec import Meta

from proto import events as ev
from proto.field_error import FieldError
from proto.views import RegionOpeningHours, WeekHours
from services.opening_hours.region_table import DAYS, read_whole_week
from services.staff.domain.access import OPENING_HOURS, READ_HOURS, Principal
from services.staff.http_auth import authorised_caller, known_region
from services.staff.http_commands import Region, run_command
from services.staff.http_models import CommandResult, RequestId
from services.staff.http_routes import StaffCall, command_route, read_route
from services.staff.problems import problem_response, queue_away
from services.staff.queue_views import QueueViews


class OpeningHoursRequest(WeekHours, kw_only=True, forbid_unknown_fields=True):
    """PUT body: the week (GET's ``hours``, edited), and optionally the version it was read at."""

    expected_version: (
        Annotated[int, Meta(ge=0, description="refused (409) if the hours changed since")] | None
    ) = None
    reason: Annotated[str, Meta(max_length=500, description="why (no personal data)")] = ""
    request_id: RequestId | None = None


@read_route(
    "/v1/regions/{region:str}/opening-hours",
    "The region's opening hours, capacity, version, and whether it is open now",
)
async def read_opening_hours(call: StaffCall, region: Region) -> Response[RegionOpeningHours]:
    """Any staff role of the region may read its hours (not case data: not audited)."""
    known_region(region)
    await authorised_caller(call.request, call.principal, READ_HOURS, region, call.state.desk)
    found = await current_hours(call.state, region)
    if found is None:
        return queue_away()
    return Response(found)


async def current_hours(state: State, region: str) -> RegionOpeningHours | None:
    """The hours the queue decides with now (None: the queue is not answering)."""
    views: QueueViews = state.queue_views
    return await views.opening_hours(region)


@command_route(
    "/v1/regions/{region:str}/opening-hours", "Replace the region's opening hours (team-lead; audited)", put
)
async def change_opening_hours(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    region: Region,
    data: OpeningHoursRequest,
) -> Response[CommandResult]:
    """The new week takes effect when the queue has recorded it (answered with its version).

    What the body leaves out (``exceptions``, ``capacity``, ``hourly_capacity``) is kept from the
    current hours, under the version they were read at (a change meanwhile: 409, read again).
    """
    known_region(region)
    await authorised_caller(request, principal, OPENING_HOURS, region, state.desk)  # 403 before 422
    days = {day: getattr(data, day) for day in DAYS if getattr(data, day) is not None}
    kept = WeekHours(exceptions=data.exceptions, capacity=data.capacity, hourly_capacity=data.hourly_capacity)
    version = data.expected_version
    if None in (data.exceptions, data.capacity, data.hourly_capacity):
        current = await current_hours(state, region)
        if current is None:
            return queue_away()  # type: ignore[return-value]
        kept = WeekHours(
            exceptions=current.hours.exceptions if data.exceptions is None else data.exceptions,
            capacity=current.hours.capacity if data.capacity is None else data.capacity,
            hourly_capacity=current.hours.hourly_capacity
            if data.hourly_capacity is None
            else data.hourly_capacity,
        )
        version = current.version if version is None else version
    return await send_week(request, state, principal, region, days, kept, version, data)


async def send_week(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    region: str,
    days: dict[str, list[str]],
    rest: WeekHours,
    expected_version: int | None,
    body: Any,
) -> Response[CommandResult]:
    """Check the whole week with the hours file's reader (422), then SetOpeningHours to the queue.

    ``body``: the request as the client sent it, which its request_id is bound to.
    """
    exceptions, hourly = rest.exceptions or {}, rest.hourly_capacity or {}
    _, problems = read_whole_week(days, exceptions, rest.capacity, hourly)
    if problems:
        errors = [FieldError(pointer=_pointer(p.table, p.key), detail=p.message) for p in problems]
        return problem_response(  # type: ignore[return-value]
            422,
            f"{len(errors)} invalid field(s) in the opening hours: fix each one listed in `errors`",
            errors,
            type_="/problems/invalid-opening-hours",
        )
    command = ev.SetOpeningHours(
        region=region,
        by=principal.subject,
        days=days,
        exceptions=exceptions,
        capacity=rest.capacity,
        hourly_capacity=hourly,
        expected_version=expected_version,
        reason=body.reason,
        request_id=body.request_id or ev.new_id(),
    )
    bound_to = (request.url.path, msgspec.to_builtins(body))
    return await run_command(request, state, principal, OPENING_HOURS, region, command, bound_to)


def _pointer(table: str, key: str) -> str:
    """The problem's place in the body as a JSON pointer fragment, like intake's ("#" = the whole body)."""
    parts = [p for p in (*table.split("."), key) if p]
    return "#" + "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


HOURS_HANDLERS = [read_opening_hours, change_opening_hours]
