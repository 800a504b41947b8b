"""Verifying bearer JWTs of one trusted issuer: PyJWT against its JWKS (iss, aud, exp, nbf).

Shared by the staff API (staff tokens from the region's identity provider) and intake (the
patient's identity token from the e-legitimation login gateway). The JWKS comes from
``TrustedIssuer.jwks_url`` or, when that is empty, from the issuer's OpenID discovery
document. PyJWKClient caches the key set and refetches it when a token names an unknown
``kid`` (key rotation). Its fetch is blocking (urllib), so ``claims`` verifies in a worker
thread and never stalls the event loop. Messages never contain the token.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.request import url2pathname

import jwt


class TokenRejected(Exception):
    """A missing, expired or invalid token (401); the message says which, without the token."""


class IssuerUnavailable(Exception):
    """The issuer's discovery document or JWKS could not be fetched (503: retry shortly)."""


@dataclass(frozen=True)
class TrustedIssuer:
    """Whose tokens an API accepts: issuer, audience, where its public keys are, which algorithms."""

    issuer: str
    audience: str = ""
    jwks_url: str = ""  # empty: read jwks_uri from <issuer>/.well-known/openid-configuration
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    leeway_s: float = 5.0  # clock skew allowed on exp/nbf


def asymmetric_algorithms(raw: str, variable: str) -> tuple[str, ...]:
    """The comma-separated algorithm list of ``variable``; ValueError unless all are asymmetric.

    A symmetric (HS*) or ``none`` algorithm would let anyone who knows the verification key
    (or nobody) mint tokens, so it is refused at start.
    """
    algorithms = tuple(a.strip() for a in raw.split(",") if a.strip())
    if not algorithms or any(a.lower() == "none" or a.upper().startswith("HS") for a in algorithms):
        raise ValueError(f"{variable}: list asymmetric algorithms only, e.g. RS256,ES256")
    return algorithms


class JwtVerifier:
    """Checks bearer tokens of one issuer and audience; returns their verified claims."""

    def __init__(
        self, trusted: TrustedIssuer, required: tuple[str, ...] = ("exp", "iss", "aud", "sub")
    ) -> None:
        self.trusted = trusted
        self.required = required
        self._jwks: jwt.PyJWKClient | None = None
        self._static: jwt.PyJWKSet | None = None

    def _key(self, token: str) -> Any:
        if self.trusted.jwks_url.startswith("file://"):
            # dev issuers only: PyJWKClient fetches http(s) alone, so a local JWKS file is read here
            if self._static is None:
                path = Path(url2pathname(self.trusted.jwks_url[7:]))
                self._static = jwt.PyJWKSet.from_json(path.read_text())
            try:
                return self._static[str(jwt.get_unverified_header(token).get("kid", ""))].key
            except KeyError:
                raise jwt.PyJWKClientError("no key with the token's kid") from None
        if self._jwks is None:
            url = self.trusted.jwks_url or _discover_jwks_uri(self.trusted.issuer)
            self._jwks = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)
        return self._jwks.get_signing_key_from_jwt(token).key

    def claims_sync(self, token: str) -> dict[str, Any]:
        """Verify signature, iss, aud, exp, nbf; TokenRejected with a client-safe reason."""
        t = self.trusted
        try:
            key = self._key(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(t.algorithms),
                audience=t.audience,
                issuer=t.issuer,
                leeway=t.leeway_s,
                options={"require": list(self.required), "verify_nbf": True},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("the token has expired: get a new one from your identity provider") from None
        except jwt.ImmatureSignatureError:
            raise TokenRejected("the token is not valid yet (nbf in the future): check the clock") from None
        except jwt.InvalidAudienceError:
            raise TokenRejected(f"the token is not for this API (audience must be {t.audience})") from None
        except jwt.InvalidIssuerError:
            raise TokenRejected("the token was issued by an issuer this API does not trust") from None
        except jwt.PyJWKClientConnectionError as exc:
            raise IssuerUnavailable(f"the token issuer's keys could not be fetched: {_short(exc)}") from None
        except jwt.PyJWKClientError as exc:
            raise TokenRejected(f"the token's signing key is unknown to this API ({_short(exc)})") from None
        except jwt.InvalidTokenError as exc:
            raise TokenRejected(f"invalid token: {_short(exc)}") from None
        return claims

    async def claims(self, token: str) -> dict[str, Any]:
        """``claims_sync`` in a worker thread (a JWKS fetch blocks)."""
        return await asyncio.to_thread(self.claims_sync, token)


def bearer_token(authorization: str | None, hint: str) -> str:
    """The token of an ``Authorization: Bearer <jwt>`` header value; TokenRejected if absent or malformed.

    ``hint`` tells the caller where a token comes from (e.g. the dev command that mints one).
    """
    if not authorization:
        raise TokenRejected(f"no token: send Authorization: Bearer <token> ({hint})")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRejected("the Authorization header must be `Bearer <token>`")
    return token.strip()


def claim_text(claims: Mapping[str, Any], name: str) -> str:
    """A string claim, or TokenRejected naming the claim (never its value)."""
    value = claims.get(name)
    if not isinstance(value, str) or not value.strip():
        raise TokenRejected(f"the token has no {name!r} claim (a non-empty string)")
    return value.strip()


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
