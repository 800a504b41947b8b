"""The sealed contact card carries the personnummer too, and old cards still open."""

from __future__ import annotations

import base64

import msgspec
import pytest

from proto import codec
from proto.contact_crypto import ContactKeyError, open_card, open_identity, seal

KEY = bytes(range(32))
RING = {"k1": KEY}


def test_a_card_sealed_with_the_personnummer_opens_to_the_phone_and_the_personnummer() -> None:
    card = seal("case-1", "+46701234567", "k1", KEY, "sv", personnummer="199001010017")
    assert open_card(card, RING) == "+46701234567"
    assert open_identity(card, RING) == "199001010017"
    assert "199001010017" not in codec.encode(card).decode()


def test_a_card_written_before_the_personnummer_was_added_decodes_and_has_none() -> None:
    old = {"type": "contact.card.v1", "case_id": "case-1", "key_id": "k1", "nonce": "", "ciphertext": ""}
    card = codec.CONTACT_CARDS.decode(msgspec.json.encode(old))
    assert open_identity(card, RING) is None


def test_the_phones_ciphertext_cannot_pass_for_the_personnummer() -> None:
    card = seal("case-1", "+46701234567", "k1", KEY, personnummer="199001010017")
    swapped = msgspec.structs.replace(card, identity_nonce=card.nonce, identity_ciphertext=card.ciphertext)
    with pytest.raises(ContactKeyError):
        open_identity(swapped, RING)
    assert base64.b64decode(card.identity_nonce) != base64.b64decode(card.nonce)
