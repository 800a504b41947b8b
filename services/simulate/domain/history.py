"""The history file: what happened in a period, with no personal data, and its replay.

JSON lines. The first line is a header; then one line per fact, times in seconds since
``start`` (the local Monday 00:00 at or before ``since``, so hours of the week line up
with the staffing file)::

    {"kind": "history", "version": 2, "since": "...", "until": "...", "start": "..."}
    {"kind": "hours", "t": 0.0, "region": "SE-C", "version": 3, "days": {...}, "exceptions": {...}, ...}
    {"kind": "arrival", "case": 0, "t": 3600.5, "region": "SE-C", "urgency": 3}
    {"kind": "called", "case": 0, "t": 4000.0}
    {"kind": "no_show", "case": 0, "t": 4120.0}
    {"kind": "closed", "case": 0, "t": 4700.0, "reason": "completed", "outcome": "advice"}

Cases are ordinal numbers in order of arrival: no case id, pseudonym, phone, personnummer
or clinician id is written. A completed case's ``outcome`` is the clinician's outcome kind
(advice, booked_visit, referred_health_centre, referred_emergency, other; absent when none was
recorded); their advice, clinic and visit time are never written. Consultation times are replayed from called -> closed
(completed) where the history has both; otherwise they are drawn from the case model.

``hours`` lines are a team lead's opening-hours changes (OpeningHoursChanged: the whole week,
no staff id): the latest one of each region made before ``since`` at ``t`` 0 (or its own time
if later), then every change of the period at its time. The simulator starts from the hours
file and applies them, as the live queue does. Version 1 files (no hours, no outcome) are read too.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proto import events as ev
from services.opening_hours.region_table import describe, read_whole_week
from services.queue_model.hours import HoursChange
from services.queue_model.scenario import STOCKHOLM, Arrival, CaseModel, Scenario

VERSION = 2
READABLE = (1, 2)


class HistoryError(ValueError):
    """The history file cannot be read; the message names the line and what is wrong."""


def week_start(moment: dt.datetime) -> dt.datetime:
    """The local (Stockholm) Monday 00:00 at or before ``moment``."""
    local = moment.astimezone(STOCKHOLM)
    monday = local.date() - dt.timedelta(days=local.weekday())
    return dt.datetime(monday.year, monday.month, monday.day, tzinfo=STOCKHOLM)


@dataclass
class HistoryBuilder:
    """Folds decoded triage.events / queue.events messages into history lines (pure)."""

    since: dt.datetime
    until: dt.datetime
    start: dt.datetime = field(init=False)
    lines: list[dict[str, Any]] = field(default_factory=list)
    ordinal: dict[str, int] = field(default_factory=dict)  # case id -> ordinal (never written)
    hours_before: dict[str, ev.OpeningHoursChanged] = field(default_factory=dict)  # latest before since

    def __post_init__(self) -> None:
        self.start = week_start(self.since)

    def _t(self, moment: dt.datetime) -> float:
        return round((moment - self.start).total_seconds(), 3)

    def add(self, message: ev.Message) -> bool:
        """Add one message; False if it says nothing the history keeps (other types, out of range)."""
        match message:
            case ev.CaseTriaged():
                if not self.since <= message.triaged_at < self.until or message.case_id in self.ordinal:
                    return False
                n = self.ordinal[message.case_id] = len(self.ordinal)
                self.lines.append(
                    {
                        "kind": "arrival",
                        "case": n,
                        "t": self._t(message.triaged_at),
                        "region": message.region,
                        "urgency": message.urgency,
                    }
                )
            case ev.OpeningHoursChanged():
                return self._hours(message)
            case ev.CaseCalled():
                return self._fact(message.case_id, "called", message.called_at)
            case ev.CaseNoShow():
                return self._fact(message.case_id, "no_show", message.occurred_at)
            case ev.CaseClosed():
                # the clinician's outcome kind (issue 26) travels; their sealed note never does
                outcome = {"outcome": message.outcome} if message.outcome else {}
                return self._fact(
                    message.case_id, "closed", message.occurred_at, reason=message.reason, **outcome
                )
            case _:
                return False
        return True

    def _hours(self, changed: ev.OpeningHoursChanged) -> bool:
        if changed.occurred_at >= self.until:
            return False
        if changed.occurred_at < self.since:
            known = self.hours_before.get(changed.region)
            if known is None or changed.version > known.version:
                self.hours_before[changed.region] = changed
            return True
        self.lines.append(self._hours_line(changed))
        return True

    def _hours_line(self, changed: ev.OpeningHoursChanged) -> dict[str, Any]:
        return {
            "kind": "hours",
            "t": max(0.0, self._t(changed.occurred_at)),
            "region": changed.region,
            "version": changed.version,
            "days": changed.days,
            "exceptions": changed.exceptions,
            "capacity": changed.capacity,
            "hourly_capacity": changed.hourly_capacity,
        }

    def _fact(self, case_id: str, kind: str, at: dt.datetime, **extra: str) -> bool:
        n = self.ordinal.get(case_id)
        if n is None:
            return False  # a case that arrived before ``since``
        self.lines.append({"kind": kind, "case": n, "t": self._t(at), **extra})
        return True

    def text(self) -> str:
        """The file's content: header, then the facts in time order."""
        header = {
            "kind": "history",
            "version": VERSION,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "start": self.start.isoformat(),
        }
        before = [self._hours_line(c) for _, c in sorted(self.hours_before.items())]
        body = before + sorted(self.lines, key=lambda x: (x["t"], x.get("case", -1)))
        return "\n".join(json.dumps(x, separators=(",", ":")) for x in [header, *body]) + "\n"


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HistoryError(f"history file {path} not found; write one with `triage history export`") from None
    for no, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield no, json.loads(line)
            except json.JSONDecodeError as err:
                raise HistoryError(f"{path}:{no}: not JSON ({err.msg})") from None


