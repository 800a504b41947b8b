"""Verifying staff bearer tokens: the shared JWT verifier (services/auth) plus staff claims.

Signature, issuer, audience, exp and nbf are checked by ``services.auth.jwt_tokens`` (the same
code verifies patients' identity tokens in intake); this module turns the verified claims
into the caller's Principal (roles and regions).
"""

from __future__ import annotations

from services.auth.jwt_tokens import IssuerUnavailable, JwtVerifier, TokenRejected, bearer_token
from services.staff.domain.access import InvalidClaims, Principal, principal_from_claims
from services.staff.settings import OidcSettings

__all__ = ["IssuerUnavailable", "TokenRejected", "TokenVerifier"]


class TokenVerifier:
    """Checks bearer tokens of one issuer and audience; returns the caller's Principal."""

    def __init__(self, oidc: OidcSettings) -> None:
        self.oidc = oidc
        self._jwt = JwtVerifier(oidc)

    def verify_sync(self, token: str) -> Principal:
        """Verify signature, iss, aud, exp, nbf; TokenRejected with a client-safe reason."""
        claims = self._jwt.claims_sync(token)
        try:
            return principal_from_claims(claims, self.oidc.roles_claim, self.oidc.regions_claim)
        except InvalidClaims as exc:
            raise TokenRejected(str(exc)) from None

    async def verify(self, authorization: str | None) -> Principal:
        """The Principal of an ``Authorization: Bearer <jwt>`` header value."""
        token = bearer_token(authorization, "dev: `triage token`")
        claims = await self._jwt.claims(token)
        try:
            return principal_from_claims(claims, self.oidc.roles_claim, self.oidc.regions_claim)
        except InvalidClaims as exc:
            raise TokenRejected(str(exc)) from None
