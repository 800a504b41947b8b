"""The staff API's two kinds of route: an audited read and a command to the queue.

Every staff route takes a bearer token (``SECURITY``), passes the same guards and documents
the same problem+json answers; these decorators say so once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State

from services.staff.domain.access import Principal
from services.staff.http_auth import GUARDS, SECURITY
from services.staff.problems import READ_RESPONSES, RESPONSES

COMMAND_RESPONSES = RESPONSES


def read_route(path: str, summary: str) -> Any:
    """``GET path``: a read of the region's or a case's data."""
    return get(path, security=SECURITY, guards=GUARDS, responses=READ_RESPONSES, summary=summary)


def command_route(path: str, summary: str, method: Callable[..., Any] = post) -> Any:
    """``POST path`` (or ``method``): a command the queue decides, answered 200 with its outcome."""
    return method(
        path, status_code=200, security=SECURITY, guards=GUARDS, responses=COMMAND_RESPONSES, summary=summary
    )


@dataclass(frozen=True)
class StaffCall:
    """Who calls, over which request, on which app: what every command handler passes on."""

    request: Request[Any, Any, Any]
    state: State
    principal: Principal


async def provide_call(request: Request[Any, Any, Any], state: State, principal: Principal) -> StaffCall:
    """The ``call`` dependency (after the ``require_token`` guard has verified the caller)."""
    return StaffCall(request, state, principal)