def read_history(path: Path, model: CaseModel, seed: int = 1) -> Scenario:
    """The history's arrivals as a scenario (consultation times from the history where known)."""
    rows = list(_lines(path))
    if not rows or rows[0][1].get("kind") != "history" or rows[0][1].get("version") not in READABLE:
        raise HistoryError(f"{path}:1: expected a header line with kind 'history' and version {VERSION}")
    head = rows[0][1]
    start = dt.datetime.fromisoformat(head["start"])
    span = (dt.datetime.fromisoformat(head["until"]) - start).total_seconds()
    arrivals: dict[int, dict[str, Any]] = {}
    changes: list[HoursChange] = []
    for no, row in rows[1:]:
        try:
            if row.get("kind") == "hours":
                changes.append(_hours_change(row))
                continue
            case = int(row["case"])
            if row["kind"] == "arrival":
                if row["urgency"] not in (1, 2, 3, 4, 5):
                    raise ValueError(f"urgency must be 1..5, got {row['urgency']!r}")
                arrivals[case] = {
                    "t": float(row["t"]),
                    "region": str(row["region"]),
                    "urgency": int(row["urgency"]),
                    "no_shows": 0,
                }
            elif case in arrivals:
                _fact(arrivals[case], row)
        except (KeyError, TypeError, ValueError) as err:
            raise HistoryError(
                f"{path}:{no}: {err!r}; see services/simulate/domain/history.py for the format"
            ) from None
    return Scenario(tuple(_arrivals(arrivals.values(), model, seed)), start, span, tuple(changes))


def _hours_change(row: dict[str, Any]) -> HoursChange:
    """An ``hours`` line as a change of one region's hours (checked by the hours file's own rules)."""
    hours, problems = read_whole_week(
        row["days"], row.get("exceptions") or {}, row.get("capacity"), row.get("hourly_capacity") or {}
    )
    if problems:
        raise ValueError(f"invalid opening hours: {describe(problems)}")
    return HoursChange(float(row["t"]), str(row["region"]), hours)


def _fact(case: dict[str, Any], row: dict[str, Any]) -> None:
    kind = row["kind"]
    if kind == "called":
        case["called"] = float(row["t"])
    elif kind == "no_show":
        case["no_shows"] += 1
    elif kind == "closed" and row.get("reason") == "completed":
        outcome = row.get("outcome", "")
        if outcome and outcome not in ev.OUTCOME_KINDS:
            raise ValueError(f"outcome must be one of {', '.join(ev.OUTCOME_KINDS)}, got {outcome!r}")
        case["outcome"] = outcome
        if "called" in case:
            case["consult_s"] = max(0.0, float(row["t"]) - case["called"])


def _arrivals(cases: Iterable[dict[str, Any]], model: CaseModel, seed: int) -> Iterator[Arrival]:
    rng = random.Random(seed)
    for c in sorted(cases, key=lambda c: c["t"]):
        drawn = model.consult(c["urgency"], rng)  # drawn always, so the stream does not depend on the file
        yield Arrival(
            c["t"], c["region"], c["urgency"], c.get("consult_s", drawn), c["no_shows"], c.get("outcome", "")
        )
