"""Intake's HTTP edge (Litestar): parse, call the use case, answer. OpenAPI at /openapi.json."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.params import Parameter
from msgspec import Meta
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from services.intake.domain.submission_form import InvalidSubmission
from services.intake.lifecycle import intake_lifespan, load_rules
from services.intake.problems import (
    EXCEPTION_HANDLERS, PROBLEM_JSON, Problem, invalid_submission_response, problem_response,
)
from services.intake.rate_limit import RateLimitMiddleware
from services.intake.domain.token_bucket import TokenBuckets
from services.intake.settings import IntakeSettings
from services.intake.submissions import TriageService
from services.intake.metrics import HTTP_LATENCY, HTTP_REQUESTS
from services.observability.http_metrics import http_metrics

SubmissionId = Annotated[str, Meta(pattern=r"^[A-Za-z0-9._:-]{1,64}$", description=(
    "Idempotency key chosen by the client: a retry with the same id gets the same case."))]


class TriageRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A patient's triage submission (already authenticated with e-legitimation)."""

    region: Annotated[str, Meta(max_length=8, examples=["SE-C"],
                                description="ISO 3166-2:SE region code, e.g. SE-C (Uppsala)")]
    personnummer: Annotated[str, Meta(max_length=20, examples=["19900101-0017"],
                                      description="personnummer or samordningsnummer, 10 or 12 digits")]
    phone: Annotated[str, Meta(max_length=24, examples=["070-123 45 67"],
                               description="Swedish mobile number; stored only sealed")]
    symptom: Annotated[str, Meta(max_length=40, examples=["fever"],
                                 description="fever, sore_throat, eye_problems, urinary_problems, "
                                 "cough, back_pain or rash")]
    answers: Annotated[dict[Annotated[str, Meta(max_length=64)], Annotated[str, Meta(max_length=200)] | int | bool],
                       Meta(max_length=32, description="answers to the symptom's questions")] = {}
    language: Literal["sv", "en"] = "sv"
    protected_identity: bool = False
    submission_id: SubmissionId | None = None


class TriageResponse(msgspec.Struct, kw_only=True):
    """The decision: queued (202), or refer / duplicate / full (200), with advice to show."""

    status: Literal["queued", "refer", "duplicate", "full"]
    case_id: str | None = None
    urgency: int | None = None
    advice: str = ""
    rule_id: str = ""


class CaseView(msgspec.Struct, kw_only=True):
    """A case as the queue sees it (status, urgency, position, estimated wait)."""

    case_id: str
    region: str
    status: str
    urgency: int | None = None
    position: int | None = None
    estimated_wait_seconds: float | None = None
    queued_at: str | None = None


def _problem(description: str) -> ResponseSpec:
    return ResponseSpec(Problem, description=description, media_type=PROBLEM_JSON, generate_examples=False)


@post("/v1/triage", status_code=202, responses={
    200: ResponseSpec(TriageResponse, description="refer (with advice), duplicate (existing case) or "
                      "full (region over capacity)", generate_examples=False),
    400: _problem("malformed request"),
    413: _problem("body too large"),
    422: _problem("invalid fields, one entry per field"),
    429: _problem("rate limited; see Retry-After"),
    503: _problem("at capacity or timed out; retry with the same submission_id"),
})
async def submit_triage(data: TriageRequest, state: State) -> Response[TriageResponse]:
    """Triage a submission: 202 queued with case id and urgency, 200 refer/duplicate/full, 422 invalid."""
    service: TriageService = state.triage
    try:
        async with asyncio.timeout(service.settings.request_timeout_s):
            outcome = await service.submit(msgspec.to_builtins(data), dt.datetime.now(dt.timezone.utc))
    except TimeoutError:
        return problem_response(503, "intake timed out: retry with the same submission_id",  # type: ignore[return-value]
                                headers={"retry-after": "1"})
    return Response(
        TriageResponse(status=outcome.status, case_id=outcome.case_id,  # type: ignore[arg-type]
                       urgency=outcome.urgency, advice=outcome.advice, rule_id=outcome.rule_id),
        status_code=202 if outcome.status == "queued" else 200,
    )


@get("/v1/cases/{case_id:str}", responses={
    404: _problem("unknown case"), 422: _problem("invalid case id"),
    429: _problem("rate limited; see Retry-After"), 503: _problem("queue service unreachable or at capacity"),
})
async def get_case(case_id: Annotated[str, Parameter(max_length=64)], state: State) -> Response[CaseView]:
    """The case's status, urgency, position and estimated wait, from the queue service's views."""
    service: TriageService = state.triage
    region = service.index.region_of(case_id)
    if region is None or service.queue is None:
        return problem_response(404, "no such case queued through this intake")  # type: ignore[return-value]
    status, body = await service.queue.case(region, case_id)
    if status == 200 and isinstance(body, dict):
        try:
            return Response(msgspec.convert(body, CaseView, strict=False))
        except msgspec.ValidationError:
            pass
    if status == 404:
        return problem_response(404, "the queue does not know this case (yet): "  # type: ignore[return-value]
                                "retry in a moment")
    return problem_response(503, "the queue service is not answering: retry shortly",  # type: ignore[return-value]
                            headers={"retry-after": "1"})


@get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@get("/readyz", responses={503: ResponseSpec(dict[str, str], description="starting")})
async def readyz(state: State) -> Response[dict[str, str]]:
    """Readiness: the producer is up and the submission index has caught up with Kafka."""
    ready = state.get("ready", False)
    return Response({"status": "ready" if ready else "starting"}, status_code=200 if ready else 503)


@get("/metrics", media_type=CONTENT_TYPE_LATEST, include_in_schema=False)
async def metrics() -> bytes:
    """Prometheus metrics of this process."""
    return generate_latest(REGISTRY)


@get("/openapi.json", include_in_schema=False)
async def openapi_json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 document, generated from the code."""
    return request.app.openapi_schema.to_schema()


def create_app(settings: IntakeSettings) -> Litestar:
    """The intake ASGI app. Loads and checks the rules now (refusing to start on a bad file);
    Kafka and the queue client start in the lifespan, never at import."""
    rules = load_rules(settings.rules_path)
    buckets = TokenBuckets(settings.rate_per_s, settings.rate_burst, settings.rate_max_clients)

    def rate_limited(app: Any) -> Any:
        return RateLimitMiddleware(app, buckets, settings.max_in_flight)

    return Litestar(
        route_handlers=[submit_triage, get_case, healthz, readyz, metrics, openapi_json],
        lifespan=[intake_lifespan(settings)],
        state=State({"rules": rules, "ready": False}),
        exception_handlers={**EXCEPTION_HANDLERS, InvalidSubmission: _invalid},  # type: ignore[dict-item]
        # metrics first, so requests refused by the rate limiter (429/503) are counted too
        middleware=[http_metrics(HTTP_REQUESTS, HTTP_LATENCY), rate_limited],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(title="triage intake", version="1.0.0",
                                     description="Intake of a 1177-direkt-style triage queue."),
        debug=False,
    )


def _invalid(request: Request[Any, Any, Any], exc: InvalidSubmission) -> Response[Problem]:
    return invalid_submission_response(exc)
