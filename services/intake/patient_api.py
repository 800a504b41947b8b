"""The patient's own cases over HTTP: ``GET /v1/cases``, ``DELETE /v1/cases/{id}``, and the case view.

Both routes need the patient's identity token (``Authorization: Bearer``, from the login
gateway; see patient_login.py). A case is the caller's when the token's person pseudonym is
the case's. Another person's case and an unknown case get the same 404, so case ids cannot
be probed. Everything is answered from intake's read model (QueueView + PatientCases),
rebuilt from triage.events and queue.events at start; a withdrawal is a CancelCase on
queue.commands, decided by the queue like a staff cancellation.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Request, Response, delete, get
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, NotFoundException, ServiceUnavailableException
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import SecurityScheme
from litestar.params import Parameter

from proto import events as ev
from proto import topics
from services.auth.jwt_tokens import IssuerUnavailable, TokenRejected
from services.http_edge.problems import problem_response, problem_spec
from services.intake.domain.case_status import CaseStatus
from services.intake.domain.frame_check import past_frame_advice
from services.intake.domain.patient_access import owns, patient_actor, withdrawal
from services.intake.domain.staffed_hours import case_estimate, region_status
from services.intake.http_bodies import CaseList, CaseView
from services.intake.patient_login import Patient, PatientVerifier
from services.intake.patient_outcome import clinician_outcome
from services.intake.submissions import TriageService
from services.kafka.tail import read_when

REALM = 'Bearer realm="triage-patient"'
SECURITY: list[dict[str, list[str]]] = [{"patientToken": []}]
PATIENT_TOKEN = SecurityScheme(
    type="http",
    scheme="bearer",
    bearer_format="JWT",
    description=(
        "The patient's identity token from the e-legitimation login gateway (BankID/Freja): "
        "`sub` is the personnummer; iss, aud and exp are checked (dev: `triage token --patient ...`)."
    ),
)
NOT_YOURS = "no such case among yours: check the case id (cases of other people are not shown)"
WITHDRAW_WAIT_S = 5.0  # how long DELETE waits for the queue's answer before saying 202 "on its way"


AUTH_RESPONSES = {
    401: problem_spec("no patient token, or an invalid or expired one: log in again"),
    429: problem_spec("rate limited; see Retry-After"),
    503: problem_spec(
        "the login gateway's keys cannot be fetched, or intake is at capacity; see Retry-After"
    ),
}


async def logged_in(state: State, authorization: str | None) -> Patient:
    """The patient of the request's identity token; 401 (or 503: issuer keys unreachable) otherwise."""
    verifier: PatientVerifier = state.patients
    try:
        return await verifier.patient(authorization)
    except TokenRejected as exc:
        challenge = REALM if not authorization else f'{REALM}, error="invalid_token"'
        raise NotAuthorizedException(detail=str(exc), headers={"WWW-Authenticate": challenge}) from None
    except IssuerUnavailable as exc:
        raise ServiceUnavailableException(detail=str(exc), headers={"retry-after": "5"}) from None


def case_view(state: State, case: CaseStatus, now: dt.datetime) -> CaseView:
    """One case as the patient sees it: status, current region, position and estimate while
    waiting, outcome (and why, in patient terms) once finished, and the advice given at triage."""
    service: TriageService = state.triage
    view = service.view
    facts = view.patients.facts(case.case_id)
    position = view.position(case.case_id)
    hours = view.hours_of(case.region, service.settings.hours)  # a team lead's change wins over the file
    status = region_status(hours, now)
    wait = (
        None
        if position is None
        else case_estimate(
            position,
            view.serving_rate_per_minute(case.region, now.timestamp()),
            view.rate_window_s,
            hours,
            now,
            service.settings.eta,
        )
    )
    late = None  # issue 25: a waiting case that will now miss its time frame says so here too
    if position is not None and case.queued_at is not None:
        late = service.past_frame(
            case.region,
            case.urgency,
            now,
            position=position,
            waited_s=max(0.0, (now - case.queued_at).total_seconds()),
        )
    language = facts.language if facts is not None and facts.language else "sv"
    forecast = view.forecasts.range_of(case.case_id, now) if position is not None else None
    shown = None if forecast is None else forecast.estimate
    advice = ""
    if facts is not None:  # records older than CaseTriaged.advice: the rule's advice, rebuilt
        advice = facts.advice or (
            service.rules.rule_advice(facts.rule_id, facts.language) if facts.rule_id else ""
        )
    return CaseView(
        case_id=case.case_id,
        region=case.region,
        status=case.status,
        urgency=case.urgency,
        position=position,
        estimated_wait_seconds=None if wait is None else wait.point_s,
        estimated_wait_low_seconds=None if wait is None else wait.low_s,
        estimated_wait_high_seconds=None if wait is None else wait.high_s,
        estimated_wait_text=None if wait is None else wait.text(language),
        estimate_basis=None if wait is None else wait.basis,  # type: ignore[arg-type]
        wait_forecast_text=None
        if shown is None
        else f"{'oftast' if language == 'sv' else 'usually'} {shown.text(language)}",
        wait_forecast_low_seconds=None if shown is None else shown.low_s,
        wait_forecast_median_seconds=None if shown is None else shown.point_s,
        wait_forecast_high_seconds=None if shown is None else shown.high_s,
        wait_forecast_updated_at=None if forecast is None else iso(forecast.as_of),
        wait_forecast_moved=None if forecast is None else forecast.moved,
        region_open=status.open,
        opens_at=iso(status.opens_at),
        queued_at=case.queued_at.isoformat() if case.queued_at and case.status != "pending" else None,
        duplicate_of=case.duplicate_of or None,
        outcome=case.outcome or None,  # type: ignore[arg-type]
        outcome_reason=(facts.cancel_reason or None) if facts and case.status == "cancelled" else None,  # type: ignore[arg-type]
        symptom=facts.symptom or None if facts else None,
        triaged_at=iso(facts.since) if facts else None,
        advice=advice or None,
        called_at=iso(facts.called_at) if facts else None,
        finished_at=iso(facts.finished_at) if facts else None,
        clinician=clinician_outcome(facts, service.advice_keys) if case.status == "closed" else None,
        transferred_from=list(facts.transferred_from) if facts else [],
        time_frame_reason=late.reason if late else None,
        time_frame_advice=past_frame_advice(service.rules, late, case.urgency, language) if late else None,
    )


