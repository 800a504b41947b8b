"""A local OIDC stand-in for development: one signing key in the var dir, short-lived tokens.

``triage token`` mints with it and ``triage up`` makes the staff API trust only its public
key (a JWKS file read through the same PyJWKClient path as a production issuer's JWKS URL).
Never used in production: there the region's identity provider signs the tokens.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

DEV_ISSUER = "https://dev-issuer.triage.invalid"
DEV_AUDIENCE = "triage-staff"
KEY_FILE = "signing-key.pem"
JWKS_FILE = "jwks.json"
MAX_TTL_S = 12 * 3600


class DevIssuer:
    """The dev signing key in ``directory`` (created, mode 0600, on first use)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self._key = self._load_or_create()
        public = ECAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        self.kid = "dev-" + hashlib.sha256(f"{public['x']}.{public['y']}".encode()).hexdigest()[:16]
        jwks = {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "ES256"}]}
        (self.directory / JWKS_FILE).write_text(json.dumps(jwks))

    def _load_or_create(self) -> ec.EllipticCurvePrivateKey:
        path = self.directory / KEY_FILE
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{path} is not an EC private key; delete it to get a new dev key")
            return key
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        return key

    @property
    def jwks_url(self) -> str:
        """Where the staff API reads the public key (a file:// URL)."""
        return (self.directory / JWKS_FILE).as_uri()

    def env(self) -> dict[str, str]:
        """The STAFF_OIDC_* variables that make the staff API trust this key only."""
        return {
            "STAFF_OIDC_ISSUER": DEV_ISSUER,
            "STAFF_OIDC_AUDIENCE": DEV_AUDIENCE,
            "STAFF_OIDC_JWKS_URL": self.jwks_url,
        }

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
        if not 0 < ttl_s <= MAX_TTL_S:
            raise ValueError(f"--ttl must be 1..{MAX_TTL_S} seconds: dev tokens are short-lived")
        issued = time.time() if now is None else now
        claims = {
            "iss": DEV_ISSUER,
            "aud": audience,
            "sub": subject,
            "iat": int(issued),
            "nbf": int(issued + not_before_s),
            "exp": int(issued + ttl_s),
            "roles": roles,
            "regions": regions,
        }
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid})
