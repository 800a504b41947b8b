"""RFC 9457 problem details (application/problem+json) for every 4xx/5xx intake answers.

Litestar's own errors (body not JSON, wrong types, unknown fields, body too large,
unknown route, wrong method) are turned into the same shape, and a bad triage body is
re-checked field by field so the client gets one entry per bad field, not just the
first one msgspec stumbled on.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import ClientException, HTTPException, ValidationException
from litestar.types import Empty

from services.intake.domain.submission_form import FieldError, InvalidSubmission, parse_submission
from services.intake.metrics import SUBMISSIONS
from services.observability.region_label import OTHER

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("triage.intake.http")


class ProblemField(msgspec.Struct, kw_only=True):
    """One bad field: a JSON pointer into the request body and what is wrong with it."""

    pointer: str
    detail: str


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details; ``errors`` lists each bad field (RFC 9457 section 3 example)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[ProblemField] = []


def problem_response(
    status: int,
    detail: str = "",
    errors: list[FieldError] | None = None,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    """A problem+json response."""
    body = Problem(
        type=type_,
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        errors=[ProblemField(pointer=e.pointer, detail=e.detail) for e in errors or []],
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


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
    detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else ""
    return problem_response(exc.status_code, detail, headers=dict(exc.headers or {}))


def internal_error_handler(request: Request, exc: Exception) -> Response[Problem]:  # type: ignore[type-arg]
    """An unexpected fault: logged (type only: the message could carry input), 500 problem+json."""
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return problem_response(
        500,
        "intake failed unexpectedly. Retry with the same submission_id: a retry never creates a second case.",
    )


EXCEPTION_HANDLERS = {
    ValidationException: validation_exception_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}

__all__ = [
    "EXCEPTION_HANDLERS",
    "PROBLEM_JSON",
    "MediaType",
    "Problem",
    "problem_response",
    "invalid_submission_response",
]
