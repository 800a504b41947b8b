"""The staff dev issuer: a local OIDC stand-in, one signing key in the var dir, short-lived tokens.

``triage token`` mints with it and ``triage up`` makes the staff API trust only its public
key (a JWKS file read through the same PyJWKClient path as a production issuer's JWKS URL).
Never used in production: there the region's identity provider signs the tokens.
"""

from __future__ import annotations

from pathlib import Path

from services.auth.dev_issuer import JWKS_FILE as JWKS_FILE  # re-exported for existing importers
from services.auth.dev_issuer import KEY_FILE as KEY_FILE
from services.auth.dev_issuer import MAX_TTL_S as MAX_TTL_S
from services.auth.dev_issuer import DevSigningKey

DEV_ISSUER = "https://dev-issuer.triage.invalid"
DEV_AUDIENCE = "triage-staff"


class DevIssuer(DevSigningKey):
    """The staff dev signing key in ``directory`` (created, mode 0600, on first use)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, DEV_ISSUER, DEV_AUDIENCE, "STAFF_OIDC_")

    def mint(
        self,
        subject: str,
        roles: list[str],
        regions: list[str],
        ttl_s: float = 3600,
        not_before_s: float = 0,
        audience: str = DEV_AUDIENCE,
        now: float | None = None,
    ) -> str:
        """A signed token for ``subject`` with ``roles`` and ``regions``, valid ``ttl_s`` seconds."""
        if not subject.strip():
            raise ValueError("--sub must name the staff member, e.g. nurse-anna")
        return self.sign(subject, {"roles": roles, "regions": regions}, ttl_s, not_before_s, audience, now)
