"""Loading the versioned opening-hours file (TOML) into ``OpeningHours``, or refusing it.

Every problem is reported at once with the line it is on, like the urgency rules file.
The format (``opening-hours.toml`` beside this module is the shipped default)::

    version = "2026.1"
    [default]                      # every region without its own table
    mon = ["08:00-21:00"]          # mon..sun: lists of "HH:MM-HH:MM"; [] = closed all day
    [holidays]                     # national exceptions, every region
    "2026-12-25" = []
    [regions."SE-I"]               # a region's own days; days it omits are the default's
    sat = ["09:00-15:00"]
    [regions."SE-I".exceptions]    # the region's own dated exceptions (override holidays)
    "2026-06-05" = []
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from services.opening_hours.schedule import DAY_MINUTES, Interval, OpeningHours, RegionHours

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_REGION = re.compile(r"^SE-[A-Z]{1,2}$")


def packaged_hours_path() -> Path:
    """The opening-hours file shipped with the package."""
    return Path(__file__).with_name("opening-hours.toml")


def load_hours_from_env(env: Mapping[str, str]) -> OpeningHours:
    """The hours of ``OPENING_HOURS_PATH`` (default: the packaged file), validated now, at start."""
    path = Path(env["OPENING_HOURS_PATH"]) if env.get("OPENING_HOURS_PATH") else packaged_hours_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(
            f"OPENING_HOURS_PATH: cannot read {path}: {exc.strerror}; "
            "point it at an opening-hours TOML file or unset it for the packaged one"
        ) from exc
    return load_opening_hours(text, str(path))


class HoursFileError(ValueError):
    """The hours file is invalid; the message lists every problem with its line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"invalid opening-hours file {source}:\n  " + "\n  ".join(problems))


class _Lines:
    """Where tables and keys are in the text (tomllib keeps no positions)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def of(self, table: str, key: str = "") -> int:
        header = re.compile(
            r"^\s*\[\s*" + r"\s*\.\s*".join(rf'"?{re.escape(part)}"?' for part in table.split(".")) + r"\s*\]"
        )
        start = next((n for n, line in enumerate(self.lines, 1) if header.match(line)), 0) if table else 0
        if not key:
            return start
        pattern = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=')
        for n in range(start + 1, len(self.lines) + 1):
            if pattern.match(self.lines[n - 1]):
                return n
            if self.lines[n - 1].lstrip().startswith("["):
                break
        return start


def parse_intervals(raw: Any) -> tuple[Interval, ...]:
    """``["08:00-12:00", "13:00-17:00"]`` -> minute intervals; raise ValueError saying what is wrong."""
    if not isinstance(raw, list):
        raise ValueError(f'expected a list like ["08:00-17:00"] ([] = closed), got {raw!r}')
    out: list[Interval] = []
    for item in raw:
        m = _RANGE.match(item) if isinstance(item, str) else None
        if m is None:
            raise ValueError(f'{item!r} is not "HH:MM-HH:MM" (e.g. "08:00-17:00")')
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 23 or m1 > 59 or m2 > 59 or end > DAY_MINUTES or start >= end:
            raise ValueError(f"{item!r}: times must be 00:00-24:00 and the start before the end")
        out.append((start, end))
    out.sort()
    for (_, end), (start, _) in zip(out, out[1:], strict=False):
        if start < end:
            raise ValueError(f"intervals {raw!r} overlap")
    return tuple(out)


def load_opening_hours(text: str, source: str = "opening-hours.toml") -> OpeningHours:
    """Parse and check the hours file; raise HoursFileError naming every bad line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message carries "(at line N, column M)"
        raise HoursFileError(source, [f"not valid TOML: {exc}"]) from exc
    lines, problems = _Lines(text), []
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        problems.append("line 1: `version` (a non-empty string) is required at the top")
    default = data.get("default")
    if not isinstance(default, dict):
        problems.append("line 0: a [default] table with mon..sun is required")
        default = {}
    missing = [d for d in DAYS if d not in default]
    if missing and isinstance(data.get("default"), dict):
        problems.append(
            f"line {lines.of('default')}: [default] lacks {', '.join(missing)} (use [] for closed)"
        )
    weekly = _days(default, "default", lines, problems, base=((),) * 7)
    holidays = _dates(data.get("holidays", {}), "holidays", lines, problems)
    regions: dict[str, RegionHours] = {}
    raw_regions = data.get("regions", {})
    for region, table in raw_regions.items() if isinstance(raw_regions, dict) else ():
        where = f"regions.{region}"
        if not _REGION.match(region) or not isinstance(table, dict):
            problems.append(
                f"line {lines.of(where)}: [{where}] must be a table named by a region code like SE-C"
            )
            continue
        own = _dates(table.get("exceptions", {}), f"{where}.exceptions", lines, problems)
        days = {k: v for k, v in table.items() if k != "exceptions"}
        regions[region] = RegionHours(_days(days, where, lines, problems, base=weekly), {**holidays, **own})
    for key in set(data) - {"version", "default", "holidays", "regions"}:
        problems.append(
            f"line {lines.of(key) or lines.of('', key)}: unknown key or table {key!r}; "
            'use version, [default], [holidays], [regions."SE-X"]'
        )
    if problems:
        raise HoursFileError(source, problems)
    return OpeningHours(str(version), RegionHours(weekly, holidays), regions)


def _days(
    table: dict[str, Any],
    where: str,
    lines: _Lines,
    problems: list[str],
    base: tuple[tuple[Interval, ...], ...],
) -> tuple[tuple[Interval, ...], ...]:
    week = list(base)
    for key, raw in table.items():
        if key not in DAYS:
            problems.append(
                f"line {lines.of(where, key)}: [{where}] {key!r} is not a day; use {', '.join(DAYS)}"
            )
            continue
        try:
            week[DAYS.index(key)] = parse_intervals(raw)
        except ValueError as exc:
            problems.append(f"line {lines.of(where, key)}: [{where}] {key}: {exc}")
    return tuple(week)


def _dates(table: Any, where: str, lines: _Lines, problems: list[str]) -> dict[dt.date, tuple[Interval, ...]]:
    out: dict[dt.date, tuple[Interval, ...]] = {}
    if not isinstance(table, dict):
        problems.append(f'line {lines.of(where)}: [{where}] must be a table of "YYYY-MM-DD" = [...]')
        return out
    for key, raw in table.items():
        try:
            day = dt.date.fromisoformat(str(key))
        except ValueError:
            problems.append(
                f'line {lines.of(where, str(key))}: [{where}] {key!r} is not a date; write "2026-12-25"'
            )
            continue
        try:
            out[day] = parse_intervals(raw)
        except ValueError as exc:
            problems.append(f"line {lines.of(where, str(key))}: [{where}] {key}: {exc}")
    return out
