"""Staff commands over HTTP: serve-next answers who was called; per-case commands answer
how the queue decided. The actor is always the token's subject, never the body's."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, post
from litestar.datastructures import State
from litestar.params import Parameter

from proto import events as ev
from services.staff import closing
from services.staff.audit_trail import AuditUnavailable
from services.staff.case_log import CaseLog
from services.staff.desk import AnswerTimeout, CommandNotSent, StaffDesk
from services.staff.domain.access import Principal
from services.staff.domain.request_binding import RequestIdReused
from services.staff.http_auth import GUARDS, SECURITY, authorised_caller, known_region
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
from services.staff.problems import RESPONSES, problem_response

CaseId = Annotated[str, Parameter(pattern=r"^[A-Za-z0-9._:-]{1,64}$", description="the case id")]
Region = Annotated[str, Parameter(pattern=REGION_PATTERN, description="ISO 3166-2:SE region code, e.g. SE-C")]
COMMAND_RESPONSES = RESPONSES
# The queue called the case, so intake's CaseTriaged is on the broker; staff's reader may lag.
TRIAGED_WAIT_S = 1.0


async def _run(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    action: str,
    region: str,
    command: ev.Command,
    bound_to: object | None = None,
) -> Response[Any]:
    known_region(region)
    desk: StaffDesk = state.desk
    caller = await authorised_caller(
        request, principal, action, region, desk, getattr(command, "case_id", "")
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
            case_log: CaseLog = state.case_log  # the clinical part: intake's CaseTriaged (issue 25)
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


def _rid(body: Any) -> str:
    """The client's idempotency key, or a fresh one."""
    return str(body.request_id) if body is not None and body.request_id else ev.new_id()


@post(
    "/v1/regions/{region:str}/serve-next",
    status_code=200,
    security=SECURITY,
    guards=GUARDS,
    responses=COMMAND_RESPONSES,
    summary="Call the next patient (answers who, or that nobody waits)",
)
async def serve_next(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    region: Region,
    data: CaseActionRequest | None = None,
) -> Response[CommandResult]:
    """The most urgent waiting patient of the region is called for the token's subject."""
    return await _run(
        request,
        state,
        principal,
        "serve-next",
        region,
        ev.ServeNext(region=region, clinician_id=principal.subject, request_id=_rid(data)),
    )


@post(
    "/v1/regions/{region:str}/cases/{case_id:str}/no-show",
    status_code=200,
    security=SECURITY,
    guards=GUARDS,
    responses=COMMAND_RESPONSES,
    summary="The called patient did not answer",
)
async def no_show(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    region: Region,
    case_id: CaseId,
    data: CaseActionRequest | None = None,
) -> Response[CommandResult]:
    """Requeue the called case at the front of its level, or close it after the last attempt."""
    return await _run(
        request,
        state,
        principal,
        "no-show",
        region,
        ev.MarkNoShow(region=region, case_id=case_id, by=principal.subject, request_id=_rid(data)),
    )


@post(
    "/v1/regions/{region:str}/cases/{case_id:str}/complete",
    status_code=200,
    security=SECURITY,
    guards=GUARDS,
    responses=COMMAND_RESPONSES,
    summary="The called patient was helped",
)
async def complete(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    region: Region,
    case_id: CaseId,
    data: closing.CompleteRequest,
) -> Response[CommandResult]:
    """Close a called case as completed, with its outcome and the advice for the patient.

    The advice (and a booked visit's clinic and time) is sealed before it leaves this API; the
    patient reads it in their own case view. A link in it is refused (422 naming the field).
    """
    command = closing.complete_command(region, case_id, principal.subject, _rid(data), data, state.advice_key)
    if isinstance(command, list):
        return closing.invalid(command)
    return await _run(request, state, principal, "complete", region, command)


@post(
    "/v1/regions/{region:str}/cases/{case_id:str}/reprioritise",
    status_code=200,
    security=SECURITY,
    guards=GUARDS,
    responses=COMMAND_RESPONSES,
    summary="Move a waiting case to another urgency",
)
async def reprioritise(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    region: Region,
    case_id: CaseId,
    data: ReprioritiseRequest,
) -> Response[CommandResult]:
    """Change a waiting case's urgency, with a reason; it keeps its join time."""
    return await _run(
        request,
        state,
        principal,
        "reprioritise",
        region,
        ev.Reprioritise(
            region=region,
            case_id=case_id,
            urgency=data.urgency,
            reason=data.reason,
            by=principal.subject,
            request_id=_rid(data),
        ),
    )


@post(
    "/v1/regions/{region:str}/cases/{case_id:str}/cancel",
    status_code=200,
    security=SECURITY,
    guards=GUARDS,
    responses=COMMAND_RESPONSES,
    summary="Withdraw a waiting case",
)
async def cancel(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    region: Region,
    case_id: CaseId,
    data: CancelRequest,
) -> Response[CommandResult]:
    """Cancel a waiting case, with a reason."""
    return await _run(
        request,
        state,
        principal,
        "cancel",
        region,
        ev.CancelCase(
            region=region, case_id=case_id, reason=data.reason, by=principal.subject, request_id=_rid(data)
        ),
    )


@post(
    "/v1/regions/{region:str}/cases/{case_id:str}/transfer",
    status_code=200,
    security=SECURITY,
    guards=GUARDS,
    responses=COMMAND_RESPONSES,
    summary="Move a waiting case to another region (team-lead)",
)
async def transfer(
    request: Request[Any, Any, Any],
    state: State,
    principal: Principal,
    region: Region,
    case_id: CaseId,
    data: TransferRequest,
) -> Response[CommandResult]:
    """Transfer a waiting case to another region, keeping its original join time."""
    return await _run(
        request,
        state,
        principal,
        "transfer",
        region,
        ev.TransferCase(
            region=region,
            case_id=case_id,
            to_region=data.to_region,
            reason=data.reason,
            by=principal.subject,
            request_id=_rid(data),
        ),
    )


run_command = _run  # for the other command modules (opening hours: http_hours.py)

COMMAND_HANDLERS = [serve_next, no_show, complete, reprioritise, cancel, transfer]
