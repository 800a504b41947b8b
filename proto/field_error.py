"""One bad field of a request, as every HTTP service answers it (RFC 9457 ``errors`` entries).

Intake's submission form, staff's closing notes and hours tables, and the forecaster's
queries all report bad input this way, so it is part of the wire contract, not of one service.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One bad field: an RFC 6901 JSON pointer into the submission and what is wrong."""

    pointer: str
    detail: str
