"""RFC 9457 problem details (application/problem+json) for every 4xx/5xx intake answers.

Litestar's own errors (body not JSON, wrong types, unknown fields, body too large,
unknown route, wrong method) are turned into the same shape, and a bad triage body is
re-checked field by field so the client gets one entry per bad field, not just the
first one msgspec stumbled on.
"""

from __future__ import annotations

import logging

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import ClientException, HTTPException, ValidationException
from litestar.types import Empty

from services.http_edge import problems as edge
from services.http_edge.problems import Problem, problem_response
from services.intake.domain.submission_form import FieldError, InvalidSubmission, parse_submission
from services.intake.metrics import SUBMISSIONS
from services.observability.region_label import OTHER

log = logging.getLogger("triage.intake.http")


def invalid_submission_response(exc: InvalidSubmission) -> Response[Problem]:
    return problem_response(
        422,
        f"{len(exc.errors)} invalid field(s): fix each one listed in `errors` and send again",
        exc.errors,
        type_="/problems/invalid-submission",
    )


def _body_errors(request: Request) -> list[FieldError]:  # type: ignore[type-arg]
    """Field-by-field errors of the already-read body of a triage request."""
    body = getattr(request, "_body", Empty)
    if body is Empty or body is None:
        return []
    try:
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return [
            FieldError("#", "the body is not valid JSON: send a JSON object (content-type: application/json)")
        ]
    rules = request.app.state.get("rules")
    if rules is None:
        return []
    try:
        parse_submission(raw, rules)
    except InvalidSubmission as exc:
        return exc.errors
    return []


def validation_exception_handler(request: Request, exc: ValidationException) -> Response[Problem]:  # type: ignore[type-arg]
    """Litestar could not decode the body or parameters: 422 with one entry per bad field."""
    errors = _body_errors(request) if request.url.path == "/v1/triage" else []
    if not errors:
        for extra in exc.extra if isinstance(exc.extra, list) else []:
            if isinstance(extra, dict):
                key = str(extra.get("key") or extra.get("source") or "")
                errors.append(FieldError("#/" + key if key else "#", str(extra.get("message", exc.detail))))
        if not errors:
            errors = [FieldError("#", str(exc.detail))]
    if request.url.path == "/v1/triage":
        SUBMISSIONS.labels(OTHER, "invalid").inc()
    return problem_response(
        422,
        f"{len(errors)} invalid field(s): fix each one listed in `errors` and send again",
        errors,
        type_="/problems/invalid-submission",
    )


def http_exception_handler(request: Request, exc: HTTPException) -> Response[Problem]:  # type: ignore[type-arg]
    """Every other HTTP error (404, 405, 413, 429...) as problem+json, keeping its headers.

    A 400 on the triage route is a body Litestar could not decode (e.g. truncated JSON):
    that is a validation error like any other, so it gets the same 422 field list.
    """
    if exc.status_code == 400 and request.url.path == "/v1/triage" and isinstance(exc, ClientException):
        return validation_exception_handler(request, exc)  # type: ignore[arg-type]
    return edge.http_exception_handler(request, exc)


EXCEPTION_HANDLERS = edge.exception_handlers(
    validation_exception_handler,
    edge.internal_error_handler(
        log,
        "intake failed unexpectedly. Retry with the same submission_id: a retry never creates a second case.",
    ),
    http_exception_handler,
)

__all__ = ["EXCEPTION_HANDLERS", "MediaType", "Problem", "problem_response", "invalid_submission_response"]
