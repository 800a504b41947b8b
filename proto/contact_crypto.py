"""Sealing a patient's phone number (and personnummer) for the ``patient.contacts`` topic (AES-256-GCM).

Keys have ids so they can rotate: a sealer encrypts with its current key and an
opener holds every key still in use. The case id is the associated data, so a
ciphertext moved onto another case's record fails to open.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from proto.events import ContactCard
from proto.random_ids import random_bytes

# A fixed dev keyring so `make run` works out of the box: intake seals with it, the notifier
# and staff open with it. Production sets CONTACT_KEYS from a Secret.
DEV_CONTACT_KEYS = "dev1:ZGV2LW9ubHktY29udGFjdC1rZXktMzItYnl0ZXMhISE="


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


def _identity_data(case_id: str) -> bytes:
    # Its own associated data: the personnummer's ciphertext cannot pass for the phone's.
    return f"{case_id}/personnummer".encode()


@functools.lru_cache(maxsize=16)
def _aead(key: bytes) -> AESGCM:
    # Building the cipher object costs more than sealing a phone number; the keyring is small.
    return AESGCM(key)


def _sealed(key: bytes, plain: str, associated: bytes) -> tuple[str, str]:
    nonce = random_bytes(12)  # 96 random bits per seal, from the kernel's CSPRNG (buffered)
    ct = _aead(key).encrypt(nonce, plain.encode(), associated)
    return base64.b64encode(nonce).decode(), base64.b64encode(ct).decode()


def seal(
    case_id: str, phone_e164: str, key_id: str, key: bytes, language: str = "sv", personnummer: str = ""
) -> ContactCard:
    """Encrypt a phone number (and the personnummer, when given) into a ContactCard for one case."""
    nonce, ciphertext = _sealed(key, phone_e164, case_id.encode())
    id_nonce, id_ciphertext = (
        _sealed(key, personnummer, _identity_data(case_id)) if personnummer else ("", "")
    )
    return ContactCard(
        case_id=case_id,
        key_id=key_id,
        nonce=nonce,
        ciphertext=ciphertext,
        language=language,
        identity_nonce=id_nonce,
        identity_ciphertext=id_ciphertext,
    )


def _open(card: ContactCard, keyring: Mapping[str, bytes], nonce: str, ciphertext: str, data: bytes) -> str:
    key = keyring.get(card.key_id)
    if key is None:
        raise ContactKeyError(f"unknown contact key id {card.key_id!r}")
    try:
        plain = _aead(key).decrypt(base64.b64decode(nonce), base64.b64decode(ciphertext), data)
    except (InvalidTag, ValueError) as exc:
        raise ContactKeyError("contact card failed authentication") from exc
    return plain.decode()


def open_card(card: ContactCard, keyring: Mapping[str, bytes]) -> str:
    """Decrypt the phone number of a ContactCard; ContactKeyError if it cannot be opened."""
    return _open(card, keyring, card.nonce, card.ciphertext, card.case_id.encode())


def open_identity(card: ContactCard, keyring: Mapping[str, bytes]) -> str | None:
    """Decrypt the personnummer of a ContactCard; None on a card sealed before it was added."""
    if not card.identity_ciphertext:
        return None
    return _open(card, keyring, card.identity_nonce, card.identity_ciphertext, _identity_data(card.case_id))
