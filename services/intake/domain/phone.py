"""Swedish mobile numbers, normalised to E.164 (+467XXXXXXXX), parsed with libphonenumber.

``phonenumberslite`` (Google's libphonenumber metadata, without geocoding) reads the
formats people really type: ``070-123 45 67``, ``070.123.45.67``, ``070/123 45 67``,
``+46 (0)70-123 45 67``, ``+46 0701234567``, ``0046701234567``. On top of "a valid Swedish
mobile" we keep our own rule: the 07X series SMS can reach (070, 072, 073, 076, 079).
"""

from __future__ import annotations

import re

import phonenumbers

_MOBILE = re.compile(r"^\+467[02369]\d{7}$")
_HINT = "not a Swedish mobile number: expected 07X-XXX XX XX or +467XXXXXXXX (070, 072, 073, 076 or 079)"


class InvalidPhone(ValueError):
    """Not a Swedish mobile number."""


def normalise_mobile(raw: str) -> str:
    """``070-123 45 67``, ``+46 (0)70-123 45 67`` or ``0046701234567`` -> ``+46701234567``."""
    try:
        number = phonenumbers.parse(raw, "SE")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(_HINT) from exc
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if (
        not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
        or not _MOBILE.match(e164)
    ):
        raise InvalidPhone(_HINT)
    return e164
