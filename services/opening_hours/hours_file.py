"""Loading the versioned opening-hours file (TOML) into ``OpeningHours``, or refusing it.

Every problem is reported at once with the line it is on, like the urgency rules file.
A region's table is read by ``region_table.read_region`` -- the same reader (and words) as
the staff API's PUT of a region's hours.
The format (``opening-hours.toml`` beside this module is the shipped default)::

    version = "2026.1"
    [default]                      # every region without its own table
    mon = ["08:00-21:00"]          # mon..sun: lists of "HH:MM-HH:MM"; [] = closed all day
    capacity = 20                  # calls per staffed hour (optional; else ETA_CAPACITY_PER_HOUR)
    [default.hourly_capacity]      # optional: hour ranges of a weekday with another capacity
    mon = { "08:00-10:00" = 30, "17:00-21:00" = 12 }
    [holidays]                     # national exceptions, every region
    "2026-12-25" = []
    [regions."SE-I"]               # a region's own days; days it omits are the default's
    sat = ["09:00-15:00"]          # (so are its capacity and hourly_capacity days)
    [regions."SE-I".exceptions]    # the region's own dated exceptions (override holidays)
    "2026-06-05" = []
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from services.config.env import EnvReader, SettingsError
from services.opening_hours.region_table import DAYS, Problem, parse_intervals, read_dates, read_region
from services.opening_hours.schedule import OpeningHours, RegionHours

__all__ = ["DAYS", "HoursFileError", "load_hours_from_env", "load_opening_hours", "parse_intervals"]
_REGION = re.compile(r"^SE-[A-Z]{1,2}$")


def packaged_hours_path() -> Path:
    """The opening-hours file shipped with the package."""
    return Path(__file__).with_name("opening-hours.toml")


def load_hours_from_env(env: Mapping[str, str]) -> OpeningHours:
    """The hours of ``OPENING_HOURS_PATH`` (default: the packaged file), validated now, at start."""
    given = EnvReader(env).text("OPENING_HOURS_PATH")
    path = Path(given) if given else packaged_hours_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(
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

    def describe(self, p: Problem) -> str:
        """``line 12: [regions.SE-I] sat: ...``."""
        return f"line {self.of(p.table, p.key)}: [{p.table}] {p.message}"


def load_opening_hours(text: str, source: str = "opening-hours.toml") -> OpeningHours:
    """Parse and check the hours file; raise HoursFileError naming every bad line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message carries "(at line N, column M)"
        raise HoursFileError(source, [f"not valid TOML: {exc}"]) from exc
    lines, problems, found = _Lines(text), [], list[Problem]()
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        problems.append("line 1: `version` (a non-empty string) is required at the top")
    default = data.get("default")
    if not isinstance(default, dict):
        problems.append("line 0: a [default] table with mon..sun is required")
        default = {}
    holidays = read_dates(data.get("holidays", {}), "holidays", found)
    base = read_region(
        default, "default", RegionHours(), found, require_days=isinstance(data.get("default"), dict)
    )
    base = RegionHours(
        base.weekly, {**holidays, **base.exceptions}, capacity=base.capacity, hourly=base.hourly
    )
    regions: dict[str, RegionHours] = {}
    raw_regions = data.get("regions", {})
    for region, table in raw_regions.items() if isinstance(raw_regions, dict) else ():
        where = f"regions.{region}"
        if not _REGION.match(region) or not isinstance(table, dict):
            problems.append(
                f"line {lines.of(where)}: [{where}] must be a table named by a region code like SE-C"
            )
            continue
        regions[region] = read_region(table, where, base, found)
    for key in set(data) - {"version", "default", "holidays", "regions"}:
        problems.append(
            f"line {lines.of(key) or lines.of('', key)}: unknown key or table {key!r}; "
            'use version, [default], [holidays], [regions."SE-X"]'
        )
    problems += [lines.describe(p) for p in found]
    if problems:
        raise HoursFileError(source, problems)
    return OpeningHours(str(version), base, regions)
