"""Swedish mobile numbers, normalised to E.164 (+467XXXXXXXX).

``phonenumberslite`` (Google's libphonenumber metadata, without geocoding) reads the
formats people really type: ``070-123 45 67``, ``070.123.45.67``, ``070/123 45 67``,
``+46 (0)70-123 45 67``, ``+46 0701234567``, ``0046701234567``. On top of "a valid Swedish
mobile" we keep our own rule: the 07X series SMS can reach (070, 072, 073, 076, 079).

Most submissions are one of three plain forms (``07X...``, ``+467X...``, ``00467X...``) with
at most spaces, dashes, dots or slashes between the digits. Those are answered here without
libphonenumber (it cost ~9% of intake's CPU per submission): every ``+467[02369]`` followed by
seven digits is a valid Swedish mobile in its metadata (its pattern is ``7[023689]\\d{7}``),
so the answer is the same. Anything else (brackets, ``(0)``, other countries, odd lengths,
errors) goes to libphonenumber exactly as before; tests/unit/intake/test_phone.py compares
the two on generated input.
"""

from __future__ import annotations

import re

_MOBILE = re.compile(r"^\+467[02369]\d{7}$")
_PLAIN = re.compile(r"(?:\+46|0046|0)(7[02369]\d{7})")
_SEPARATORS = str.maketrans("", "", " -./")
_HINT = "not a Swedish mobile number: expected 07X-XXX XX XX or +467XXXXXXXX (070, 072, 073, 076 or 079)"


class InvalidPhone(ValueError):
    """Not a Swedish mobile number."""


def normalise_mobile(raw: str) -> str:
    """``070-123 45 67``, ``+46 (0)70-123 45 67`` or ``0046701234567`` -> ``+46701234567``."""
    if (plain := _PLAIN.fullmatch(raw.translate(_SEPARATORS))) is not None:
        return "+46" + plain.group(1)
    return with_libphonenumber(raw)


def with_libphonenumber(raw: str) -> str:
    """The full parse: every format libphonenumber reads, then our 07X rule."""
    import phonenumbers  # only for the unusual forms: its metadata is large to load and walk

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
