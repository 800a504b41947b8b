"""Redacting personal data from text: the one redactor every service uses (logs, echoed names).

The second line of defence (the first is never logging personal data). Patterns:
- Swedish personnummer / samordningsnummer: 10 or 12 digits, with or without the ``-``/``+``
  separator, whose date part can be a birth date (day + 60 for a samordningsnummer);
- Swedish mobile numbers in the formats people type: ``070-123 45 67``, ``070.123.45.67``,
  ``070/123 45 67``, ``+46 (0)70-123 45 67``, ``+46 0701234567``, ``0046701234567``, and as
  machines echo them: ``46701234567``, ``%2B46701234567`` (the SMS provider's error texts);
- any number written with the Swedish country code (``+46 8 123 456 78``).

Left alone on purpose: Kafka offsets and epoch timestamps (no valid birth date, no leading
0), ISO timestamps (``:`` is not a separator here), decimals, and hex case ids (token
boundaries). Pure: standard library only, so domain code may use it too.
"""

from __future__ import annotations

import re

# A date part that can be a birth date keeps offsets, timestamps and decimals from being
# redacted; a token boundary keeps hex case ids intact.
PERSONNUMMER = re.compile(
    r"(?<![\w.])(?:19|20)?\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
    r"[-+ ]?\d{4}(?!\w)"
)
_SEP = r"[\s./-]"
# ``%2B``: a form-encoded ``+`` (an SMS provider's error text may echo the request it got)
_COUNTRY = rf"(?:\+|%2B|00)46{_SEP}*(?:\(0\){_SEP}*|0{_SEP}*)?"
PHONE = re.compile(
    # mobiles: 07X XXX XX XX after the prefix (also E.164 without its +, as 46701234567)
    rf"(?<![\w+.])(?:(?:{_COUNTRY}|0|46)7(?:{_SEP}?\d){{8}}"
    rf"|{_COUNTRY}[1-9](?:{_SEP}?\d){{6,9}})(?!\d)"  # anything else dialled with +46 / 0046
)
REDACTED_PNR = "[personnummer]"
REDACTED_PHONE = "[phone]"


def redact(text: str) -> str:
    """``text`` with every personnummer-like and phone-like substring replaced."""
    if not any(c.isdigit() for c in text):
        return text  # fast path: most log lines carry no digits worth scanning
    text = PHONE.sub(REDACTED_PHONE, text)
    return PERSONNUMMER.sub(REDACTED_PNR, text)
