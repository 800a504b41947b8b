"""How a completed case ended, in the patient's words (issue 26): the outcome kind's title and a
booked visit's time, in Swedish (default) or English. Pure; times are Stockholm wall-clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
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
_DAYS = {
    "sv": ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "sv": (
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
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
    day, month = _DAYS[lang][local.weekday()], _MONTHS[lang][local.month - 1]
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if lang == "sv":
        return f"{day} {local.day} {month} {local.year} kl. {clock}"
    return f"{day} {local.day} {month} {local.year} at {clock}"
