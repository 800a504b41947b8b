"""Capacity per hour of the week: how many calls a region's staff take in each staffed hour.

A region's ``capacity`` (calls per staffed hour) holds where no hour range of its
``hourly`` table says otherwise; ``hourly[d]`` are (start, end, calls/hour) ranges of the
local weekday ``d`` (the evening shift takes fewer calls than the morning one). Dated
exceptions (holidays) have their own hours and get the flat capacity.

``after_calls`` walks the staffed time from an instant, hour range by hour range, until
the region has had room for ``calls`` calls: the estimated wait of the patient at position
p is ``after_calls(now, p)``. Like the hours, ranges are local wall-clock times turned into
UTC instants, so a range over a DST change is an hour shorter (March) or longer (October).

Costs: O(days walked x ranges a day); an always-open region without hourly ranges is one
division (the queue asks on every ServeNext for its heads-up rule).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from services.opening_hours.schedule import HORIZON_DAYS, RegionHours, utc


def capacity_of(hours: RegionHours, fallback_per_hour: float) -> float:
    """The region's flat capacity (calls per staffed hour), else the service's setting."""
    return hours.capacity if hours.capacity is not None else fallback_per_hour


def rated_intervals(hours: RegionHours, day: dt.date, base: float) -> Iterator[tuple[int, int, float]]:
    """The open intervals of the local ``day`` cut by its hour ranges: (start, end, calls/hour)."""
    ranges = () if day in hours.exceptions else hours.hourly[day.weekday()]
    for a, b in hours.intervals_on(day):
        cuts = sorted({a, b, *(x for s, e, _ in ranges for x in (s, e) if a < x < b)})
        for lo, hi in zip(cuts, cuts[1:], strict=False):
            rate = next((r for s, e, r in ranges if s <= lo and hi <= e), base)
            yield lo, hi, rate


def _utc_rated(
    hours: RegionHours, day: dt.date, base: float
) -> tuple[tuple[dt.datetime, dt.datetime, float], ...]:
    """``rated_intervals`` of ``day`` with UTC instants, remembered by the hours (asked per submission)."""
    return hours.remember(
        ("rated", day, base),
        lambda: tuple(
            (hours.instant(day, a), hours.instant(day, b), r) for a, b, r in rated_intervals(hours, day, base)
        ),
    )


def after_calls(
    hours: RegionHours, start: dt.datetime, calls: float, fallback_per_hour: float
) -> dt.datetime | None:
    """The instant by which the region has had room for ``calls`` calls since ``start``.

    None when that does not happen within the horizon (a region that never opens).
    """
    start = utc(start)
    base = capacity_of(hours, fallback_per_hour)
    if calls <= 0:
        return start
    if hours.always_open and not any(hours.hourly):
        return start + dt.timedelta(hours=calls / base) if base > 0 else None
    left = calls
    first = hours.local_day(start) - dt.timedelta(days=1)
    for n in range(HORIZON_DAYS):
        for begin, end, rate in _utc_rated(hours, first + dt.timedelta(days=n), base):
            lo = max(begin, start)
            if end <= lo or rate <= 0:
                continue
            room = (end - lo).total_seconds() / 3600.0 * rate
            if left <= room:
                return lo + dt.timedelta(hours=left / rate)
            left -= room
    return None
