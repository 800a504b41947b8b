"""problem+json (RFC 9457) for the staff API: intake's house style, with staff's own texts."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec

from services.intake.domain.submission_form import FieldError
from services.intake.problems import PROBLEM_JSON, Problem, http_exception_handler, problem_response

log = logging.getLogger("triage.staff.http")


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(Problem, description=description, media_type=PROBLEM_JSON, generate_examples=False)


RESPONSES: dict[int, ResponseSpec] = {
    400: _spec("malformed request (e.g. a body that is not JSON)"),
    401: _spec("no token, or an expired or invalid one (see WWW-Authenticate)"),
    403: _spec("the token lacks the role or the region for this action"),
    404: _spec("unknown region (or route)"),
    409: _spec(
        "the queue refused the command (the detail says why), or the request_id was already used "
        "for a different request (type /problems/request-id-reused: use a new request_id)"
    ),
    422: _spec("invalid fields, one entry per field"),
    503: _spec("the audit trail, the broker, the queue or the token issuer is unavailable: nothing was done"),
    504: _spec("the queue did not answer in time: retry with the same request_id"),
}
READ_RESPONSES = {k: v for k, v in RESPONSES.items() if k not in (409, 504)}


INVALID_REQUEST = "/problems/invalid-request"
# msgspec names the field of a body error in backticks: "Object missing required field `urgency`",
# "Object contains unknown field `foo`", or a path: "... - at `$.hourly_capacity.mon`".
_AT_PATH = re.compile(r"at `\$((?:\.[^`.\[]+|\[\d+\])+)`")
_FIELD = re.compile(r"field `([^`]+)`")


def field_pointer(key: str, message: str) -> str:
    """The JSON pointer of one Litestar validation error: the body field, or the parameter's name."""
    if key and key != "data":
        return f"#/{key}"
    if match := _AT_PATH.search(message):
        return "#" + re.sub(r"\.|\[", "/", match.group(1)).replace("]", "")
    if match := _FIELD.search(message):
        return f"#/{match.group(1)}"
    return "#"


def validation_exception_handler(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[Problem]:
    """A body or parameter Litestar could not validate: 422 naming each bad field by pointer."""
    errors = [
        FieldError(
            field_pointer(str(e.get("key") or ""), str(e.get("message", exc.detail))),
            str(e.get("message", exc.detail)),
        )
        for e in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(e, dict)
    ] or [FieldError("#", str(exc.detail))]
    fields = ", ".join(e.pointer for e in errors)
    return problem_response(
        422,
        f"invalid request: fix {fields} (each one is listed in `errors`) and send again",
        errors,
        INVALID_REQUEST,
    )


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """An unexpected fault: logged by type only (the message could carry input), 500 problem+json."""
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return problem_response(
        500,
        "the staff API failed unexpectedly. Retry with the same request_id: "
        "a retried command is never done twice.",
    )


EXCEPTION_HANDLERS = {
    ValidationException: validation_exception_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "Problem", "READ_RESPONSES", "RESPONSES", "problem_response"]
