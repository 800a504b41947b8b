"""How a completed case ended, in the patient's words (issue 26): the outcome kind's title and a
booked visit's time, in Swedish (default) or English. Pure; times are Stockholm wall-clock."""

from __future__ import annotations

import datetime as dt

from services.intake.domain.staffed_hours import _DAYS, _MONTHS  # the closed-region notice's words
from services.opening_hours.schedule import STOCKHOLM

TITLES: dict[str, dict[str, str]] = {
    "advice": {"sv": "Du har fått råd av vårdpersonal", "en": "A clinician gave you advice"},
    "booked_visit": {
        "sv": "Du har en bokad tid på en mottagning",
        "en": "You have a booked visit at a clinic",
    },
    "referred_health_centre": {
        "sv": "Du har hänvisats till en vårdcentral",
        "en": "You were referred to a health centre",
    },
    "referred_emergency": {
        "sv": "Du har hänvisats till en akutmottagning",
        "en": "You were referred to an emergency department",
    },
    "other": {"sv": "Ärendet är avslutat av vårdpersonal", "en": "A clinician closed your case"},
}


def _lang(language: str) -> str:
    return language if language in ("sv", "en") else "sv"


def outcome_title(kind: str, language: str) -> str:
    """The outcome kind as a sentence for the patient (unknown kinds: the ``other`` title)."""
    return TITLES.get(kind, TITLES["other"])[_lang(language)]


def visit_text(at: dt.datetime, language: str) -> str:
    """'tisdag 8 december 2026 kl. 14:30' / 'Tuesday 8 December 2026 at 14:30' (Stockholm time)."""
    lang = _lang(language)
    local = at.astimezone(STOCKHOLM)
    day = f"{_DAYS[lang][local.weekday()]} {local.day} {_MONTHS[lang][local.month - 1]} {local.year}"
    return f"{day} kl. {local:%H:%M}" if lang == "sv" else f"{day} at {local:%H:%M}"
