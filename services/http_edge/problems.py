"""RFC 9457 problem details (application/problem+json) in the house style of every HTTP service.

Each service keeps its own texts (what to do after a 500, how a bad body is re-checked); the
shape, the field pointers and the generic handlers are here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any, Protocol

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec

from proto.field_error import FieldError

PROBLEM_JSON = "application/problem+json"


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details; ``errors`` lists each bad field (RFC 9457 section 3 example)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[FieldError] = []


class Pointed(Protocol):
    """Anything naming a bad field the way ``FieldError`` does (a domain's own error type)."""

    @property
    def pointer(self) -> str: ...

    @property
    def detail(self) -> str: ...


def problem_response(
    status: int,
    detail: str = "",
    errors: Iterable[Pointed] | None = None,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    """A problem+json response."""
    body = Problem(
        type=type_,
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        errors=[FieldError(pointer=e.pointer, detail=e.detail) for e in errors or []],
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_spec(description: str) -> ResponseSpec:
    """An OpenAPI response of an operation that answers problem+json."""
    return ResponseSpec(Problem, description=description, media_type=PROBLEM_JSON, generate_examples=False)


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


def validation_fields(exc: ValidationException) -> list[FieldError]:
    """Each bad field of a Litestar validation error, by pointer (at least one entry)."""
    return [
        FieldError(
            pointer=field_pointer(str(e.get("key") or ""), str(e.get("message", exc.detail))),
            detail=str(e.get("message", exc.detail)),
        )
        for e in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(e, dict)
    ] or [FieldError(pointer="#", detail=str(exc.detail))]


INVALID_REQUEST = "/problems/invalid-request"


def invalid_request_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Problem]:
    """A body or parameter Litestar could not validate: 422 naming each bad field by pointer."""
    errors = validation_fields(exc)
    fields = ", ".join(e.pointer for e in errors)
    return problem_response(
        422,
        f"invalid request: fix {fields} (each one is listed in `errors`) and send again",
        errors,
        INVALID_REQUEST,
    )


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    """Every other HTTP error (404, 405, 413, 429...) as problem+json, keeping its headers."""
    detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else ""
    return problem_response(exc.status_code, detail, headers=dict(exc.headers or {}))


Handler = Callable[[Request[Any, Any, Any], Any], Response[Problem]]


def internal_error_handler(log: logging.Logger, detail: str) -> Handler:
    """The 500 of an unexpected fault: logged by type only (the message could carry input);
    ``detail`` tells the client what a retry does."""

    def handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return problem_response(500, detail)

    return handler


def exception_handlers(
    validation: Handler, internal: Handler, http: Handler = http_exception_handler
) -> dict[type[Exception], Handler]:
    """The handlers of a service: validation errors, other HTTP errors, unexpected faults."""
    return {ValidationException: validation, HTTPException: http, Exception: internal}
