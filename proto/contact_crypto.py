"""Sealing a patient's phone number for the ``patient.contacts`` topic (AES-256-GCM).

Keys have ids so they can rotate: a sealer encrypts with its current key and an
opener holds every key still in use. The case id is the associated data, so a
ciphertext moved onto another case's record fails to open.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from proto.events import ContactCard


class ContactKeyError(ValueError):
    """A contact card that cannot be opened (unknown key id, tampered, wrong case)."""


def parse_keyring(spec: str) -> dict[str, bytes]:
    """Parse ``"kid1:base64key,kid2:base64key"`` into {key id: 32-byte key}."""
    ring: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        kid, sep, b64 = part.partition(":")
        if not sep or not kid:
            raise ValueError(f"contact key {part[:12]!r}...: expected 'keyid:base64key'")
        key = base64.b64decode(b64)
        if len(key) != 32:
            raise ValueError(f"contact key {kid!r}: must be 32 bytes (AES-256), got {len(key)}")
        ring[kid] = key
    if not ring:
        raise ValueError("no contact keys configured")
    return ring


def seal(case_id: str, phone_e164: str, key_id: str, key: bytes, language: str = "sv") -> ContactCard:
    """Encrypt a phone number into a ContactCard for one case."""
    nonce = os.urandom(12)
    ct = AESGCM(key).encrypt(nonce, phone_e164.encode(), case_id.encode())
    return ContactCard(
        case_id=case_id,
        key_id=key_id,
        nonce=base64.b64encode(nonce).decode(),
        ciphertext=base64.b64encode(ct).decode(),
        language=language,
    )


def open_card(card: ContactCard, keyring: Mapping[str, bytes]) -> str:
    """Decrypt the phone number of a ContactCard; ContactKeyError if it cannot be opened."""
    key = keyring.get(card.key_id)
    if key is None:
        raise ContactKeyError(f"unknown contact key id {card.key_id!r}")
    try:
        plain = AESGCM(key).decrypt(
            base64.b64decode(card.nonce), base64.b64decode(card.ciphertext), card.case_id.encode()
        )
    except (InvalidTag, ValueError) as exc:
        raise ContactKeyError("contact card failed authentication") from exc
    return plain.decode()
