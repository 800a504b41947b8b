"""What a patient is shown of a forecast: the p10..p90 range, rounded outward, in plain words.

The sentence (docs/forecast.md): "Usually 1–3 h: of ten patients in your place, about eight
are called within that time; one sooner, one later."
"""

from __future__ import annotations

from services.opening_hours.eta import WaitEstimate, round_bound


def shown_range(p10_s: float, p50_s: float, p90_s: float) -> WaitEstimate:
    """The range as shown: p10 rounded down, p90 up (5 min steps, 15 above an hour)."""
    return WaitEstimate(p50_s, round_bound(p10_s, up=False), round_bound(p90_s, up=True), "forecast")


def usually(p10_s: float, p50_s: float, p90_s: float, language: str = "sv") -> str:
    """ "oftast 1–3 tim" / "usually 1–3 h"."""
    text = shown_range(p10_s, p50_s, p90_s).text(language)
    return f"{'oftast' if language == 'sv' else 'usually'} {text}"
