"""Sealing the clinician's closing note (issue 26): health data never travels in clear.

The staff API seals a ``ClosingNote`` (advice, clinic, visit time) with the first key of
``ADVICE_KEYS``; intake opens it for the patient's own case view. AES-256-GCM, like the contact
cards (``proto.contact_crypto``, whose key-ring format and error type it shares), but with its
own keys and associated data naming the purpose and the case: a note moved onto another case,
or a contact card's ciphertext passed off as a note, fails to open. Removing a key id from every
ring makes the notes sealed with it unreadable (crypto-shredding).

The nonce is synthetic (HMAC-SHA256 of the case and the note under a key derived from the sealing
key, the SIV construction): the same note for the same case seals to the same bytes, so a
retried completion is the same request, byte for byte (idempotency keys bound to their request
see no difference), while two different notes never share a nonce. It reveals only that two
notes of one case are equal.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from proto.contact_crypto import ContactKeyError, parse_keyring
from proto.events import ClosingNote, SealedNote

__all__ = ["ContactKeyError", "open_note", "parse_keyring", "seal_note"]

# A fixed dev key so `make run` works out of the box; production sets ADVICE_KEYS from a Secret.
DEV_ADVICE_KEYS = "adv1:ZGV2LW9ubHktYWR2aWNlLWtleS0zMi1ieXRlcyEhISE="

_ENCODE = msgspec.json.Encoder()
_DECODE = msgspec.json.Decoder(ClosingNote)


def _associated(case_id: str) -> bytes:
    return f"closing-note:{case_id}".encode()


def seal_note(case_id: str, note: ClosingNote, key_id: str, key: bytes) -> SealedNote:
    """Encrypt ``note`` for one case (deterministic: the same note seals to the same bytes)."""
    plain = _ENCODE.encode(note)
    nonce_key = hmac.new(key, b"closing-note nonce key", hashlib.sha256).digest()
    nonce = hmac.new(nonce_key, _associated(case_id) + b"\x00" + plain, hashlib.sha256).digest()[:12]
    sealed = AESGCM(key).encrypt(nonce, plain, _associated(case_id))
    return SealedNote(
        key_id=key_id, nonce=base64.b64encode(nonce).decode(), ciphertext=base64.b64encode(sealed).decode()
    )


def open_note(case_id: str, sealed: SealedNote, keyring: Mapping[str, bytes]) -> ClosingNote:
    """The note of ``case_id``; ContactKeyError if it cannot be opened (unknown key, tampered, other case)."""
    key = keyring.get(sealed.key_id)
    if key is None:
        raise ContactKeyError(f"unknown closing note key id {sealed.key_id!r}")
    try:
        plain = AESGCM(key).decrypt(
            base64.b64decode(sealed.nonce), base64.b64decode(sealed.ciphertext), _associated(case_id)
        )
        return _DECODE.decode(plain)
    except (InvalidTag, ValueError) as exc:  # msgspec.DecodeError is a ValueError
        raise ContactKeyError("closing note failed authentication") from exc
