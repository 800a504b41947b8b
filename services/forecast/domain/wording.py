"""What a patient is shown of a forecast: the p10..p90 range, rounded outward, in plain words.

The sentence (docs/forecast.md): "Usually 1–3 h: of ten patients in your place, about eight
are called within that time; one sooner, one later."
"""

from __future__ import annotations

from services.opening_hours.eta import WaitEstimate, forecast_range


def shown_range(p10_s: float, p50_s: float, p90_s: float) -> WaitEstimate:
    """The range as shown: p10 rounded down, p90 up (1 min steps up to 15 min, 5 up to an hour,
    15 above)."""
    return forecast_range(p10_s, p50_s, p90_s)


def usually(p10_s: float, p50_s: float, p90_s: float, language: str = "sv") -> str:
    """ "oftast 1–3 tim" / "usually 1–3 h"."""
    text = shown_range(p10_s, p50_s, p90_s).text(language)
    return f"{'oftast' if language == 'sv' else 'usually'} {text}"
