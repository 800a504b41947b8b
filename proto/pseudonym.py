"""Keyed pseudonyms of personal identity numbers (HMAC-SHA256).

The same person gets the same pseudonym under the same key, so the queue can
refuse a second case for someone already waiting, without ever seeing the
personnummer. Without the key the pseudonym cannot be reversed by brute force
over the ~10^10 possible numbers.
"""

from __future__ import annotations

import base64
import hmac

# A dev-only key so `make run` works out of the box (intake; loadgen's prefill pseudonymises
# the same way); production sets PSEUDONYM_KEY from a Secret.
DEV_PSEUDONYM_KEY = base64.b64encode(b"dev-only-pseudonym-key-32-bytes!").decode()


def person_pseudonym(personnummer_12: str, key: bytes) -> str:
    """Pseudonym of a normalised 12-digit personnummer (YYYYMMDDNNNC)."""
    if len(key) < 16:
        raise ValueError("pseudonym key must be at least 16 bytes")
    return hmac.digest(key, personnummer_12.encode(), "sha256").hex()[:32]  # one-shot: no HMAC object
