"""A local stand-in for an identity provider, for development and tests only.

One EC signing key per directory (created mode 0600 on first use) and its public JWKS file
beside it; the verifying API reads that file through the same code as a production
issuer's JWKS URL. The staff dev issuer (``triage token --sub ...``) and the patient login
dev issuer (``triage token --patient ...``) are two of these, with different keys, issuers
and audiences, as in production (SITHS for staff, BankID/Freja behind a gateway for patients).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

KEY_FILE = "signing-key.pem"
JWKS_FILE = "jwks.json"
MAX_TTL_S = 12 * 3600


class DevSigningKey:
    """The dev signing key in ``directory``; mints short-lived ES256 tokens for ``issuer``."""

    def __init__(self, directory: Path, issuer: str, audience: str, env_prefix: str) -> None:
        self.directory = directory.resolve()
        self.issuer = issuer
        self.audience = audience
        self.env_prefix = env_prefix  # of the verifying API's settings, e.g. STAFF_OIDC_
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
        """Where the verifying API reads the public key (a file:// URL)."""
        return (self.directory / JWKS_FILE).as_uri()

    def env(self) -> dict[str, str]:
        """The ``<prefix>ISSUER``, ``AUDIENCE`` and ``JWKS_URL`` variables that make the verifying
        API trust this key only."""
        return {
            f"{self.env_prefix}ISSUER": self.issuer,
            f"{self.env_prefix}AUDIENCE": self.audience,
            f"{self.env_prefix}JWKS_URL": self.jwks_url,
        }

    def sign(
        self,
        subject: str,
        extra: dict[str, Any],
        ttl_s: float = 3600,
        not_before_s: float = 0,
        audience: str | None = None,
        now: float | None = None,
    ) -> str:
        """A signed token for ``subject`` with ``extra`` claims, valid ``ttl_s`` seconds."""
        if not 0 < ttl_s <= MAX_TTL_S:
            raise ValueError(f"--ttl must be 1..{MAX_TTL_S} seconds: dev tokens are short-lived")
        issued = time.time() if now is None else now
        claims = {
            "iss": self.issuer,
            "aud": self.audience if audience is None else audience,
            "sub": subject,
            "iat": int(issued),
            "nbf": int(issued + not_before_s),
            "exp": int(issued + ttl_s),
            **extra,
        }
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid})
