"""Opening hours in the simulation (issue 25): the hours file's, then a team lead's changes.

The live queue serves a region only while it is staffed: the hours file (services/opening_hours),
and from the moment a team lead changes them, the latest ``OpeningHoursChanged`` on
queue.events. The simulator follows the same hours: a staffing file's clinicians count only in
the hours the region is open, so a closed region serves nobody while closed.

Clinicians change at hour boundaries in the simulation, so an hour counts as open when the
region is staffed for at least half of it (exact for whole-hour opening hours, like the shipped
file's; "08:30-17:00" opens the 08-09 hour). A change recorded in a history takes effect at
its own time: the clinicians on duty become the staffing's if the new hours are open then, else
none (idle ones leave at once, busy ones after their patient).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from services.opening_hours.schedule import OpeningHours, RegionHours


@dataclass(frozen=True)
class HoursChange:
    """A region's hours from ``t`` (seconds after the scenario's start) on."""

    t: float
    region: str
    hours: RegionHours


@dataclass(frozen=True)
class HoursTimeline:
    """One region's hours over a simulated period: ``initial``, then each change at its time."""

    initial: RegionHours
    changes: tuple[tuple[float, RegionHours], ...] = ()

    def hours_at(self, t: float) -> RegionHours:
        """The hours in force ``t`` seconds after the start (the latest change at or before ``t``)."""
        current = self.initial
        for at, hours in self.changes:
            if at > t:
                break
            current = hours
        return current

    def open_hour(self, start: dt.datetime, t: float) -> bool:
        """Is the simulated hour starting ``t`` seconds after ``start`` an open (staffed) hour?"""
        begin = start + dt.timedelta(seconds=t)
        staffed = self.hours_at(t).staffed_seconds(begin, begin + dt.timedelta(hours=1))
        return staffed >= 1800.0


def timeline(hours: OpeningHours, region: str, changes: Sequence[HoursChange] = ()) -> HoursTimeline:
    """``region``'s timeline: the hours file's hours, then the changes of that region in time order."""
    mine = sorted((c.t, c.hours) for c in changes if c.region == region)
    return HoursTimeline(hours.of(region), tuple(mine))


def open_hours(timeline_: HoursTimeline | None, start: dt.datetime) -> Callable[[int], bool]:
    """Simulated hour index -> open? (always open without a timeline: the staffing file alone)."""
    if timeline_ is None:
        return lambda k: True
    return lambda k: timeline_.open_hour(start, k * 3600.0)


def closed_staffed_hours(week: Sequence[int], hours: RegionHours, monday: dt.date) -> list[int]:
    """Hours of the week (0 = Monday 00-01) with clinicians in the staffing but closed in ``hours``,
    and open hours without clinicians, for the week starting on local ``monday`` (Stockholm)."""
    tl = HoursTimeline(hours)
    start = dt.datetime.combine(monday, dt.time(), tzinfo=hours.tz)
    return [h for h in range(len(week)) if (week[h] > 0) != tl.open_hour(start, h * 3600.0)]
