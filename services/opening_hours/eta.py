"""Estimated wait as a range that counts only staffed time: the model intake and the queue share.

It lives beside the hours (not in one service) because both intake's case view and the
queue's views need it, and a service must not import another service.

The model, from the first minute:
- the serving rate is the recent one (calls in the last window) once at least
  ``min_recent_calls`` happened, else the region's capacity for each hour of the week
  (``capacity.py``: the hours file's ``capacity`` and ``hourly_capacity``, else
  ``capacity_per_hour``) -- a quiet first quarter-hour no longer means "no estimate";
- a case at position p (p-1 cases ahead: every waiting case of a more urgent level and the
  earlier ones of its own level) is called at the p-th call from now. The next call is on
  average half a call interval away (we are somewhere between two calls), so the point
  estimate counts p - 1/2 call intervals, not p;
- more urgent patients who arrive while it waits go ahead of it; that is NOT modelled. Tried
  (docs/performance.md, "ETA error"): W = clock(p - 1/2 + overtaking x W) with the recent
  arrival rate of the more urgent levels centred the median error of Prio 4-5 but doubled
  their p90 (1 / (1 - overtaking/rate) amplifies the noise of both measured rates near
  saturation), so Prio 4-5 are still told too short a wait more often than not;
- at the recent rate the calls are divided by the STAFFED part of the window: just after
  opening, 3 calls in 5 staffed minutes are 0.6/min, not 3 per quarter-hour. At the
  capacity, the staffed time is walked hour range by hour range until the region had room
  for that many calls (a shift change to a smaller evening shift lengthens it);
- staffed minutes become clock minutes through the region's hours, so a patient who
  arrives at 22:00 is told the wait runs into the morning, not "5 min";
- it is shown as a range (``low_factor``..``high_factor`` of the point, rounded outward to
  5 minutes, or 15 above an hour): arrivals are random, and so is the time a call takes.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from services.opening_hours.capacity import after_calls
from services.opening_hours.schedule import RegionHours


@dataclass(frozen=True)
class EtaPolicy:
    """How waits are estimated (from the service settings)."""

    capacity_per_hour: float = 20.0  # calls per staffed hour where the hours file names no capacity
    min_recent_calls: int = 3  # fewer calls in the window: the capacity is the better guess
    low_factor: float = 0.75
    high_factor: float = 1.5
    min_staffed_share: float = 1 / 15  # less staffed time in the rate window (1 min of 15): use the capacity


@dataclass(frozen=True)
class WaitEstimate:
    """When the case is expected to be called: a clock-time range in seconds from now."""

    point_s: float  # the single best guess (clock seconds, closed hours included)
    low_s: float
    high_s: float
    basis: str  # recent_rate | capacity

    def text(self, language: str = "sv") -> str:
        """ "30–60 min"; above an hour, half hours: "2–3,5 tim" ("2–3.5 h" in English); from two
        days on, whole days: "4–8 dygn" ("4–8 days"), not "764,5–1461 tim"."""
        lo, hi = self.low_s / 60, self.high_s / 60
        sv = language == "sv"
        if hi <= 60:
            return f"{int(lo)}–{int(hi)} min"
        if lo >= 2 * 1440:
            return f"{math.floor(lo / 1440)}–{math.ceil(hi / 1440)} {'dygn' if sv else 'days'}"
        halves_lo, halves_hi = math.floor(lo / 30) / 2, math.ceil(hi / 30) / 2
        return f"{_num(halves_lo, sv)}–{_num(halves_hi, sv)} {'tim' if sv else 'h'}"


def _num(value: float, swedish: bool) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if swedish else text


def rate_per_minute(
    recent_calls: int, window_s: float, policy: EtaPolicy, staffed_window_s: float | None = None
) -> tuple[float, str]:
    """The serving rate to estimate with (per staffed minute), and which basis it came from.

    ``staffed_window_s``: the staffed part of the window (default: all of it).
    """
    staffed = window_s if staffed_window_s is None else min(window_s, staffed_window_s)
    if (
        recent_calls >= policy.min_recent_calls
        and staffed > 0
        and staffed >= window_s * policy.min_staffed_share
    ):
        return recent_calls / (staffed / 60.0), "recent_rate"
    return policy.capacity_per_hour / 60.0, "capacity"


def region_rate(
    recent_calls: int, window_s: float, hours: RegionHours, now: dt.datetime, policy: EtaPolicy
) -> tuple[float, str]:
    """``rate_per_minute`` of a region at ``now``, the staffed part of its window found from its hours."""
    staffed_window = (  # only worth walking the hours when the recent rate can be the basis
        None
        if hours.always_open or recent_calls < policy.min_recent_calls
        else hours.staffed_seconds(now - dt.timedelta(seconds=window_s), now)
    )
    return rate_per_minute(recent_calls, window_s, policy, staffed_window)


def estimate_wait(
    position: int,
    recent_calls: int,
    window_s: float,
    hours: RegionHours,
    now: dt.datetime,
    policy: EtaPolicy,
) -> WaitEstimate | None:
    """The wait of the case at ``position`` (1 = next); None if the region never opens (horizon)."""
    rate, basis = region_rate(recent_calls, window_s, hours, now, policy)
    if rate <= 0 or position < 1:
        return None
    calls = position - 0.5  # the p-th call from now: the next one is half an interval away

    def clock(n: float) -> float | None:
        if basis == "recent_rate":
            at = hours.after_staffed(now, n / rate * 60.0)
        else:
            at = after_calls(hours, now, n, policy.capacity_per_hour)
        return None if at is None else (at - now).total_seconds()

    point, low, high = clock(calls), clock(calls * policy.low_factor), clock(calls * policy.high_factor)
    if point is None or low is None or high is None:
        return None
    return WaitEstimate(point, round_bound(low, up=False), round_bound(high, up=True), basis)


def forecast_range(p10_s: float, p50_s: float, p90_s: float) -> WaitEstimate:
    """A forecaster's p10..p90 as patients are shown it (intake, staff, the forecaster alike):
    rounded outward like ``round_bound``, but to whole minutes within a quarter of an hour.

    Why minutes there: a Prio 1-2 case forecast 2-7 min would read "0-10 min" at 5-minute steps,
    a range that nearly every such patient falls inside (the forecast made over-wide by its
    wording, not by its uncertainty)."""
    return WaitEstimate(
        p50_s, round_bound(p10_s, up=False, fine=True), round_bound(p90_s, up=True, fine=True), "forecast"
    )


def round_bound(seconds: float, up: bool, fine: bool = False) -> float:
    """A range end as patients are shown it: down (low) or up (high) to 5 min, or 15 above an hour
    (``fine``: to 1 min up to a quarter of an hour)."""
    step = 300.0 if seconds <= 3600 else 900.0  # 5 minutes, or 15 above an hour
    if fine and seconds <= 900:
        step = 60.0
    if up:
        return max(step, math.ceil(seconds / step) * step)
    return math.floor(seconds / step) * step
