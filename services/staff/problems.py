"""problem+json (RFC 9457) for the staff API: the house style (services/http_edge), staff's texts."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Response
from litestar.openapi import ResponseSpec

from services.http_edge.problems import (
    PROBLEM_JSON,
    Problem,
    exception_handlers,
    internal_error_handler,
    invalid_request_handler,
    problem_response,
    problem_spec,
)

log = logging.getLogger("triage.staff.http")

RESPONSES: dict[int, ResponseSpec] = {
    400: problem_spec("malformed request (e.g. a body that is not JSON)"),
    401: problem_spec("no token, or an expired or invalid one (see WWW-Authenticate)"),
    403: problem_spec("the token lacks the role or the region for this action"),
    404: problem_spec("unknown region (or route)"),
    409: problem_spec(
        "the queue refused the command (the detail says why), or the request_id was already used "
        "for a different request (type /problems/request-id-reused: use a new request_id)"
    ),
    422: problem_spec("invalid fields, one entry per field"),
    503: problem_spec(
        "the audit trail, the broker, the queue or the token issuer is unavailable: nothing was done"
    ),
    504: problem_spec("the queue did not answer in time: retry with the same request_id"),
}
READ_RESPONSES = {k: v for k, v in RESPONSES.items() if k not in (409, 504)}


def not_shown() -> Response[Any]:
    """503: a read whose audit record could not be written shows nothing."""
    return problem_response(
        503,
        "the audit trail could not be written, so nothing is shown; retry shortly",
        headers={"retry-after": "2"},
    )


def queue_away() -> Response[Any]:
    """503: the queue service did not answer a read (or is recovering)."""
    return problem_response(
        503,
        "the queue service is not answering (or is recovering): retry shortly",
        headers={"retry-after": "1"},
    )


EXCEPTION_HANDLERS = exception_handlers(
    invalid_request_handler,
    internal_error_handler(
        log,
        "the staff API failed unexpectedly. Retry with the same request_id: a retried command is never done twice.",
    ),
)

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "Problem", "READ_RESPONSES", "RESPONSES", "problem_response"]
