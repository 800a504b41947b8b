"""How many SMS segments a text costs (GSM 03.38 / 3GPP TS 23.038).

A text made only of GSM-7 characters (basic set; the extension set costs two septets,
escape + char) fits 160 septets in one SMS, 153 per segment when concatenated (the UDH
takes the rest). One character outside GSM-7 switches the whole SMS to UCS-2: 70 UTF-16
units in one SMS, 67 per segment. A segment never splits an escape pair or a surrogate pair.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


@dataclass(frozen=True)
class SegmentCount:
    """The encoding an SMS needs, its length in that encoding's units, and its segments."""

    encoding: str  # "gsm7" | "ucs2"
    units: int  # septets (gsm7) or UTF-16 code units (ucs2)
    segments: int


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM 03.38 basic or extension table."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _pack(costs: list[int], single: int, per_segment: int) -> int:
    total = sum(costs)
    if total <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:  # greedy, never splitting one character's units across segments
        if used + cost > per_segment:
            segments, used = segments + 1, 0
        used += cost
    return segments


def count_segments(text: str) -> SegmentCount:
    """Segments of ``text``: GSM-7 160/153 septets, else UCS-2 70/67 UTF-16 units."""
    if is_gsm7(text):
        costs = [2 if c in GSM7_EXTENSION else 1 for c in text]
        return SegmentCount("gsm7", sum(costs), _pack(costs, 160, 153))
    costs = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return SegmentCount("ucs2", sum(costs), _pack(costs, 70, 67))
