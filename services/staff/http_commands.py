"""Staff commands over HTTP: serve-next answers who was called; per-case commands answer
how the queue decided. The actor is always the token's subject, never the body's."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response
from litestar.datastructures import State
from litestar.params import Parameter

from proto import events as ev
from services.staff import closing
from services.staff.audit_trail import AuditUnavailable
from services.staff.case_log import CaseLog
from services.staff.desk import AnswerTimeout, CommandNotSent, StaffDesk
from services.staff.domain.access import Principal
from services.staff.domain.request_binding import RequestIdReused
from services.staff.http_auth import authorised_caller, known_region
from services.staff.http_cases import with_case_file
from services.staff.http_models import (
    REGION_PATTERN,
    CalledCase,
    CancelRequest,
    CaseActionRequest,
    CommandResult,
    ReprioritiseRequest,
    TransferRequest,
)
from services.staff.http_routes import StaffCall, command_route
from services.staff.problems import problem_response

CaseId = Annotated[str, Parameter(pattern=r"^[A-Za-z0-9._:-]{1,64}$", description="the case id")]
Region = Annotated[str, Parameter(pattern=REGION_PATTERN, description="ISO 3166-2:SE region code, e.g. SE-C")]

# The queue called the case, so intake's CaseTriaged is on the broker; staff's reader may lag.
TRIAGED_WAIT_S = 1.0


async def _run(
    call: StaffCall, action: str, region: str, command: ev.Command, bound_to: object | None = None
) -> Response[Any]:
    known_region(region)
    desk: StaffDesk = call.state.desk
    caller = await authorised_caller(
        call.request, call.principal, action, region, desk, getattr(command, "case_id", "")
    )
    try:
        answer = await desk.command(caller, action, command, bound_to)
    except RequestIdReused as exc:
        return problem_response(409, str(exc), type_="/problems/request-id-reused")
    except (AuditUnavailable, CommandNotSent) as exc:
        return problem_response(503, f"{exc}; nothing was done. Retry shortly.", headers={"retry-after": "2"})
    except AnswerTimeout:
        return problem_response(
            504,
            f"the queue did not answer in time. The command may still be decided: "
            f"retry with the same request_id {command.request_id!r} (a retry is answered "
            "the same way, never done twice).",
            type_="/problems/answer-timeout",
        )
    match answer:
        case ev.CommandRejected():
            return problem_response(
                409, f"the queue refused {action}: {answer.reason}", type_="/problems/command-rejected"
            )
        case ev.CaseCalled():
            waited = max(0.0, (answer.called_at - answer.queued_at).total_seconds())
            called = CalledCase(
                case_id=answer.case_id,
                urgency=answer.urgency,
                waited_seconds=waited,
                queued_at=answer.queued_at.isoformat(),
                person_pseudonym=answer.person_pseudonym,
                region=answer.region,
                language=answer.language,
            )
            case_log: CaseLog = call.state.case_log  # the clinical part: intake's CaseTriaged (issue 25)
            called = with_case_file(called, await case_log.triaged_file(answer.case_id, TRIAGED_WAIT_S))
            return _result(answer, caller.principal, "called", called)
        case ev.ServeNextEmpty():
            return _result(answer, caller.principal, "empty")
    return _result(answer, caller.principal, "done")


def _result(
    answer: ev.Message,
    principal: Principal,
    outcome: str,
    case: CalledCase | None = None,
) -> Response[Any]:
    return Response(
        CommandResult(
            outcome=outcome,
            request_id=getattr(answer, "request_id", ""),  # type: ignore[arg-type]
            region=getattr(answer, "region", ""),
            actor=principal.subject,
            event_type=type(answer).__name__,
            case=case,
            case_id=getattr(answer, "case_id", None),
            version=getattr(answer, "version", None),
        ),
        status_code=200,
    )


def _by(call: StaffCall, body: Any) -> dict[str, str]:
    """Who sends the command (the token's subject) and its idempotency key."""
    return {"by": call.principal.subject, "request_id": _rid(body)}


def _rid(body: Any) -> str:
    """The client's idempotency key, or a fresh one."""
    return str(body.request_id) if body is not None and body.request_id else ev.new_id()


@command_route(
    "/v1/regions/{region:str}/serve-next", "Call the next patient (answers who, or that nobody waits)"
)
async def serve_next(
    call: StaffCall, region: Region, data: CaseActionRequest | None = None
) -> Response[CommandResult]:
    """The most urgent waiting patient of the region is called for the token's subject."""
    return await _run(
        call,
        "serve-next",
        region,
        ev.ServeNext(region=region, clinician_id=call.principal.subject, request_id=_rid(data)),
    )


@command_route("/v1/regions/{region:str}/cases/{case_id:str}/no-show", "The called patient did not answer")
async def no_show(
    call: StaffCall, region: Region, case_id: CaseId, data: CaseActionRequest | None = None
) -> Response[CommandResult]:
    """Requeue the called case at the front of its level, or close it after the last attempt."""
    return await _run(
        call,
        "no-show",
        region,
        ev.MarkNoShow(region=region, case_id=case_id, **_by(call, data)),
    )


@command_route("/v1/regions/{region:str}/cases/{case_id:str}/complete", "The called patient was helped")
async def complete(
    call: StaffCall, region: Region, case_id: CaseId, data: closing.CompleteRequest
) -> Response[CommandResult]:
    """Close a called case as completed, with its outcome and the advice for the patient.

    The advice (and a booked visit's clinic and time) is sealed before it leaves this API; the
    patient reads it in their own case view. A link in it is refused (422 naming the field).
    """
    command = closing.complete_command(
        region, case_id, call.principal.subject, _rid(data), data, call.state.advice_key
    )
    if isinstance(command, list):
        return closing.invalid(command)
    return await _run(call, "complete", region, command)


@command_route(
    "/v1/regions/{region:str}/cases/{case_id:str}/reprioritise", "Move a waiting case to another urgency"
)
async def reprioritise(
    call: StaffCall, region: Region, case_id: CaseId, data: ReprioritiseRequest
) -> Response[CommandResult]:
    """Change a waiting case's urgency, with a reason; it keeps its join time."""
    return await _run(
        call,
        "reprioritise",
        region,
        ev.Reprioritise(
            region=region, case_id=case_id, urgency=data.urgency, reason=data.reason, **_by(call, data)
        ),
    )


@command_route("/v1/regions/{region:str}/cases/{case_id:str}/cancel", "Withdraw a waiting case")
async def cancel(
    call: StaffCall, region: Region, case_id: CaseId, data: CancelRequest
) -> Response[CommandResult]:
    """Cancel a waiting case, with a reason."""
    return await _run(
        call,
        "cancel",
        region,
        ev.CancelCase(region=region, case_id=case_id, reason=data.reason, **_by(call, data)),
    )


@command_route(
    "/v1/regions/{region:str}/cases/{case_id:str}/transfer",
    "Move a waiting case to another region (team-lead)",
)
async def transfer(
    call: StaffCall, region: Region, case_id: CaseId, data: TransferRequest
) -> Response[CommandResult]:
    """Transfer a waiting case to another region, keeping its original join time."""
    return await _run(
        call,
        "transfer",
        region,
        ev.TransferCase(
            region=region, case_id=case_id, to_region=data.to_region, reason=data.reason, **_by(call, data)
        ),
    )


async def run_command(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    action: str,
    region: str,
    command: ev.Command,
    bound_to: object | None = None,
) -> Response[Any]:
    """A command of another module (opening hours: http_hours.py), run like these."""
    return await _run(StaffCall(request, state, principal), action, region, command, bound_to)


COMMAND_HANDLERS = [serve_next, no_show, complete, reprioritise, cancel, transfer]
