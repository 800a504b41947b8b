"""The staff dev issuer: a local OIDC stand-in, one signing key in the var dir, short-lived tokens.

``triage token`` mints with it and ``triage up`` makes the staff API trust only its public
key (a JWKS file read through the same PyJWKClient path as a production issuer's JWKS URL).
Never used in production: there the region's identity provider signs the tokens.
"""

from __future__ import annotations

from typing import Unpack

from services.auth.dev_issuer import JWKS_FILE as JWKS_FILE  # re-exported for existing importers
from services.auth.dev_issuer import KEY_FILE as KEY_FILE
from services.auth.dev_issuer import MAX_TTL_S as MAX_TTL_S
from services.auth.dev_issuer import DevSigningKey, TokenTimes

DEV_ISSUER = "https://dev-issuer.triage.invalid"
DEV_AUDIENCE = "triage-staff"


class DevIssuer(DevSigningKey):
    """The staff dev signing key in a directory (created, mode 0600, on first use)."""

    issuer = DEV_ISSUER
    audience = DEV_AUDIENCE
    env_prefix = "STAFF_OIDC_"

    def mint(self, subject: str, roles: list[str], regions: list[str], **times: Unpack[TokenTimes]) -> str:
        """A signed token for ``subject`` with ``roles`` and ``regions``, valid ``ttl_s`` seconds."""
        if not subject.strip():
            raise ValueError("--sub must name the staff member, e.g. nurse-anna")
        return self.sign(subject, {"roles": roles, "regions": regions}, **times)
