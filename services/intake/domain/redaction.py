"""Masking anything that looks like a personnummer or a phone number in free text.

Belt and braces: intake never logs these on purpose, but an exception message, a
library's log line or a client-chosen field name could carry one. Whole tokens only
(word boundaries), so ids such as hex UUIDs are left alone.
"""

from __future__ import annotations

import re

# personnummer / samordningsnummer: 10 or 12 digits, optional - or + (or space) before the last four.
_PERSONNUMMER = re.compile(r"(?<![\w+])(?:\d{2})?\d{6}[-+ ]?\d{4}(?!\w)")
# Swedish phone numbers: +46 / 0046 / 0 prefix, then 7-10 digits with optional spaces or dashes.
_PHONE = re.compile(r"(?<!\w)(?:\+46|0046|0)[\s-]?\(?\d{1,3}\)?(?:[\s-]?\d){5,9}(?!\w)")
PLACEHOLDER_PNR = "[personnummer]"
PLACEHOLDER_PHONE = "[phone]"


def redact(text: str) -> str:
    """``text`` with personnummer-like and phone-like numbers replaced by placeholders."""
    text = _PHONE.sub(PLACEHOLDER_PHONE, text)
    return _PERSONNUMMER.sub(PLACEHOLDER_PNR, text)