def iso(at: dt.datetime | None) -> str | None:
    """UTC ISO 8601 with a Z, or None."""
    return None if at is None else at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@get(
    "/v1/cases",
    security=SECURITY,
    responses={
        **AUTH_RESPONSES,  # type: ignore[dict-item]
        422: problem_spec("offset or limit out of range (offset 0..1000, limit 1..50)"),
    },
)
async def list_cases(
    request: Request[Any, Any, Any],
    state: State,
    offset: Annotated[int, Parameter(ge=0, le=1000, description="cases to skip (most recent first)")] = 0,
    limit: Annotated[int, Parameter(ge=1, le=50, description="cases per page")] = 20,
) -> CaseList:
    """The logged-in patient's cases, open and closed, most recent first.

    Each with status, current region (across transfers), urgency, position and estimated wait
    while waiting, the outcome once finished (and, if cancelled, why: withdrawn_by_patient,
    cancelled_by_staff or duplicate), the advice given at triage and, once completed, how the
    clinician closed it (``clinician``: the outcome, their advice, a booked visit's clinic and time).
    """
    patient = await logged_in(state, request.headers.get("authorization"))
    service: TriageService = state.triage
    now = dt.datetime.now(dt.UTC)
    ids = service.view.patients.case_ids_of(patient.pseudonym)
    cases = [c for i in ids if (c := service.view.case(i)) is not None and owns(patient.pseudonym, c)]
    page = cases[offset : offset + limit]
    return CaseList(
        cases=[case_view(state, c, now) for c in page], total=len(cases), offset=offset, limit=limit
    )


@delete(
    "/v1/cases/{case_id:str}",
    status_code=202,
    security=SECURITY,
    responses={
        **AUTH_RESPONSES,  # type: ignore[dict-item]
        202: ResponseSpec(CaseView, description="withdrawn, or the withdrawal is on its way to the queue"),
        404: problem_spec("no such case among the caller's (unknown and other people's cases alike)"),
        409: problem_spec("the case is called, closed or cancelled already: it cannot be withdrawn"),
        422: problem_spec("invalid case id"),
    },
)
async def withdraw_case(
    case_id: Annotated[str, Parameter(max_length=64)], request: Request[Any, Any, Any], state: State
) -> Response[CaseView]:
    """Withdraw one of the caller's waiting (or pending) cases: reason ``withdrawn_by_patient``.

    Sends the queue a CancelCase (actor: a pseudonymous patient id) and waits briefly for its
    answer: 202 with the case (``cancelled``; still ``waiting`` if the queue has not answered
    within 5 s: the withdrawal is on its way). A repeated DELETE is answered 202 again. 409 when
    the case was called, closed or cancelled by staff first. No SMS is sent for a withdrawal.
    """
    patient = await logged_in(state, request.headers.get("authorization"))
    service: TriageService = state.triage
    case = service.view.case(case_id)
    if case is None or not owns(patient.pseudonym, case):
        raise NotFoundException(detail=NOT_YOURS)
    decision = withdrawal(case, service.view.patients.facts(case_id))
    if decision.action == "conflict":
        return problem_response(409, decision.why)  # type: ignore[return-value]
    if decision.action == "send":
        await service.publisher.publish(
            topics.QUEUE_COMMANDS,
            case.region,
            ev.CancelCase(
                region=case.region,
                request_id=decision.request_id,
                case_id=case_id,
                reason=ev.WITHDRAWN_BY_PATIENT,
                by=patient_actor(patient.pseudonym),
            ),
        )
        case = await _answered(service, case_id, case)
        if case.status in ("called", "closed"):
            return problem_response(  # type: ignore[return-value]
                409, "a clinician called you before the withdrawal reached the queue: answer the call"
            )
    return Response(case_view(state, case, dt.datetime.now(dt.UTC)), status_code=202)


async def _answered(service: TriageService, case_id: str, before: CaseStatus) -> CaseStatus:
    """The case once the queue has answered the withdrawal (left waiting), or as it is after the wait."""
    return await read_when(
        lambda: service.view.case(case_id) or before,
        lambda case: case.status not in ("pending", "waiting"),
        WITHDRAW_WAIT_S,  # the tail folds queue.events within milliseconds
    )


PATIENT_HANDLERS = [list_cases, withdraw_case]
