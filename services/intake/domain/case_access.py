"""Case access tokens: how a patient proves that a case id is theirs.

``POST /v1/triage`` answers with the case id and a token, an HMAC-SHA256 of the case id
under intake's key. ``GET /v1/cases/{id}`` answers only when the same token comes back
(compared in constant time). Nothing is stored: any intake process or replica with the key
can check any token, and a guessed or leaked case id alone reveals nothing.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

_LABEL = b"triage/case-access-token/v1"


@functools.lru_cache(maxsize=8)  # asked on every answer that carries a case token; pure
def derive_key(secret: bytes) -> bytes:
    """A key for tokens only, derived from ``secret`` (so it never equals the pseudonym key)."""
    return hmac.new(secret, _LABEL, hashlib.sha256).digest()


def case_token(key: bytes, case_id: str) -> str:
    """The token for ``case_id`` (43 URL-safe characters)."""
    mac = hmac.digest(key, case_id.encode(), "sha256")
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def token_matches(key: bytes, case_id: str, presented: str) -> bool:
    """True when ``presented`` is the token of ``case_id`` (constant-time comparison)."""
    return hmac.compare_digest(case_token(key, case_id).encode(), presented.encode())
