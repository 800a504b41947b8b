"""Can the region call this case within its urgency's time frame? (issue 25, "a time frame is a promise")

One pure rule for both moments it is asked:
- at admission: a new case at the position it would take (``waited_s`` = 0);
- while the case waits: its current position, with the time it has already waited.

A case is past its frame when the region is closed and opens only after the frame has run
out (``opens_too_late``), or when the LOWER bound of the estimate shown to the patient already
ends after it (``wait_too_long``). The estimate is the one the patient sees
(``services/opening_hours/eta.py``: the recent serving rate, else the region's capacity per
hour of the week), so a region nobody has served from lately is judged by its capacity, not
waved through. A better forecaster will sharpen the estimate; the rule does not wait for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from services.intake.domain.rulebook import RuleBook
from services.intake.domain.staffed_hours import local_when
from services.intake.domain.time_frames import frame_words
from services.opening_hours.capacity import capacity_of, rated_intervals
from services.opening_hours.eta import EtaPolicy, WaitEstimate, region_rate, round_bound
from services.opening_hours.schedule import HORIZON_DAYS, RegionHours

Reason = Literal["opens_too_late", "wait_too_long"]


@dataclass(frozen=True)
class PastFrame:
    """Why the case cannot be called in time, with what to tell the patient."""

    reason: Reason
    frame_s: float  # the urgency's whole time frame
    opens_at: dt.datetime | None  # closed now: when staff are back (None: no planned opening)
    wait: WaitEstimate | None  # the estimate that broke the frame (None: the region never opens)


def past_frame(
    *,
    frame_s: float,
    wait: WaitEstimate | None,
    hours: RegionHours,
    now: dt.datetime,
    waited_s: float = 0.0,
) -> PastFrame | None:
    """The reason a case will miss its frame, or None when it can be called in time.

    ``wait``: the estimate the patient is shown at the case's position (``estimate_wait``; None:
    the region never opens). ``waited_s``: how long it has waited already (the frame runs from
    when it joined the queue).
    """
    return judge(frame_s, waited_s, opening(hours, now), now, None if wait is None else wait.low_s, wait)


def opening(hours: RegionHours, now: dt.datetime) -> tuple[bool, dt.datetime | None]:
    """Is the region open at ``now``, and if not, when it opens (None: no planned opening)."""
    is_open = hours.is_open(now)
    return is_open, None if is_open else hours.next_change(now)


def judge(
    frame_s: float,
    waited_s: float,
    status: tuple[bool, dt.datetime | None],
    now: dt.datetime,
    low_s: float | None,
    wait: WaitEstimate | None = None,
) -> PastFrame | None:
    """The rule itself, given ``opening(...)`` and the estimate's lower bound (None: never opens)."""
    left = frame_s - waited_s
    is_open, opens_at = status
    if not is_open and (opens_at is None or (opens_at - now).total_seconds() > left):
        return PastFrame("opens_too_late", frame_s, opens_at, None)
    if low_s is None:
        return PastFrame("opens_too_late", frame_s, opens_at, None)
    if low_s > left:
        return PastFrame("wait_too_long", frame_s, opens_at, wait)
    return None


def low_bounds(
    count: int, recent_calls: int, window_s: float, hours: RegionHours, now: dt.datetime, policy: EtaPolicy
) -> list[float | None]:
    """``estimate_wait(p, ...).low_s`` for p = 1..count, in one walk of the hours (the sweep's cost).

    The staffed time ahead is cut once into spans with a rate (calls per second): the recent
    rate over the staffed spans, or the capacity of each hour range. Positions are then read
    off that walk in order: O(count + spans walked), not O(count x days).
    """
    rate, basis = region_rate(recent_calls, window_s, hours, now, policy)
    if rate <= 0:
        return [None] * count
    spans = _rated_spans(hours, now, rate / 60.0 if basis == "recent_rate" else None, policy)
    out: list[float | None] = []
    span = next(spans, None)
    at, walked = now, 0.0  # the instant reached and the calls the region had room for by then
    for p in range(1, count + 1):
        left = (p - 0.5) * policy.low_factor - walked
        while span is not None:
            begin, end, per_s = span
            at = max(at, begin)
            room = (end - at).total_seconds() * per_s
            if left <= room:
                at += dt.timedelta(seconds=left / per_s)
                walked += left
                break
            walked, left, at = walked + room, left - room, end
            span = next(spans, None)
        out.append(None if span is None else round_bound((at - now).total_seconds(), up=False))
    return out


def _rated_spans(
    hours: RegionHours, now: dt.datetime, recent_per_s: float | None, policy: EtaPolicy
) -> Iterator[tuple[dt.datetime, dt.datetime, float]]:
    """Staffed spans from ``now`` on with calls per second: the recent rate, else the capacity."""
    if hours.always_open and (recent_per_s is not None or not any(hours.hourly)):
        per_s = (
            recent_per_s if recent_per_s is not None else capacity_of(hours, policy.capacity_per_hour) / 3600
        )
        yield now, now + dt.timedelta(days=HORIZON_DAYS), per_s
        return
    base = capacity_of(hours, policy.capacity_per_hour)
    first = hours.local_day(now) - dt.timedelta(days=1)
    for n in range(HORIZON_DAYS):
        day = first + dt.timedelta(days=n)
        for a, b, per_hour in rated_intervals(hours, day, base):
            begin, end = hours.instant(day, a), hours.instant(day, b)
            if end > now and (recent_per_s is not None or per_hour > 0):
                yield max(begin, now), end, recent_per_s if recent_per_s is not None else per_hour / 3600


def past_frame_advice(rules: RuleBook, past: PastFrame, urgency: int, language: str) -> str:
    """Why the patient cannot be called in time, then where to go now (texts of the rules file).

    Prio 1: 112 or the emergency department; Prio 2-3: 1177 by phone; Prio 4-5: they may wait.
    """
    where = rules.text(rules.time_frames.alternative[urgency], language)
    return f"{why_not_in_time(rules, past, language)} {where}".strip()


def why_not_in_time(rules: RuleBook, past: PastFrame, language: str) -> str:
    """ "1177 direkt is closed and opens Monday 30 November at 08:00, but your case needs ..." """
    frame = frame_words(past.frame_s, language)
    if past.reason == "opens_too_late":
        return rules.text("opens_too_late", language, opens=local_when(past.opens_at, language), frame=frame)
    wait = past.wait.text(language) if past.wait is not None else "?"
    return rules.text("wait_too_long", language, wait=wait, frame=frame)
