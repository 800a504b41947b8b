"""One region's hours as a table -- days, exceptions, capacity, hourly capacity -- read or written.

The same shape is a ``[regions."SE-X"]`` table of the hours file, the body of the staff API's
``PUT /v1/regions/{region}/opening-hours`` and the fields of ``OpeningHoursChanged``, so
one reader checks all three with the same rules and words. A problem is located by the
table it is in and its key: the file turns that into a line number, the API into a JSON
pointer.

    mon = ["08:00-12:00", "13:00-17:00"]   # mon..sun; [] = closed that day
    exceptions = { "2026-12-24" = [] }     # dated days that replace the weekly ones
    capacity = 20                          # calls per staffed hour
    hourly_capacity = { mon = { "08:00-10:00" = 30, "16:00-17:00" = 10 } }
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, NamedTuple

from services.opening_hours.schedule import DAY_MINUTES, Interval, Rated, RegionHours

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KEYS = (*DAYS, "exceptions", "capacity", "hourly_capacity")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class Problem(NamedTuple):
    """What is wrong (``message``, starting with the key's name) in ``table`` at ``key``."""

    table: str  # dotted path of the table ("" = the top of the body)
    key: str
    message: str


def _span(item: Any) -> Interval:
    m = _RANGE.match(item) if isinstance(item, str) else None
    if m is None:
        raise ValueError(f'{item!r} is not "HH:MM-HH:MM" (e.g. "08:00-17:00")')
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > DAY_MINUTES or start >= end:
        raise ValueError(f"{item!r}: times must be 00:00-24:00 and the start before the end")
    return start, end


def _no_overlap(spans: list[Interval], raw: Any) -> None:
    spans.sort()
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise ValueError(f"intervals {raw!r} overlap")


def parse_intervals(raw: Any) -> tuple[Interval, ...]:
    """``["08:00-12:00", "13:00-17:00"]`` -> minute intervals; raise ValueError saying what is wrong."""
    if not isinstance(raw, list):
        raise ValueError(f'expected a list like ["08:00-17:00"] ([] = closed), got {raw!r}')
    out = [_span(item) for item in raw]
    _no_overlap(out, raw)
    return tuple(out)


def _calls_per_hour(raw: Any, what: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw) or raw <= 0:
        raise ValueError(
            f"{what} must be a number of calls per staffed hour above 0, got {raw!r} "
            "(close the hours instead of giving them no capacity)"
        )
    return float(raw)


def parse_rated(raw: Any) -> tuple[Rated, ...]:
    """``{"08:00-10:00": 30}`` -> (start, end, calls/hour) ranges; ValueError saying what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError(
            f'expected a table like {{ "08:00-10:00" = 30 }} (range = calls per hour), got {raw!r}'
        )
    out = [(*_span(k), _calls_per_hour(v, f"{k!r}")) for k, v in raw.items()]
    _no_overlap([(a, b) for a, b, _ in out], list(raw))
    return tuple(sorted(out))


def _join(table: str, key: str) -> str:
    return f"{table}.{key}" if table else key


def read_region(
    table: Mapping[str, Any],
    where: str,
    base: RegionHours,
    problems: list[Problem],
    require_days: bool = False,
) -> RegionHours:
    """The hours ``table`` describes on top of ``base`` (days, exceptions and capacity it omits).

    Appends every problem found to ``problems`` (and returns a best-effort result then).
    ``require_days``: all seven days must be given (the file's [default], a PUT).
    """
    missing = [d for d in DAYS if d not in table]
    if require_days and missing:
        problems.append(Problem(where, "", f"lacks {', '.join(missing)} (use [] for closed)"))
    week, hourly = list(base.weekly), list(base.hourly)
    capacity = base.capacity
    for key, raw in table.items():
        if key in DAYS:
            try:
                week[DAYS.index(key)] = parse_intervals(raw)
            except ValueError as exc:
                problems.append(Problem(where, key, f"{key}: {exc}"))
        elif key == "capacity":
            try:
                capacity = _calls_per_hour(raw, "capacity")
            except ValueError as exc:
                problems.append(Problem(where, key, str(exc)))
        elif key == "hourly_capacity":
            _hourly(raw, _join(where, key), hourly, problems)
        elif key != "exceptions":
            problems.append(Problem(where, key, f"{key!r} is not a day; use {', '.join(KEYS)}"))
    own = read_dates(table.get("exceptions", {}), _join(where, "exceptions"), problems)
    return replace(
        base,
        weekly=tuple(week),
        exceptions={**base.exceptions, **own},
        capacity=capacity,
        hourly=tuple(hourly),
    )


def _hourly(raw: Any, where: str, hourly: list[tuple[Rated, ...]], problems: list[Problem]) -> None:
    if not isinstance(raw, dict):
        problems.append(Problem(where, "", 'must be a table of days: { mon = { "08:00-10:00" = 30 } }'))
        return
    for day, ranges in raw.items():
        if day not in DAYS:
            problems.append(Problem(where, day, f"{day!r} is not a day; use {', '.join(DAYS)}"))
            continue
        try:
            hourly[DAYS.index(day)] = parse_rated(ranges)
        except ValueError as exc:
            problems.append(Problem(where, day, f"{day}: {exc}"))


def read_dates(table: Any, where: str, problems: list[Problem]) -> dict[dt.date, tuple[Interval, ...]]:
    """Dated exceptions ``{"2026-12-24": []}``; problems appended like ``read_region``."""
    out: dict[dt.date, tuple[Interval, ...]] = {}
    if not isinstance(table, dict):
        problems.append(Problem(where, "", 'must be a table of "YYYY-MM-DD" = [...]'))
        return out
    for key, raw in table.items():
        try:
            day = dt.date.fromisoformat(str(key))
        except ValueError:
            problems.append(Problem(where, str(key), f'{key!r} is not a date; write "2026-12-25"'))
            continue
        try:
            out[day] = parse_intervals(raw)
        except ValueError as exc:
            problems.append(Problem(where, str(key), f"{key}: {exc}"))
    return out


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _range(a: int, b: int) -> str:
    return f"{_hhmm(a)}-{_hhmm(b)}"


def region_table(hours: RegionHours) -> dict[str, Any]:
    """The table that ``read_region`` reads back into ``hours`` (for the API and the event)."""
    table: dict[str, Any] = {day: [_range(a, b) for a, b in hours.weekly[i]] for i, day in enumerate(DAYS)}
    table["exceptions"] = {
        d.isoformat(): [_range(a, b) for a, b in spans] for d, spans in sorted(hours.exceptions.items())
    }
    table["capacity"] = hours.capacity
    table["hourly_capacity"] = {
        day: {_range(a, b): r for a, b, r in hours.hourly[i]} for i, day in enumerate(DAYS) if hours.hourly[i]
    }
    return table


def read_whole_week(
    days: Mapping[str, Any],
    exceptions: Mapping[str, Any],
    capacity: float | None,
    hourly_capacity: Mapping[str, Any],
) -> tuple[RegionHours, list[Problem]]:
    """A region's complete hours (a PUT, a SetOpeningHours, an OpeningHoursChanged) and its problems.

    Nothing is inherited: every day is required, and exceptions are only those given.
    """
    problems = [Problem("", k, f"{k!r} is not a day; use {', '.join(DAYS)}") for k in days if k not in DAYS]
    table: dict[str, Any] = {k: v for k, v in days.items() if k in DAYS}
    table.update(exceptions=dict(exceptions), hourly_capacity=dict(hourly_capacity))
    if capacity is not None:
        table["capacity"] = capacity
    return read_region(table, "", RegionHours(), problems, require_days=True), problems


def describe(problems: list[Problem]) -> str:
    """``mon: '8-17' is not "HH:MM-HH:MM" ...; exceptions: ...`` (one line, for a rejection)."""
    return "; ".join(f"{p.table}: {p.message}" if p.table else p.message for p in problems)
