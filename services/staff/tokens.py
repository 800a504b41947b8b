"""Verifying staff bearer tokens: PyJWT against the issuer's JWKS (issuer, audience, exp, nbf).

The JWKS comes from ``STAFF_OIDC_JWKS_URL`` or, when that is empty, from the issuer's
OpenID discovery document. PyJWKClient caches the key set and refetches it when a token
names an unknown ``kid`` (key rotation). Its fetch is blocking (urllib), so verification
runs in a worker thread and never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path
from typing import Any
from urllib.request import url2pathname

import jwt

from services.staff.domain.access import InvalidClaims, Principal, principal_from_claims
from services.staff.settings import OidcSettings


class TokenRejected(Exception):
    """A missing, expired or invalid token (401); the message says which, without the token."""


class IssuerUnavailable(Exception):
    """The issuer's discovery document or JWKS could not be fetched (503: retry shortly)."""


class TokenVerifier:
    """Checks bearer tokens of one issuer and audience; returns the caller's Principal."""

    def __init__(self, oidc: OidcSettings) -> None:
        self.oidc = oidc
        self._jwks: jwt.PyJWKClient | None = None
        self._static: jwt.PyJWKSet | None = None

    def _key(self, token: str) -> Any:
        if self.oidc.jwks_url.startswith("file://"):
            # dev issuer only: PyJWKClient fetches http(s) alone, so a local JWKS file is read here
            if self._static is None:
                self._static = jwt.PyJWKSet.from_json(Path(url2pathname(self.oidc.jwks_url[7:])).read_text())
            try:
                return self._static[str(jwt.get_unverified_header(token).get("kid", ""))].key
            except KeyError:
                raise jwt.PyJWKClientError("no key with the token's kid") from None
        if self._jwks is None:
            url = self.oidc.jwks_url or _discover_jwks_uri(self.oidc.issuer)
            self._jwks = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)
        return self._jwks.get_signing_key_from_jwt(token).key

    def verify_sync(self, token: str) -> Principal:
        """Verify signature, iss, aud, exp, nbf; TokenRejected with a client-safe reason."""
        try:
            key = self._key(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(self.oidc.algorithms),
                audience=self.oidc.audience,
                issuer=self.oidc.issuer,
                leeway=self.oidc.leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"], "verify_nbf": True},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("the token has expired: get a new one from your identity provider") from None
        except jwt.ImmatureSignatureError:
            raise TokenRejected("the token is not valid yet (nbf in the future): check the clock") from None
        except jwt.InvalidAudienceError:
            raise TokenRejected(
                f"the token is not for this API (audience must be {self.oidc.audience})"
            ) from None
        except jwt.InvalidIssuerError:
            raise TokenRejected("the token was issued by an issuer this API does not trust") from None
        except jwt.PyJWKClientConnectionError as exc:
            raise IssuerUnavailable(f"the token issuer's keys could not be fetched: {_short(exc)}") from None
        except jwt.PyJWKClientError as exc:
            raise TokenRejected(f"the token's signing key is unknown to this API ({_short(exc)})") from None
        except jwt.InvalidTokenError as exc:
            raise TokenRejected(f"invalid token: {_short(exc)}") from None
        try:
            return principal_from_claims(claims, self.oidc.roles_claim, self.oidc.regions_claim)
        except InvalidClaims as exc:
            raise TokenRejected(str(exc)) from None

    async def verify(self, authorization: str | None) -> Principal:
        """The Principal of an ``Authorization: Bearer <jwt>`` header value."""
        if not authorization:
            raise TokenRejected("no token: send Authorization: Bearer <token> (dev: `triage token`)")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRejected("the Authorization header must be `Bearer <token>`")
        return await asyncio.to_thread(self.verify_sync, token.strip())


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__


def _discover_jwks_uri(issuer: str) -> str:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            doc = json.loads(resp.read())
    except (OSError, ValueError) as exc:
        raise IssuerUnavailable(f"OIDC discovery at {url} failed: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("jwks_uri"), str):
        raise IssuerUnavailable(f"OIDC discovery at {url} has no jwks_uri")
    return str(doc["jwks_uri"])
