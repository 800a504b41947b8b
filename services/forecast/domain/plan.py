"""The staffing the futures run with: the hours file's capacity hour by hour, at the staff's pace.

The hours say when the region is staffed and how many calls per staffed hour it plans for
(``capacity``/``hourly_capacity``, else the service's fallback). ``Service.efficiency`` scales
that to the pace actually seen; clinicians per hour = those calls / calls one clinician makes
in an hour, rounded (at least one in an hour with any staffed time). A what-if adds clinicians
from an instant on.

Costs: one walk of the day's rated intervals per simulated hour, cached per plan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from services.opening_hours.capacity import capacity_of, rated_intervals
from services.opening_hours.schedule import RegionHours, utc


def planned_calls(
    hours: RegionHours, begin: dt.datetime, end: dt.datetime, fallback_per_hour: float
) -> float:
    """Calls the hours plan for in [begin, end): staffed time x that time's capacity."""
    begin, end = utc(begin), utc(end)
    if end <= begin:
        return 0.0
    base = capacity_of(hours, fallback_per_hour)
    if hours.always_open and not any(hours.hourly):
        return (end - begin).total_seconds() / 3600.0 * base
    total = 0.0
    day = hours.local_day(begin) - dt.timedelta(days=1)
    last = hours.local_day(end) + dt.timedelta(days=1)
    while day <= last:
        for a, b, rate in rated_intervals(hours, day, base):
            lo, hi = max(hours.instant(day, a), begin), min(hours.instant(day, b), end)
            if hi > lo:
                total += (hi - lo).total_seconds() / 3600.0 * rate
        day += dt.timedelta(days=1)
    return total


@dataclass(frozen=True)
class WhatIf:
    """``extra`` more clinicians on duty from ``from_at`` on (staffed hours only)."""

    extra: int
    from_at: dt.datetime


@dataclass
class StaffPlan:
    """Clinicians on duty in each absolute clock hour (hours since the epoch)."""

    hours: RegionHours
    fallback_per_hour: float
    efficiency: float = 1.0
    calls_per_clinician_hour: float = 7.5
    what_if: WhatIf | None = None
    _cache: dict[int, int] = field(default_factory=dict)

    def calls_in(self, hour: int) -> float:
        """The calls the plan allows in the clock hour ``hour``, at the learned pace."""
        begin = dt.datetime.fromtimestamp(hour * 3600.0, dt.UTC)
        return self.efficiency * planned_calls(
            self.hours, begin, begin + dt.timedelta(hours=1), self.fallback_per_hour
        )

    def clinicians(self, hour: int) -> int:
        """Clinicians on duty in the clock hour ``hour``."""
        found = self._cache.get(hour)
        if found is not None:
            return found
        calls = self.calls_in(hour)
        n = 0 if calls <= 0 else max(1, round(calls / self.calls_per_clinician_hour))
        w = self.what_if
        if w is not None and n > 0 and hour * 3600.0 >= w.from_at.timestamp() - 1e-6:
            n += w.extra
        self._cache[hour] = n
        return n
