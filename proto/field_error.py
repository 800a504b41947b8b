"""One bad field of a request, as every HTTP service answers it (RFC 9457 ``errors`` entries).

Intake's submission form, staff's closing notes and hours tables, and the forecaster's
queries all report bad input this way, so it is part of the wire contract, not of one service.
"""

from __future__ import annotations

import msgspec


class FieldError(msgspec.Struct, frozen=True):
    """One bad field: an RFC 6901 JSON pointer into the request and what is wrong (the
    ``errors`` entries of a problem+json body)."""

    pointer: str
    detail: str
