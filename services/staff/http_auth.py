"""Authentication and authorisation at the staff edge: 401 and 403 as problem+json.

The ``require_token`` guard runs first on every protected route: the request ends with 401
(missing, expired, invalid token) before its body is even read; ``provide_principal`` then
hands the verified Principal to the handler.
``authorised_caller`` then checks role and region for the action; a refusal is written to
the audit trail (who tried what where) before the 403 goes out.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ServiceUnavailableException,
)
from litestar.handlers.base import BaseRouteHandler

from proto.regions import is_region
from services.staff.audit_trail import AuditUnavailable
from services.staff.desk import Caller, StaffDesk
from services.staff.domain.access import Principal, authorise
from services.staff.tokens import IssuerUnavailable, TokenRejected, TokenVerifier

REALM = 'Bearer realm="triage-staff"'
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]


async def require_token(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: verify the bearer token before anything else of the request is parsed.

    Runs ahead of body and parameter validation, so a caller without a valid token learns
    nothing but 401 (with WWW-Authenticate) about what the endpoint would accept.
    """
    verifier: TokenVerifier = connection.app.state.verifier
    header = connection.headers.get("authorization")
    try:
        connection.state.principal = await verifier.verify(header)
    except TokenRejected as exc:
        challenge = REALM if not header else f'{REALM}, error="invalid_token"'
        raise NotAuthorizedException(detail=str(exc), headers={"WWW-Authenticate": challenge}) from None
    except IssuerUnavailable as exc:
        raise ServiceUnavailableException(detail=str(exc), headers={"retry-after": "5"}) from None


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The caller verified by the ``require_token`` guard (a Litestar dependency)."""
    principal: Principal = request.state.principal
    return principal


GUARDS = [require_token]


def client_address(request: Request[Any, Any, Any]) -> str:
    """Where the request came from, for the audit trail.

    The peer address, unless the peer is a trusted proxy (STAFF_TRUSTED_PROXIES): then the
    nearest X-Forwarded-For entry that is not itself a trusted proxy (entries further left
    were written by the client and could be forged).
    """
    peer = request.client.host if request.client else ""
    trusted: frozenset[str] = request.app.state.get("trusted_proxies", frozenset())
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return peer


def known_region(region: str) -> None:
    """404 for a region code that is not one of the 21 (before any authorisation talk)."""
    if not is_region(region):
        raise NotFoundException(detail=f"unknown region {region!r}: use an ISO 3166-2:SE code such as SE-C")


async def authorised_caller(
    request: Request[Any, Any, Any],
    principal: Principal,
    action: str,
    region: str,
    desk: StaffDesk,
    case_id: str = "",
) -> Caller:
    """The Caller if ``principal`` may do ``action`` in ``region``; 403 (audited, with the case
    acted on) otherwise."""
    why, role = authorise(principal, action, region)
    caller = Caller(principal, role, client_address(request))
    if why is not None:
        try:
            await desk.trail.record(caller.audit(action, "denied", region, case_id, detail=why))
        except AuditUnavailable:
            pass  # refused either way; the refusal is logged by the trail
        raise PermissionDeniedException(detail=why)
    return caller
