"""Redacting personal data from log text: the second line of defence (the first is never
logging it). Patterns: Swedish personnummer/samordningsnummer (10 or 12 digits, with or
without the separator) and Swedish phone numbers (07x..., +467x..., 00467x..., with spaces
or dashes)."""

from __future__ import annotations

import re

# A date part that can be a birth date (day + 60 for a samordningsnummer) keeps offsets,
# timestamps and decimals from being redacted; a token boundary keeps hex case ids intact.
PERSONNUMMER = re.compile(
    r"(?<![\w.])(?:19|20)?\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
    r"[-+ ]?\d{4}(?!\w)"
)
PHONE = re.compile(r"(?<![\w+])(?:\+46|0046|0)[\s-]?7[\s\d-]{7,12}\d(?!\d)")
REDACTED_PNR = "[personnummer]"
REDACTED_PHONE = "[phone]"


def redact(text: str) -> str:
    """``text`` with every personnummer-like and phone-like substring replaced."""
    if not any(c.isdigit() for c in text):
        return text  # fast path: most log lines carry no digits worth scanning
    text = PERSONNUMMER.sub(REDACTED_PNR, text)
    return PHONE.sub(REDACTED_PHONE, text)
