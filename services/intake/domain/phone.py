"""Swedish mobile numbers, normalised to E.164 (+467XXXXXXXX)."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-()]")
_MOBILE = re.compile(r"^\+467[02369]\d{7}$")


class InvalidPhone(ValueError):
    """Not a Swedish mobile number."""


def normalise_mobile(raw: str) -> str:
    """``070-123 45 67``, ``0046701234567`` or ``+46701234567`` -> ``+46701234567``."""
    digits = _SEPARATORS.sub("", raw.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+46" + digits[1:]
    if not _MOBILE.match(digits):
        raise InvalidPhone(
            "not a Swedish mobile number: expected 07X-XXX XX XX or +467XXXXXXXX "
            "(070, 072, 073, 076 or 079)"
        )
    return digits
