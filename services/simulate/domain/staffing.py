"""The staffing file: clinicians on duty per region and hour of the week.

TOML, one table per region; each day is 24 whole numbers (hour 00-01 first)::

    [regions.SE-C]
    every_day = [1, 1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 1, 1]
    weekend = [...]     # overrides sat and sun
    mon = [...]         # a single day overrides everything above

``every_day`` applies first, then ``weekdays``/``weekend``, then named days. An hour with
0 clinicians is a closed hour (opening hours, issue 14, are not built yet: this file is
the opening hours for the simulator). A ``[default]`` table with the same keys gives
clinicians per 100 000 inhabitants for regions not listed (rounded up per region).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS_PER_WEEK = 168
_GROUPS = (("every_day", DAYS), ("weekdays", DAYS[:5]), ("weekend", DAYS[5:]))


class StaffingError(ValueError):
    """The staffing file is wrong; the message says where and how to fix it."""


@dataclass(frozen=True)
class Staffing:
    """Clinicians per region for each of the 168 hours of the week (Monday 00-01 = hour 0)."""

    regions: Mapping[str, tuple[int, ...]]

    def week(self, region: str) -> tuple[int, ...]:
        """The region's 168 hourly counts (all zero: closed all week, if not in the file)."""
        return self.regions.get(region, (0,) * HOURS_PER_WEEK)

    def clinician_hours(self, region: str | None = None) -> int:
        """Clinician-hours per week, for one region or all."""
        names = [region] if region is not None else list(self.regions)
        return sum(sum(self.week(r)) for r in names)

    def with_region(self, region: str, week: tuple[int, ...]) -> Staffing:
        """A copy with ``region``'s week replaced."""
        return Staffing({**self.regions, region: tuple(week)})


def _day_values(where: str, key: str, value: object, per_capita: bool) -> list[float]:
    if not isinstance(value, list) or len(value) != 24:
        raise StaffingError(f"{where}.{key}: give a list of 24 numbers (one per hour, 00-01 first)")
    out: list[float] = []
    for i, v in enumerate(value):
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
        if not ok or (not per_capita and not isinstance(v, int)):
            kind = "a number >= 0" if per_capita else "a whole number of clinicians >= 0"
            raise StaffingError(f"{where}.{key}[{i}] = {v!r}: must be {kind}")
        out.append(float(v))
    return out


def _week_of(where: str, table: object, per_capita: bool) -> list[float]:
    if not isinstance(table, dict):
        raise StaffingError(f"{where}: must be a table with keys every_day, weekdays, weekend or mon..sun")
    unknown = set(table) - {g for g, _ in _GROUPS} - set(DAYS)
    if unknown:
        raise StaffingError(
            f"{where}: unknown key(s) {sorted(unknown)}; use every_day, weekdays, weekend, "
            f"or {', '.join(DAYS)}"
        )
    days: dict[str, list[float]] = {d: [0.0] * 24 for d in DAYS}
    for group, members in _GROUPS:
        if group in table:
            values = _day_values(where, group, table[group], per_capita)
            for d in members:
                days[d] = values
    for d in DAYS:
        if d in table:
            days[d] = _day_values(where, d, table[d], per_capita)
    return [v for d in DAYS for v in days[d]]


def parse_staffing(
    doc: Mapping[str, object], population: Mapping[str, int], where: str = "staffing"
) -> Staffing:
    """Build a ``Staffing`` from a parsed TOML document (see the module docstring)."""
    unknown = set(doc) - {"regions", "default"}
    if unknown:
        raise StaffingError(
            f"{where}: unknown top-level key(s) {sorted(unknown)}; use [regions.<id>] and [default]"
        )
    regions_doc = doc.get("regions", {})
    if not isinstance(regions_doc, dict):
        raise StaffingError(f"{where}: 'regions' must be a table of [regions.<region id>] tables")
    regions: dict[str, tuple[int, ...]] = {}
    for region, table in regions_doc.items():
        if region not in population:
            raise StaffingError(f"{where}: unknown region {region!r}; use ISO 3166-2:SE ids such as SE-C")
        regions[region] = tuple(int(v) for v in _week_of(f"{where} [regions.{region}]", table, False))
    if "default" in doc:
        per_100k = _week_of(f"{where} [default]", doc["default"], True)
        for region, people in population.items():
            if region not in regions:
                regions[region] = tuple(math.ceil(v * people / 100_000 - 1e-9) for v in per_100k)
    if not regions:
        raise StaffingError(f"{where}: no regions; add a [regions.SE-C] table or a [default] table")
    return Staffing(regions)


def load_staffing(path: Path, population: Mapping[str, int]) -> Staffing:
    """Read a staffing TOML file; ``StaffingError`` names the file and the bad entry."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StaffingError(f"staffing file {path} not found") from None
    except tomllib.TOMLDecodeError as err:
        raise StaffingError(f"staffing file {path}: not valid TOML ({err})") from None
    return parse_staffing(doc, population, where=str(path))


def dump_staffing(staffing: Staffing, comment: str = "") -> str:
    """The staffing as TOML text that ``load_staffing`` reads back (one line per day)."""
    lines = [f"# {c}" for c in comment.splitlines()] + ["# clinicians per hour, 00-01 first"]
    for region in sorted(staffing.regions):
        week = staffing.regions[region]
        lines += ["", f"[regions.{region}]"]
        for i, day in enumerate(DAYS):
            lines.append(f"{day} = [{', '.join(str(v) for v in week[i * 24 : (i + 1) * 24])}]")
    return "\n".join(lines) + "\n"
