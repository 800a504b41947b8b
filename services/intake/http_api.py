"""Intake's HTTP edge (Litestar): parse, call the use case, answer. OpenAPI at /openapi.json."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Annotated, Any

from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi import ResponseSpec
from litestar.params import Parameter

from services.http_edge.problems import problem_spec
from services.http_edge.routes import edge_routes, openapi_config
from services.intake.deadlines import Deadlines
from services.intake.domain.case_access import token_matches
from services.intake.domain.identity import InvalidIdentity, parse_identity
from services.intake.domain.patient_access import owns
from services.intake.domain.submission_form import InvalidSubmission
from services.intake.domain.token_bucket import TokenBuckets
from services.intake.http_bodies import CaseView, TriageRequest, TriageResponse
from services.intake.lifecycle import intake_lifespan, load_rules
from services.intake.metrics import HTTP_LATENCY, HTTP_REQUESTS
from services.intake.patient_api import PATIENT_HANDLERS, PATIENT_TOKEN, case_view, logged_in
from services.intake.patient_api import SECURITY as PATIENT_SECURITY
from services.intake.patient_login import PatientVerifier
from services.intake.problems import (
    EXCEPTION_HANDLERS,
    Problem,
    invalid_submission_response,
    problem_response,
)
from services.intake.rate_limit import RateLimitMiddleware
from services.intake.settings import IntakeSettings
from services.intake.submissions import TriageService
from services.intake.triage_answer import triage_answer
from services.observability.http_metrics import http_metrics


@post(
    "/v1/triage",
    status_code=202,
    # The patient's identity token (INTAKE_SUBMIT_IDENTITY=required, the default once a login
    # gateway is configured): without it the answer is 401, so the operation declares it.
    security=PATIENT_SECURITY,
    responses={
        200: ResponseSpec(
            TriageResponse,
            description="refer (with advice and reason), duplicate (existing case), full (region over "
            "capacity) or long_wait (Prio 4-5: cannot be called within the time frame; may choose to wait)",
            generate_examples=False,
        ),
        400: problem_spec("malformed request"),
        401: problem_spec(
            "no patient token, or an invalid one (when intake requires the patient's identity)"
        ),
        403: problem_spec("the personnummer is not the logged-in patient's: submit only for yourself"),
        413: problem_spec("body too large"),
        422: problem_spec("invalid fields, one entry per field"),
        429: problem_spec("rate limited; see Retry-After"),
        503: problem_spec("at capacity or timed out; retry with the same submission_id"),
    },
)
async def submit_triage(data: TriageRequest, request: Request[Any, Any, Any]) -> Response[TriageResponse]:
    """Triage a submission: 202 queued with case id and urgency, 200 refer/duplicate/full/long_wait, 422 invalid.

    A case its region cannot call within its urgency's time frame (closed until after it, or an
    estimate whose lower bound ends after it) is not queued: Prio 1-3 get ``refer`` with reason
    ``opens_too_late`` or ``wait_too_long`` and where to go now; Prio 4-5 get ``long_wait`` and may
    send the submission again with ``accept_long_wait: true`` to wait anyway.

    With patient login configured (INTAKE_PATIENT_ISSUER), the patient's identity token must name
    the body's personnummer (INTAKE_SUBMIT_IDENTITY=required, the default; ``optional``: only
    when a token is sent): 401 without a valid token, 403 for someone else's number.
    """
    state = request.app.state  # not a ``state`` parameter: Litestar would build a State for each request
    service: TriageService = state.triage
    if (refused := await _not_the_caller(state, request, data.personnummer)) is not None:
        return refused  # type: ignore[return-value]
    try:
        async with state.deadlines.within(service.settings.request_timeout_s):  # one timer per 50 ms
            outcome = await service.submit(data, dt.datetime.now(dt.UTC))  # decoded once, here
    except TimeoutError:
        return problem_response(
            503,
            "intake timed out: retry with the same submission_id",  # type: ignore[return-value]
            headers={"retry-after": "1"},
        )
    answer = triage_answer(service, outcome, data.language, dt.datetime.now(dt.UTC))
    return Response(
        TriageResponse(
            status=outcome.status,
            case_id=outcome.case_id,  # type: ignore[arg-type]
            urgency=outcome.urgency,
            advice=answer.advice,
            rule_id=outcome.rule_id,
            reason=outcome.reason or None,  # type: ignore[arg-type]
            case_token=answer.case_token,
            region_open=answer.region_open,
            opens_at=answer.opens_at,
        ),
        status_code=202 if outcome.status == "queued" else 200,
    )


async def _not_the_caller(
    state: State, request: Request[Any, Any, Any], personnummer: str
) -> Response[Any] | None:
    """403 when the patient token names another person than the body; None when it may go on.

    A body whose personnummer does not parse goes on, to be answered 422 with every bad field.
    """
    verifier: PatientVerifier = state.patients
    authorization = request.headers.get("authorization")
    if verifier.login is None or (not authorization and verifier.login.submit == "optional"):
        return None
    patient = await logged_in(state, authorization)
    try:
        number = parse_identity(personnummer).number
    except InvalidIdentity:
        return None
    if hmac.compare_digest(number.encode(), patient.number.encode()):
        return None
    return problem_response(
        403,
        "the personnummer in the submission is not the logged-in patient's: "
        "a patient can submit only for themselves",
    )


@get(
    "/v1/cases/{case_id:str}",
    security=[{}, {"patientToken": []}],
    responses={
        401: problem_spec("neither a case token nor a valid patient token"),
        404: problem_spec("unknown case, a case token that is not this case's, or another person's case"),
        422: problem_spec("invalid case id"),
        429: problem_spec("rate limited; see Retry-After"),
        503: problem_spec("at capacity; see Retry-After"),
    },
)
async def get_case(
    case_id: Annotated[str, Parameter(max_length=64)],
    state: State,
    request: Request[Any, Any, Any],
    token: Annotated[
        str | None,
        Parameter(
            header="x-case-token",
            max_length=128,
            description=("the case_token from the POST /v1/triage answer: proves the case is yours"),
        ),
    ] = None,
) -> Response[CaseView]:
    """The case as the patient sees it (status, region, position and estimate, outcome, advice).

    Only for the patient it belongs to: the ``x-case-token`` header carries the case's token (the
    SMS/anonymous path), or ``Authorization: Bearer`` the identity token of the person whose
    case it is. A wrong token, another person's case and an unknown case get the same 404, so
    case ids cannot be probed.
    """
    service: TriageService = state.triage
    authorization = request.headers.get("authorization")
    if not token and not authorization:
        return problem_response(
            401,
            "send the case_token you got with the case in the x-case-token "  # type: ignore[return-value]
            "header, or log in and send your identity token (Authorization: Bearer)",
        )
    case = service.view.case(case_id)
    allowed = bool(token) and case is not None and token_matches(state.token_key, case_id, token or "")
    if not allowed and authorization:  # either proof will do: the case token, or being its person
        patient = await logged_in(state, authorization)
        allowed = case is not None and owns(patient.pseudonym, case)
    if case is None or not allowed:
        return problem_response(
            404,
            "no such case for this token: check the case id and "  # type: ignore[return-value]
            "the case_token from the submission's answer",
        )
    return Response(case_view(state, case, dt.datetime.now(dt.UTC)))


def document_retry_after(schema: dict[str, Any]) -> dict[str, Any]:
    """Say in the document what the service does: 429/503 carry ``Retry-After``; invalid
    parameters are 422 problem+json (Litestar's generic 400 application/json never happens)."""
    header = {
        "Retry-After": {
            "description": "seconds to wait before retrying",
            "schema": {"type": "integer", "minimum": 1},
        }
    }
    for operations in schema.get("paths", {}).values():
        for op in operations.values():
            responses = op.get("responses", {}) if isinstance(op, dict) else {}
            for code in ("429", "503"):
                if code in responses:
                    responses[code].setdefault("headers", {}).update(header)
            if "application/json" in responses.get("400", {}).get("content", {}):
                del responses["400"]
    return schema


def create_app(settings: IntakeSettings) -> Litestar:
    """The intake ASGI app. Loads and checks the rules now (refusing to start on a bad file);
    Kafka and the queue client start in the lifespan, never at import."""
    rules = load_rules(settings.rules_path)
    buckets = TokenBuckets(settings.rate_per_s, settings.rate_burst, settings.rate_max_clients)

    def rate_limited(app: Any) -> Any:
        return RateLimitMiddleware(app, buckets, settings.max_in_flight)

    return Litestar(
        route_handlers=[
            submit_triage,
            get_case,
            *PATIENT_HANDLERS,
            *edge_routes(
                "the producer is up and the submission index has caught up with Kafka.", document_retry_after
            ),
        ],
        lifespan=[intake_lifespan(settings)],
        state=State(
            {
                "rules": rules,
                "ready": False,
                "token_key": settings.token_key(),
                "deadlines": Deadlines(),
                "patients": PatientVerifier(settings.patient_login, settings.pseudonym_key),
            }
        ),
        exception_handlers={**EXCEPTION_HANDLERS, InvalidSubmission: _invalid},  # type: ignore[dict-item]
        # metrics first, so requests refused by the rate limiter (429/503) are counted too
        middleware=[http_metrics(HTTP_REQUESTS, HTTP_LATENCY), rate_limited],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=openapi_config(
            "triage intake", "Intake of a 1177-direkt-style triage queue.", {"patientToken": PATIENT_TOKEN}
        ),
        debug=False,
    )


def _invalid(request: Request[Any, Any, Any], exc: InvalidSubmission) -> Response[Problem]:
    return invalid_submission_response(exc)


def app_from_env() -> Litestar:
    """The app built from the environment: the factory each ``--workers`` process imports."""
    from services.observability.json_logs import configure_logging

    app = create_app(IntakeSettings.from_env())
    configure_logging("intake")  # after create_app: Litestar applies its own logging config
    return app
