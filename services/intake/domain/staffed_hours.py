"""What intake tells a patient about the region's staffed hours and the expected wait.

Pure: the hours (``services/opening_hours``) and the read model's numbers in, the
machine-readable fields and the text to show out. A closed region still takes the case
(patients may submit at any time); the answer says when staff are back, so nobody waits
for an SMS in the night.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.opening_hours.eta import EtaPolicy, WaitEstimate, estimate_wait
from services.opening_hours.schedule import STOCKHOLM, RegionHours

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


@dataclass(frozen=True)
class RegionStatus:
    """Whether the region is staffed now; if not, when it opens (None: no opening within a year)."""

    open: bool
    opens_at: dt.datetime | None
    notice: str  # "" when open


def region_status(hours: RegionHours, now: dt.datetime, language: str = "sv") -> RegionStatus:
    """The region's status at ``now`` and, when closed, the sentence that tells the patient."""
    if hours.is_open(now):
        return RegionStatus(True, None, "")
    opens = hours.next_change(now)
    return RegionStatus(False, opens, closed_notice(opens, language))


def closed_notice(opens_at: dt.datetime | None, language: str = "sv") -> str:
    """ "The service is not staffed right now. It opens Monday 30 November at 08:00. ..." (local time).

    It follows the queued advice, which already says to call 1177, or 112 in an emergency, if
    the patient gets worse: the sentence is not repeated here (issue 25).
    """
    sv = language == "sv"
    if opens_at is None:
        return (
            "Tjänsten är inte bemannad och har ingen planerad öppettid. Ring 1177 om du behöver råd."
            if sv
            else "The service is not staffed and has no planned opening. Call 1177 for advice."
        )
    if sv:
        return f"Tjänsten är inte bemannad just nu. Den öppnar {local_when(opens_at, language)}. Din plats i kön finns kvar."
    return (
        f"The service is not staffed right now. It opens {local_when(opens_at, language)}. "
        "You keep your place in the queue."
    )


def local_when(at: dt.datetime | None, language: str = "sv") -> str:
    """ "måndag 30 november kl. 08:00" / "Monday 30 November at 08:00" in Stockholm time;
    for None (no planned opening) "inte inom överskådlig tid" / "not at any planned time"."""
    sv = language == "sv"
    if at is None:
        return "inte inom överskådlig tid" if sv else "not at any planned time"
    local = at.astimezone(STOCKHOLM)
    lang = "sv" if sv else "en"
    day = f"{_DAYS[lang][local.weekday()]} {local.day} {_MONTHS[lang][local.month - 1]}"
    return f"{day} kl. {local:%H:%M}" if sv else f"{day} at {local:%H:%M}"


def case_estimate(
    position: int,
    calls_per_minute: float,
    window_s: float,
    hours: RegionHours,
    now: dt.datetime,
    policy: EtaPolicy,
) -> WaitEstimate | None:
    """The ETA range of a waiting case from the read model's recent serving rate."""
    recent_calls = round(calls_per_minute * window_s / 60.0)
    return estimate_wait(position, recent_calls, window_s, hours, now, policy)
