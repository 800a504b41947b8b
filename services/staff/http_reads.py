"""Staff reads of case data: the region's waiting list and (for auditors) the audit trail.

Every read is written to the audit trail before the data is returned; if that write
fails, nothing is shown (503).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Request, Response
from litestar.datastructures import State
from litestar.exceptions import PermissionDeniedException
from litestar.params import Parameter

from proto.regions import REGIONS
from proto.views import WaitingList
from services.staff.audit_log import AuditLog
from services.staff.audit_trail import AuditUnavailable
from services.staff.desk import StaffDesk
from services.staff.domain.access import ALL_REGIONS, Principal
from services.staff.http_auth import authorised_caller, known_region
from services.staff.http_forecast import with_ranges
from services.staff.http_models import REGION_PATTERN, AuditEntry, AuditPage
from services.staff.http_routes import read_route
from services.staff.problems import not_shown, problem_response, queue_away
from services.staff.queue_views import QueueViews


@read_route(
    "/v1/regions/{region:str}/waiting", "The region's waiting list, most urgent first, one page at a time"
)
async def waiting(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    region: Annotated[str, Parameter(pattern=REGION_PATTERN, description="e.g. SE-C")],
    offset: Annotated[int, Parameter(ge=0, le=10_000_000, description="0-based first position")] = 0,
    limit: Annotated[int, Parameter(ge=1, le=500, description="page size")] = 50,
) -> Response[WaitingList]:
    """Position, urgency, wait, due-by (the urgency's time frame) and heads-up of each waiting case."""
    known_region(region)
    desk: StaffDesk = state.desk
    caller = await authorised_caller(request, principal, "read-waiting", region, desk)
    views: QueueViews = state.queue_views
    page = await views.waiting(region, offset, limit)
    if page is None:
        return queue_away()
    forecast_status, forecast = await views.forecast(region)  # the ranges; the list stands without them
    if forecast_status == 200:
        page = with_ranges(page, forecast, dt.datetime.now(dt.UTC))
    try:
        await desk.shown(caller, "read-waiting", region, tuple(c.case_id for c in page.cases))
    except AuditUnavailable:
        return not_shown()
    return Response(page)


@read_route("/v1/audit", "Audit records by case, actor, region and time range (auditors)")
async def audit(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    case_id: Annotated[str, Parameter(max_length=64, description="records about this case")] = "",
    actor: Annotated[str, Parameter(max_length=128, description="records of this staff member (sub)")] = "",
    region: Annotated[
        str, Parameter(pattern=REGION_PATTERN + "|^$", description="one region of the token's")
    ] = "",
    since: Annotated[dt.datetime | None, Parameter(description="from (inclusive), RFC 3339")] = None,
    until: Annotated[dt.datetime | None, Parameter(description="to (exclusive), RFC 3339")] = None,
    limit: Annotated[int, Parameter(ge=1, le=1000)] = 100,
) -> Response[AuditPage]:
    """The audit trail, oldest first, limited to the regions of the auditor's token."""
    if region:
        known_region(region)
    desk: StaffDesk = state.desk
    caller = await authorised_caller(request, principal, "read-audit", region, desk)
    if (since and since.tzinfo is None) or (until and until.tzinfo is None):
        return problem_response(422, "since and until need a UTC offset, e.g. 2026-11-23T08:00:00Z")  # type: ignore[return-value]
    log: AuditLog = state.audit_log
    regions = _visible(principal, region)
    found = log.index.query(
        case_id=case_id, actor=actor, regions=regions, since=since, until=until, limit=limit
    )
    try:
        await desk.trail.record(
            caller.audit("read-audit", "ok", region, case_id, detail=f"actor={actor}" if actor else "")
        )
    except AuditUnavailable:
        return not_shown()
    return Response(AuditPage(records=[_entry(e) for e in found]))


def _visible(principal: Principal, region: str) -> frozenset[str] | None:
    if region:
        return frozenset({region})
    if ALL_REGIONS in principal.regions:
        return None
    if not principal.regions & REGIONS.keys():
        raise PermissionDeniedException(detail="the token covers no region")
    return principal.regions


def _entry(e: Any) -> AuditEntry:
    return AuditEntry(
        event_id=e.event_id,
        occurred_at=e.occurred_at.isoformat(),
        actor=e.actor,
        role=e.role,
        action=e.action,
        outcome=e.outcome,
        region=e.region,
        case_id=e.case_id,
        case_ids=list(e.case_ids),
        client=e.client,
        request_id=e.request_id,
        detail=e.detail,
    )


READ_HANDLERS = [waiting, audit]
