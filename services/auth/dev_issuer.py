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
from typing import Any, TypedDict, Unpack

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

KEY_FILE = "signing-key.pem"
JWKS_FILE = "jwks.json"
MAX_TTL_S = 12 * 3600


class TokenTimes(TypedDict, total=False):
    """When a dev token is valid, and for whom: what every dev issuer's ``mint`` lets you choose."""

    ttl_s: float  # its lifetime, at most MAX_TTL_S (default: the issuer's ``ttl_s``)
    not_before_s: float  # valid only from this many seconds after it is issued (default 0)
    audience: str  # default: the issuer's ``audience``
    now: float | None  # when it is issued (epoch seconds; default: now)


class DevSigningKey:
    """The dev signing key in ``directory``; mints short-lived ES256 tokens for ``issuer``.

    Each dev issuer is a subclass that says whose stand-in it is (``issuer``, ``audience``, the
    verifying API's settings prefix ``env_prefix``, the default lifetime ``ttl_s``) and whose
    ``mint`` checks the subject and adds its claims.
    """

    issuer: str
    audience: str
    env_prefix: str  # of the verifying API's settings, e.g. STAFF_OIDC_
    ttl_s: float = 3600

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

    def sign(self, subject: str, extra: dict[str, Any], **times: Unpack[TokenTimes]) -> str:
        """A signed token for ``subject`` with ``extra`` claims, valid ``ttl_s`` seconds."""
        ttl_s = times.get("ttl_s", self.ttl_s)
        if not 0 < ttl_s <= MAX_TTL_S:
            raise ValueError(f"--ttl must be 1..{MAX_TTL_S} seconds: dev tokens are short-lived")
        now = times.get("now")
        issued = time.time() if now is None else now
        claims = {
            "iss": self.issuer,
            "aud": times.get("audience", self.audience),
            "sub": subject,
            "iat": int(issued),
            "nbf": int(issued + times.get("not_before_s", 0)),
            "exp": int(issued + ttl_s),
            **extra,
        }
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid})
