"""Intake's HTTP edge (Litestar): parse, call the domain, publish what it decides."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import msgspec
from litestar import Litestar, Response, get, post
from litestar.datastructures import State
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from services.intake.metrics import HTTP_LATENCY, HTTP_REQUESTS
from services.intake.settings import IntakeSettings
from services.intake.submissions import SubmissionRejected, TriageService
from services.kafka.publisher import Publisher
from services.observability.http_metrics import http_metrics


class TriageRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A patient's triage submission."""

    region: str
    personnummer: str
    phone: str
    symptom: str
    answers: dict[str, str | int | bool] = {}
    language: Literal["sv", "en"] = "sv"
    protected_identity: bool = False
    submission_id: str | None = None


class TriageResponse(msgspec.Struct, kw_only=True):
    status: Literal["queued", "refer"]
    case_id: str | None = None
    urgency: int | None = None
    advice: str = ""


class ErrorResponse(msgspec.Struct, kw_only=True):
    errors: dict[str, str]


@post("/v1/triage", status_code=202)
async def submit_triage(data: TriageRequest, state: State) -> Response[TriageResponse | ErrorResponse]:
    """Triage a submission: 202 queued with case id and urgency, 200 refer with advice, 422 invalid."""
    service: TriageService = state.triage
    try:
        outcome = await service.submit(
            region=data.region, personnummer=data.personnummer, phone=data.phone,
            symptom=data.symptom, answers=data.answers, language=data.language,
            protected_identity=data.protected_identity, submission_id=data.submission_id,
            now=dt.datetime.now(dt.timezone.utc),
        )
    except SubmissionRejected as exc:
        return Response(ErrorResponse(errors=exc.errors), status_code=422)
    status_code = 202 if outcome.status == "queued" else 200
    return Response(
        TriageResponse(status=outcome.status, case_id=outcome.case_id, urgency=outcome.urgency,
                       advice=outcome.advice),
        status_code=status_code,
    )


@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/metrics", media_type=CONTENT_TYPE_LATEST)
async def metrics() -> bytes:
    """Prometheus metrics of this process."""
    return generate_latest(REGISTRY)


@get("/readyz")
async def readyz(state: State) -> Response[dict[str, str]]:
    ready = state.get("ready", False)
    return Response({"status": "ready" if ready else "starting"}, status_code=200 if ready else 503)


def create_app(settings: IntakeSettings) -> Litestar:
    """The intake ASGI app; the Kafka producer starts in the lifespan, not at import."""

    @asynccontextmanager
    async def kafka_lifespan(app: Litestar) -> AsyncIterator[None]:
        publisher = Publisher(settings.kafka, source="/triage/intake")
        await publisher.start()
        app.state.triage = TriageService(settings, publisher)
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            await publisher.stop()

    return Litestar(route_handlers=[submit_triage, healthz, readyz, metrics], lifespan=[kafka_lifespan],
                    middleware=[http_metrics(HTTP_REQUESTS, HTTP_LATENCY)])
