"""A region's staffed hours: weekly hours plus dated exceptions, in Europe/Stockholm.

Hours are wall-clock times of the region's local day (``zoneinfo``), so "08:00-17:00" is
08:00 local on both sides of a DST change. Every answer is computed from UTC instants of
those local boundaries, which is why a staffed day that spans the March change is an hour
shorter and one that spans the October change an hour longer. A local time that does not
exist (02:30 on the March change day) is read with ``fold=0``, i.e. as the instant the clock
would show had it not jumped; no region opens in that hour in practice.

Costs: every query walks day by day and is bounded by ``HORIZON_DAYS``; a day has a few
intervals, so ``is_open`` is O(1) and ``next_change``/``after_staffed`` O(days walked).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
T = TypeVar("T")
HORIZON_DAYS = 400  # a region closed for longer than this is treated as never opening
DAY_MINUTES = 24 * 60

Interval = tuple[int, int]  # [start, end) in minutes of the local day; end may be 1440 (24:00)
Rated = tuple[int, int, float]  # [start, end) of the local day at this many calls per staffed hour


@dataclass(frozen=True)
class RegionHours:
    """When one region is staffed.

    ``weekly[d]`` are the open intervals of weekday ``d`` (0 = Monday); ``exceptions[date]``
    replace that day's weekly intervals (empty tuple: closed all day, e.g. a public holiday).
    ``capacity`` is calls per staffed hour (None: the service's ETA_CAPACITY_PER_HOUR);
    ``hourly[d]`` overrides it for hour ranges of weekday ``d`` (not on exception dates:
    a holiday has its own hours, so it gets the flat capacity). Walked by ``capacity.py``.
    """

    weekly: tuple[tuple[Interval, ...], ...] = ((),) * 7
    exceptions: Mapping[dt.date, tuple[Interval, ...]] = field(default_factory=dict)
    tz: dt.tzinfo = STOCKHOLM
    capacity: float | None = None
    hourly: tuple[tuple[Rated, ...], ...] = ((),) * 7

    def intervals_on(self, day: dt.date) -> tuple[Interval, ...]:
        """The open intervals of the local day ``day`` (exceptions first)."""
        found = self.exceptions.get(day)
        return found if found is not None else self.weekly[day.weekday()]

    def instant(self, day: dt.date, minute: int) -> dt.datetime:
        """The UTC instant of ``minute`` (0..1440) of the local day ``day``."""
        # 24:00 is the next day's midnight; wall time -> UTC through the zone (DST-aware)
        day = day + dt.timedelta(days=minute // DAY_MINUTES)
        minute %= DAY_MINUTES
        local = dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=self.tz)
        return local.astimezone(dt.UTC)

    def _spans(self, start_day: dt.date, days: int) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Open spans as UTC instants for ``days`` local days from ``start_day``; adjacent spans joined.

        Lazy: the queue asks for the next few hours on every call decision, and a caller that
        stops early must not pay for the whole horizon (it did: 3 ms per ServeNext).
        """
        pending: tuple[dt.datetime, dt.datetime] | None = None
        for n in range(days):
            for begin, end in self._utc_intervals(start_day + dt.timedelta(days=n)):
                if pending is not None and pending[1] >= begin:  # 24:00 of one day meets 00:00 of the next
                    pending = (pending[0], max(pending[1], end))
                else:
                    if pending is not None:
                        yield pending
                    pending = (begin, end)
        if pending is not None:
            yield pending

    @functools.cached_property
    def always_open(self) -> bool:
        """Staffed around the clock every day, with no exception (the arithmetic is then trivial)."""
        # cached: asked several times per submission; the hours never change (frozen)
        return not self.exceptions and all(day == ((0, DAY_MINUTES),) for day in self.weekly)

    @functools.cached_property
    def _memo(self) -> dict[object, Any]:
        # Answers about one local day as UTC instants. Intake asks about today on every
        # submission (open now? when does it open? the wait estimate), and the zone arithmetic
        # of ``instant`` was most of that cost. Not a dataclass field: never compared or encoded.
        return {}

    def remember(self, key: object, build: Callable[[], T]) -> T:
        """``build()``, computed once per ``key`` for these hours (they never change: frozen)."""
        memo = self._memo
        try:
            return memo[key]  # type: ignore[no-any-return]
        except KeyError:
            if len(memo) >= 4096:  # a long walk (next_change over the horizon) must not grow it forever
                memo.clear()
            found = memo[key] = build()
            return found

    def _utc_intervals(self, day: dt.date) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        """The open intervals of the local day ``day`` as UTC instants (remembered per day)."""
        return self.remember(
            day,
            lambda: tuple((self.instant(day, a), self.instant(day, b)) for a, b in self.intervals_on(day)),
        )

    def local_day(self, at: dt.datetime) -> dt.date:
        """The region's local date at the instant ``at``."""
        return at.astimezone(self.tz).date()

    def is_open(self, at: dt.datetime) -> bool:
        """True when the region is staffed at the instant ``at`` (timezone-aware)."""
        at = utc(at)
        if self.always_open:
            return True
        day = self.local_day(at)
        return any(a <= at < b for a, b in self._spans(day - dt.timedelta(days=1), 3))

    def next_change(self, at: dt.datetime) -> dt.datetime | None:
        """The first instant after ``at`` at which open/closed flips (None: never within the horizon)."""
        at = utc(at)
        if self.always_open:
            return None
        first = self.local_day(at) - dt.timedelta(days=1)
        horizon_end = self.instant(first, HORIZON_DAYS * DAY_MINUTES)
        for a, b in self._spans(first, HORIZON_DAYS):
            if a > at:
                return a
            if b > at:
                return b if b < horizon_end else None  # open through the horizon: no change
        return None

    def staffed_seconds(self, start: dt.datetime, end: dt.datetime) -> float:
        """Seconds of staffed time in [start, end)."""
        start, end = utc(start), utc(end)
        if end <= start:
            return 0.0
        days = (self.local_day(end) - self.local_day(start)).days + 3
        total = 0.0
        for a, b in self._spans(self.local_day(start) - dt.timedelta(days=1), days):
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        return total

    def after_staffed(self, start: dt.datetime, seconds: float) -> dt.datetime | None:
        """The instant at which ``seconds`` of staffed time have passed since ``start``.

        None when the region is not staffed that long within the horizon. This is how an
        estimated wait in "working minutes" becomes a clock time that skips closed hours.
        """
        start, left = utc(start), max(0.0, seconds)
        if self.always_open:
            return start + dt.timedelta(seconds=left)
        for a, b in self._spans(self.local_day(start) - dt.timedelta(days=1), HORIZON_DAYS):
            lo = max(a, start)
            if b <= lo:
                continue
            room = (b - lo).total_seconds()
            if left <= room:
                return lo + dt.timedelta(seconds=left)
            left -= room
        return None


ALWAYS_OPEN = RegionHours(weekly=(((0, DAY_MINUTES),),) * 7)


@dataclass(frozen=True)
class OpeningHours:
    """The hours of every region; a region without its own entry has ``default``."""

    version: str = "always-open"
    default: RegionHours = ALWAYS_OPEN
    regions: Mapping[str, RegionHours] = field(default_factory=dict)

    def of(self, region: str) -> RegionHours:
        """The hours of ``region``."""
        return self.regions.get(region, self.default)

    def with_region(self, region: str, hours: RegionHours) -> OpeningHours:
        """A copy in which ``region`` has ``hours`` (a team lead's change)."""
        return OpeningHours(self.version, self.default, {**self.regions, region: hours})


def utc(at: dt.datetime) -> dt.datetime:
    """``at`` in UTC; ValueError for a naive datetime."""
    # in UTC, because arithmetic between datetimes of one zone object is wall-clock arithmetic
    # (a DST day would count 24 hours)
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at!r} has no timezone: pass an aware datetime (e.g. UTC)")
    return at.astimezone(dt.UTC)
