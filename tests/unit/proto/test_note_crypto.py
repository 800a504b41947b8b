"""The clinician's closing note is sealed for its case: it opens there only, and only with a known key."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from proto.contact_crypto import seal
from proto.events import ClosingNote, SealedNote
from proto.note_crypto import DEV_ADVICE_KEYS, ContactKeyError, open_note, parse_keyring, seal_note

RING = parse_keyring(DEV_ADVICE_KEYS)
KID, KEY = next(iter(RING.items()))
NOTE = ClosingNote(
    advice="Ta med medicinlistan.",
    clinic="Vårdcentralen Gottsunda",
    visit_at=dt.datetime(2026, 12, 8, 13, 30, tzinfo=dt.UTC),
)


def test_a_sealed_note_opens_for_its_case_and_hides_its_text() -> None:
    sealed = seal_note("case-1", NOTE, KID, KEY)
    assert "medicinlistan" not in str(sealed) and "Gottsunda" not in str(sealed)
    assert open_note("case-1", sealed, RING) == NOTE


def test_a_note_moved_to_another_case_does_not_open() -> None:
    with pytest.raises(ContactKeyError, match="closing note failed authentication"):
        open_note("case-2", seal_note("case-1", NOTE, KID, KEY), RING)


def test_a_note_sealed_with_a_retired_key_does_not_open() -> None:
    other = {"adv2": base64.b64decode(base64.b64encode(b"x" * 32))}
    with pytest.raises(ContactKeyError, match="unknown closing note key id"):
        open_note("case-1", seal_note("case-1", NOTE, KID, KEY), other)


def test_a_contact_cards_ciphertext_is_not_accepted_as_a_note() -> None:
    card = seal("case-1", "+46701234567", KID, KEY)
    forged = SealedNote(key_id=card.key_id, nonce=card.nonce, ciphertext=card.ciphertext)
    with pytest.raises(ContactKeyError):
        open_note("case-1", forged, RING)


def test_the_same_note_seals_to_the_same_bytes_so_a_retried_completion_is_the_same_request() -> None:
    assert seal_note("case-1", NOTE, KID, KEY) == seal_note("case-1", NOTE, KID, KEY)


def test_two_different_notes_never_share_a_nonce() -> None:
    other = ClosingNote(advice="Vila.")
    assert seal_note("case-1", NOTE, KID, KEY).nonce != seal_note("case-1", other, KID, KEY).nonce
    assert seal_note("case-1", NOTE, KID, KEY).nonce != seal_note("case-2", NOTE, KID, KEY).nonce
