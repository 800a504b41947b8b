"""Sealing the clinician's closing note (issue 26): health data never travels in clear.

The staff API seals a ``ClosingNote`` (advice, clinic, visit time) with the first key of
``ADVICE_KEYS``; intake opens it for the patient's own case view. The associated data names
the purpose and the case, so a note moved onto another case, or a contact card's ciphertext
passed off as a note, fails to open. Keys rotate like the contact keys (``kid:base64key``);
removing a key id from every ring makes the notes sealed with it unreadable (crypto-shredding).
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from proto.contact_crypto import ContactKeyError, open_bytes, parse_keyring, seal_bytes
from proto.events import ClosingNote, SealedNote

__all__ = ["ContactKeyError", "open_note", "parse_keyring", "seal_note"]

# A fixed dev key so `make run` works out of the box; production sets ADVICE_KEYS from a Secret.
DEV_ADVICE_KEYS = "adv1:ZGV2LW9ubHktYWR2aWNlLWtleS0zMi1ieXRlcyEhISE="

_ENCODE = msgspec.json.Encoder()
_DECODE = msgspec.json.Decoder(ClosingNote)


def _associated(case_id: str) -> bytes:
    return f"closing-note:{case_id}".encode()


def seal_note(case_id: str, note: ClosingNote, key_id: str, key: bytes) -> SealedNote:
    """Encrypt ``note`` for one case."""
    nonce, ct = seal_bytes(_ENCODE.encode(note), _associated(case_id), key)
    return SealedNote(key_id=key_id, nonce=nonce, ciphertext=ct)


def open_note(case_id: str, sealed: SealedNote, keyring: Mapping[str, bytes]) -> ClosingNote:
    """The note of ``case_id``; ContactKeyError if it cannot be opened (unknown key, tampered, other case)."""
    plain = open_bytes(
        sealed.key_id, sealed.nonce, sealed.ciphertext, _associated(case_id), keyring, "closing note"
    )
    try:
        return _DECODE.decode(plain)
    except msgspec.DecodeError as exc:
        raise ContactKeyError(f"closing note is not a ClosingNote: {exc}") from None
